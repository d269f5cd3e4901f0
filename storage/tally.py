"""Each campaign's checks counted by what its dashboard shows, kept in `campaign_tally` by the
transaction that changes a check (a result, a verdict, a claim, a cancellation, a new
attempt): the dashboard of a million-check campaign reads a few thousand counters instead of
counting its checks again.

What a check counts for is one function, `contributions`: the same one keeps the counters
(the difference between a check's row before and after a flush) and counts a campaign afresh
(`recount`, used by migration 0011 and to repair). The counters are kept by a `before_flush`
listener on every ORM session; the few bulk UPDATEs on checks (storage.campaigns) call
`move_status` themselves.

Keys (kind, channel, a, b):
- ("status", channel, status, ""): every check;
- ("outcome", channel, effective outcome, ""): done checks;
- ("overturned", channel, "", ""): done checks an operator's verdict moved to another outcome;
- ("org", "", organisation id, "status:1|0"): every check, 1 when done and reachable;
- ("hour", channel, hours since 1970 UTC, ""): done checks by the hour they finished;
- ("hist", channel, "where.key", bucket): done checks by a measure's bucket (MEASURES).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes
from sqlmodel import col

from probe.channels import outcomes_where
from probe.results import CheckStatus
from storage.models import CampaignTally, Check

Key = tuple[int, str, str, str, str]  # campaign id, kind, channel, a, b
# (where the number lives, its key) -> bucket width: the dashboard's latency charts (ring and
# answer times in ms, the working days a reply took).
Measure = tuple[str, str]
REPLY_DAYS: Measure = ("details", "working_days")
RING: Measure = ("timings_ms", "ring")
ANSWER: Measure = ("timings_ms", "answer")
MEASURES: dict[Measure, float] = {REPLY_DAYS: 1, RING: 5000, ANSWER: 5000}
# The check's columns a contribution reads, in `contributions`' order.
COLUMNS = ("campaign_id", "organisation_id", "channel", "status", "outcome",
           "effective_outcome", "finished_at", "timings_ms", "details")  # fmt: skip
DONE = CheckStatus.DONE.value


def _success() -> frozenset[str]:
    return outcomes_where(lambda o: o.success)


def _hour(when: datetime) -> int:
    instant = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(instant.timestamp() // 3600)


def contributions(row: Mapping[Any, Any], success: frozenset[str] | None = None) -> list[Key]:
    """The counters a check (its COLUMNS) adds one to; none outside a campaign. `success`: the
    outcomes that reached the organisation (read from the channels when not given)."""
    campaign = row["campaign_id"]
    if campaign is None:
        return []
    channel, status, effective = row["channel"], row["status"], row["effective_outcome"]
    done = status == DONE
    reached = done and effective in (_success() if success is None else success)
    keys: list[Key] = [
        (campaign, "status", channel, status, ""),
        (campaign, "org", "", str(row["organisation_id"]), f"{status}:{int(reached)}"),
    ]
    if not done:
        return keys
    if effective is not None:
        keys.append((campaign, "outcome", channel, effective, ""))
        if effective != row["outcome"]:
            keys.append((campaign, "overturned", channel, "", ""))
    if row["finished_at"] is not None:
        keys.append((campaign, "hour", channel, str(_hour(row["finished_at"])), ""))
    for (where, name), width in MEASURES.items():
        value = (row[where] or {}).get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            keys.append((campaign, "hist", channel, f"{where}.{name}", str(int(value // width))))
    return keys


def _state(check: Check) -> dict[str, Any]:
    return {name: getattr(check, name) for name in COLUMNS}


def _changed(check: Check) -> bool:
    return any(
        attributes.get_history(check, name, attributes.PASSIVE_NO_INITIALIZE).has_changes()
        for name in COLUMNS
    )


def _before(check: Check) -> dict[str, Any] | None:
    """The check's COLUMNS as last loaded from the database (the ORM keeps the old value of a
    changed attribute), or None when one was never loaded (then read from the database)."""
    state: dict[str, Any] = {}
    for name in COLUMNS:
        history = attributes.get_history(check, name, attributes.PASSIVE_NO_INITIALIZE)
        if history.deleted:
            state[name] = history.deleted[0]
        elif history.unchanged:
            state[name] = history.unchanged[0]
        else:
            return None
    return state


def _stored(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The checks' rows as the database holds them now (before this flush writes them)."""
    if not ids:
        return {}
    columns = [getattr(Check.__table__.c, name) for name in ("id", *COLUMNS)]  # type: ignore[attr-defined]
    rows = session.connection().execute(select(*columns).where(columns[0].in_(ids)))
    return {row.id: dict(row._mapping) for row in rows}


def apply(session: Session, deltas: Mapping[Key, int]) -> None:
    """Add the deltas to the counters, in key order (two transactions touching the same
    counters lock them in the same order: no deadlock)."""
    values = [
        {"campaign_id": k[0], "kind": k[1], "channel": k[2], "a": k[3], "b": k[4], "n": n}
        for k, n in sorted(deltas.items())
        if n
    ]
    if not values:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = CampaignTally.__table__  # type: ignore[attr-defined]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id", "kind", "channel", "a", "b"],
        set_={"n": table.c.n + statement.excluded.n},
    )
    connection = session.connection()
    for start in range(0, len(values), 1000):
        connection.execute(statement, values[start : start + 1000])


def _difference(before: Iterable[Key], after: Iterable[Key], deltas: Counter[Key]) -> None:
    for key in before:
        deltas[key] -= 1
    for key in after:
        deltas[key] += 1


@event.listens_for(Session, "before_flush")
def _keep_counts(session: Session, _context: Any, _instances: Any) -> None:
    """Count what this flush changes in the campaigns' checks, in the same transaction."""
    new = [o for o in session.new if isinstance(o, Check)]
    dirty = [o for o in session.dirty if isinstance(o, Check) and o.id is not None]
    dirty = [o for o in dirty if _changed(o)]
    gone = [o for o in session.deleted if isinstance(o, Check) and o.id is not None]
    if not (new or dirty or gone):
        return
    known = {o.id: _before(o) for o in dirty + gone}
    stored = _stored(session, [i for i, state in known.items() if state is None and i is not None])
    deltas: Counter[Key] = Counter()
    for check in new:
        _difference([], contributions(_state(check)), deltas)
    for check in dirty + gone:
        before = known.get(check.id) or stored.get(check.id or 0)
        after = contributions(_state(check)) if check in dirty else []
        _difference(contributions(before) if before else [], after, deltas)
    apply(session, deltas)


def returning() -> list[Any]:
    """What a bulk UPDATE of checks returns for `move_status` (`.returning(*returning())`)."""
    return [getattr(Check.__table__.c, n) for n in COLUMNS[:6]]  # type: ignore[attr-defined]


def move_status(session: Session, rows: Iterable[Any], old: str, new: str) -> None:
    """Counters for a bulk UPDATE that moved the checks it returned (`returning()`) from
    status `old` to `new`, neither done (nothing else the counters read changed)."""
    deltas: Counter[Key] = Counter()
    for values in rows:
        row = {**dict.fromkeys(COLUMNS), **dict(zip(COLUMNS, values, strict=False))}
        _difference(
            contributions({**row, "status": old}), contributions({**row, "status": new}), deltas
        )
    apply(session, deltas)


def inserted(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Counters for checks added by a bulk INSERT (`rows`: its values)."""
    deltas: Counter[Key] = Counter()
    for row in rows:
        _difference([], contributions({**dict.fromkeys(COLUMNS), **row}), deltas)
    apply(session, deltas)


def counted_afresh(session: Session, campaign_id: int) -> Counter[Key]:
    """The campaign's counters counted from its checks, row by row."""
    columns = [getattr(Check.__table__.c, name) for name in COLUMNS]  # type: ignore[attr-defined]
    found: Counter[Key] = Counter()
    success = _success()
    rows = session.connection().execute(
        select(*columns)
        .where(col(Check.campaign_id) == campaign_id)
        .execution_options(yield_per=10_000)
    )
    for row in rows:
        found.update(contributions(row._mapping, success))
    return found


def stored_counts(session: Session, campaign_id: int) -> Counter[Key]:
    """The campaign's counters as kept (zeros left out)."""
    table = CampaignTally.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(table.c.kind, table.c.channel, table.c.a, table.c.b, table.c.n).where(
            table.c.campaign_id == campaign_id, table.c.n != 0
        )
    )
    return Counter({(campaign_id, r.kind, r.channel, r.a, r.b): r.n for r in rows})


def recount(session: Session, campaign_id: int) -> None:
    """Replace the campaign's counters with its checks counted afresh."""
    table = CampaignTally.__table__  # type: ignore[attr-defined]
    session.connection().execute(table.delete().where(table.c.campaign_id == campaign_id))
    apply(session, counted_afresh(session, campaign_id))


def campaign_ids(session: Session) -> list[int]:
    found = session.connection().execute(
        select(col(Check.campaign_id)).where(col(Check.campaign_id).is_not(None)).distinct()
    )
    return sorted(i for (i,) in found if i is not None)

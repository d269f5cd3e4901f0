"""Whether a check needs a human (the review queue), kept on the check as `needs_review`.

The rule is one SQL condition, `rule()`: a final failure (its outcome after operators' verdicts)
with no verdict and no newer attempt on its contact in its campaign, an outcome whose
judgements (etiquette, transfers, grade) are not all given, or contacts the directory lacks
that nobody answered (storage.published). Evaluated per row it cost the queue's total hundreds
of milliseconds on a million checks (bench/web_queue.py); kept on the row, the queue reads a
partial index (`WHERE needs_review`).

The same rule keeps the flag, fills it (`recount`, migration 0012) and finds stale flags
(`stale`). It is kept by an `after_flush` listener on every ORM session: a check added,
changed or removed (and the older attempts on its contact in its campaign), a review or a
directory finding added or removed. Bulk INSERTs of checks call `refresh_attempts_before`
themselves (storage.campaigns.bulk_insert_attempts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, event, exists, func, or_, update
from sqlalchemy.orm import Session, aliased, attributes
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

from probe.channels import outcomes_where
from probe.results import CheckStatus
from probe.reviews import ReviewField
from storage.judgements import owned_judgements
from storage.models import Check, CheckEvent, Review
from storage.published import EVENT as UNLISTED_EVENT
from storage.published import needs_directory_check

CHUNK = 500
# The check's columns the rule reads (a change to any of them re-evaluates it).
RULE_COLUMNS = ("status", "outcome", "effective_outcome", "contact_id", "campaign_id")


def failed_outcomes() -> frozenset[str]:
    """Failures an operator must look at (the channels' `verdict` outcomes): the organisation's
    side, final (no newer attempt pending)."""
    return outcomes_where(lambda o: o.verdict)


def _judges_everyone() -> ColumnElement[bool]:
    """probe.reviews.judges_everyone in SQL: an etiquette review with an empty item (stored
    without spaces: "full,,none") leaves a person who answered not judged.

    Any such review counts, not only the newest: a complete review followed by a partial one
    takes the check out of the queue, while the check page (the newest review) still asks.
    """
    value = col(Review.value)
    return or_(
        col(Review.field) != ReviewField.ETIQUETTE.value,
        ~or_(value.startswith(","), value.endswith(","), value.contains(",,")),
    )


def _judged(fields: tuple[str, ...]) -> Any:
    """How many of `fields` have a review on the outer check.

    A scalar subquery, not NOT EXISTS: under an OR, PostgreSQL turns NOT EXISTS into a hashed
    subplan that reads the whole review table; a scalar subquery stays an index probe per row.
    """
    return (
        select(func.count(func.distinct(Review.field)))
        .where(
            col(Review.check_id) == col(Check.id),
            col(Review.field).in_(fields),
            _judges_everyone(),
        )
        .scalar_subquery()
    )


def _superseded() -> ColumnElement[bool]:
    # A newer attempt on the same contact in the same campaign (a retry or a re-queue) means
    # this failure is not the last word yet.
    newer = aliased(Check)
    return exists().where(
        col(newer.contact_id) == col(Check.contact_id),
        col(newer.campaign_id).is_not_distinct_from(col(Check.campaign_id)),
        col(newer.id) > col(Check.id),
    )


def rule() -> ColumnElement[bool]:
    """The condition that puts a check in the review queue, evaluated on the row."""
    effective = col(Check.effective_outcome)
    failed = and_(
        effective.in_(sorted(failed_outcomes())),
        _judged((ReviewField.VERDICT.value,)) == 0,
        ~_superseded(),
    )
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for outcome, fields in owned_judgements().items():
        by_fields.setdefault(fields, []).append(outcome)
    # The outcome after the operator's verdict: a call overturned to «соединение» still needs
    # its etiquette, one overturned to «автоответчик» no longer does.
    to_judge = [
        and_(effective.in_(outcomes), _judged(fields) < len(fields))
        for fields, outcomes in by_fields.items()
    ]
    return and_(
        col(Check.status) == CheckStatus.DONE.value,
        or_(failed, *to_judge, needs_directory_check()),
    )


def flagged() -> ColumnElement[bool]:
    """The stored flag as a condition; the form the partial indexes are declared with."""
    return col(Check.needs_review) == True  # noqa: E712 (SQL, not Python truth)


def _fresh() -> Any:
    return case((rule(), True), else_=False)


def refresh(session: Session, check_ids: Iterable[int]) -> None:
    """Set these checks' flags from the rule (an UPDATE of the rows that differ); objects in
    the session get the new value as loaded, not as a change to flush."""
    ids = sorted({i for i in check_ids if i is not None})
    table = Check.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    for start in range(0, len(ids), CHUNK):
        rows = connection.execute(
            select(col(Check.id), col(Check.needs_review), _fresh()).where(
                col(Check.id).in_(ids[start : start + CHUNK])
            )
        )
        changed = [
            {"b_id": i, "b_value": bool(new)} for i, old, new in rows if bool(old) != bool(new)
        ]
        if not changed:
            continue
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(needs_review=bindparam("b_value")),
            changed,
        )
        for item in changed:
            loaded = session.identity_map.get(identity_key(Check, item["b_id"]))
            if loaded is not None:
                attributes.set_committed_value(loaded, "needs_review", item["b_value"])


def _attempts(session: Session, pairs: Iterable[tuple[int, int | None]]) -> set[int]:
    """The checks on these (contact, campaign) pairs."""
    by_campaign: dict[int | None, set[int]] = {}
    for contact_id, campaign_id in pairs:
        by_campaign.setdefault(campaign_id, set()).add(contact_id)
    found: set[int] = set()
    connection = session.connection()
    for campaign_id, contacts in by_campaign.items():
        listed = sorted(contacts)
        for start in range(0, len(listed), CHUNK):
            rows = connection.execute(
                select(col(Check.id)).where(
                    col(Check.campaign_id).is_not_distinct_from(campaign_id),
                    col(Check.contact_id).in_(listed[start : start + CHUNK]),
                )
            )
            found.update(i for (i,) in rows if i is not None)
    return found


def refresh_attempts_before(
    session: Session, campaign_id: int | None, contact_ids: Iterable[int], first_new_id: int
) -> None:
    """After a bulk INSERT of checks (ids from `first_new_id`) on these contacts: the older
    attempts in the campaign that needed a human may not any more (a newer attempt)."""
    contacts = sorted(set(contact_ids))
    older: set[int] = set()
    for start in range(0, len(contacts), CHUNK):
        rows = session.connection().execute(
            select(col(Check.id)).where(
                flagged(),
                col(Check.campaign_id).is_not_distinct_from(campaign_id),
                col(Check.contact_id).in_(contacts[start : start + CHUNK]),
                col(Check.id) < first_new_id,
            )
        )
        older.update(i for (i,) in rows if i is not None)
    refresh(session, older)


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _before(obj: Any, name: str) -> Any:
    history = attributes.instance_state(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


def _names_a_check(obj: Any) -> bool:
    """A review, or a directory finding (what the rule reads besides the check)."""
    return isinstance(obj, Review) or (isinstance(obj, CheckEvent) and obj.kind == UNLISTED_EVENT)


def touched(session: Session) -> tuple[set[int], set[tuple[int, int | None]]]:
    """What a flush changed that the rule reads: check ids, and (contact, campaign) pairs
    whose attempts all need the rule again (a check added, moved or removed)."""
    ids: set[int] = set()
    pairs: set[tuple[int, int | None]] = set()
    for obj in session.new:
        if isinstance(obj, Check):
            pairs.add((obj.contact_id, obj.campaign_id))
        elif _names_a_check(obj) and obj.check_id is not None:
            ids.add(obj.check_id)
    for obj in session.dirty:
        if isinstance(obj, Check) and obj.id is not None and _changed(obj, RULE_COLUMNS):
            ids.add(obj.id)
            if _changed(obj, ("contact_id", "campaign_id")):
                pairs.add((_before(obj, "contact_id"), _before(obj, "campaign_id")))
                pairs.add((obj.contact_id, obj.campaign_id))
        elif isinstance(obj, Review) and _changed(obj, ("check_id", "field", "value")):
            ids.update(i for i in (obj.check_id, _before(obj, "check_id")) if i is not None)
        elif isinstance(obj, CheckEvent) and _changed(obj, ("check_id", "kind")):
            ids.update((obj.check_id, _before(obj, "check_id")))
    for obj in session.deleted:
        if isinstance(obj, Check):
            pairs.add((obj.contact_id, obj.campaign_id))
        elif isinstance(obj, Review | CheckEvent) and obj.check_id is not None:
            ids.add(obj.check_id)
    return ids, pairs


@event.listens_for(Session, "after_flush")
def _keep_flags(session: Session, _context: Any) -> None:
    """Re-evaluate the rule for what this flush changed, in the same transaction."""
    ids, pairs = touched(session)
    if pairs:
        ids |= _attempts(session, pairs)
    if ids:
        refresh(session, ids)


def recount(session: Session) -> None:
    """Every check's flag from the rule (migration 0012; a repair): the flagged rows the rule
    no longer holds for are cleared, the others the rule holds for are set."""
    session.execute(
        update(Check).where(flagged()).values(needs_review=_fresh()),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Check).where(col(Check.needs_review) == False, rule()).values(needs_review=True),  # noqa: E712
        execution_options={"synchronize_session": False},
    )


def stale(session: Session) -> list[int]:
    """The checks whose stored flag differs from the rule evaluated now (none, when kept)."""
    rows = session.connection().execute(
        select(col(Check.id)).where(col(Check.needs_review) != _fresh()).order_by(col(Check.id))
    )
    return [i for (i,) in rows if i is not None]

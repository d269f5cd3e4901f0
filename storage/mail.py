"""Keyword-only functions for the e-mail channel: the watcher's mailbox state, inbound
messages (matched or kept unmatched), and the steps that complete a waiting e-mail check."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, func, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, col, select

from probe.results import Channel, CheckStatus, Outcome, utc_now
from storage.checks import add_event
from storage.models import (
    Campaign,
    Check,
    CheckEvent,
    InboundMessage,
    MailboxState,
    Organisation,
)


class MailboxKey(Protocol):
    """Which mailbox (and which numbering of it) a message was read from."""

    @property
    def account(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def uidvalidity(self) -> int: ...


class _Many:
    """An INSERT or UPDATE run for many rows given as plain tuples, through the DBAPI's
    executemany (`Connection.exec_driver_sql`).

    Compiled once per kind of database (its SQL depends only on the dialect and its parameter
    style); each value goes through its column's bind processor here, once (a JSON column's
    value is serialised once). Through `Session.execute`, SQLAlchemy looked the statement up,
    built a dict of parameters and ran every processor through its own machinery for each row,
    which cost more than the database's work.
    """

    def __init__(
        self,
        table: Table,
        build: Callable[[], Executable],
        names: Sequence[str],
        columns: Sequence[str] | None = None,
    ) -> None:
        self.table = table
        self.build = build
        self.names = tuple(names)  # the bind parameters, in the order of each row's values
        self.columns = tuple(columns or names)  # the column each one is written to
        self._prepared: dict[tuple[str, str, str], tuple[str, list[Any], bool]] = {}

    def _prepare(self, dialect: Dialect) -> tuple[str, list[Any], bool]:
        key = (dialect.name, str(dialect.driver), str(dialect.paramstyle))
        prepared = self._prepared.get(key)
        if prepared is None:
            statement: Any = self.build()
            compiled = statement.compile(
                dialect=dialect, column_keys=list(self.names), for_executemany=True
            )
            processors = [
                self.table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
                for column in self.columns
            ]
            if compiled.positional:
                order = list(compiled.positiontup or [])
                unknown = set(order) - set(self.names)
                if unknown:
                    raise ValueError(f"no values given for {sorted(unknown)}")
                plan: list[Any] = [
                    (self.names.index(n), processors[self.names.index(n)]) for n in order
                ]
            else:
                plan = [(name, processor) for name, processor in zip(self.names, processors,
                        strict=True)]  # fmt: skip
            prepared = (compiled.string, plan, bool(compiled.positional))
            self._prepared[key] = prepared
        return prepared

    def run(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        sql, plan, positional = self._prepare(connection.dialect)
        if positional:
            params: list[Any] = [
                tuple(row[i] if p is None else p(row[i]) for i, p in plan) for row in rows
            ]
        else:
            params = [
                {name: row[i] if p is None else p(row[i])
                 for i, (name, p) in enumerate(plan)}
                for row in rows
            ]  # fmt: skip
        connection.exec_driver_sql(sql, params)


def get_mailbox_state(*, session: Session, account: str, mailbox: str) -> MailboxState | None:
    return session.exec(
        select(MailboxState).where(MailboxState.account == account, MailboxState.mailbox == mailbox)
    ).first()


def save_mailbox_state(
    *, session: Session, account: str, mailbox: str, uidvalidity: int, last_uid: int
) -> MailboxState:
    state = get_mailbox_state(session=session, account=account, mailbox=mailbox)
    if state is None:
        state = MailboxState(account=account, mailbox=mailbox, uidvalidity=uidvalidity)
    state.uidvalidity = uidvalidity
    state.last_uid = last_uid
    state.updated_at = utc_now()
    session.add(state)
    return state


def _inbound() -> Table:
    return InboundMessage.__table__  # type: ignore[attr-defined]


def inbound_uids_seen(
    *, session: Session, account: str, mailbox: str, uidvalidity: int, uids: Collection[int]
) -> set[int]:
    """Which of these UIDs are already recorded (one query for a fetched batch)."""
    if not uids:
        return set()
    table = _inbound()
    return set(
        session.connection().scalars(
            core_select(table.c.uid).where(
                table.c.account == account,
                table.c.mailbox == mailbox,
                table.c.uidvalidity == uidvalidity,
                table.c.uid.in_(list(uids)),
            )
        )
    )


def first_inbound_by_hash(
    *, session: Session, account: str, hashes: Collection[str]
) -> dict[str, int]:
    """For each of these hashes read before, the id of the first message that had those bytes
    (a mailbox whose UIDVALIDITY changed hands the same messages out again)."""
    if not hashes:
        return {}
    table = _inbound()
    rows = session.connection().execute(
        core_select(table.c.sha256, func.min(table.c.id))
        .where(table.c.account == account, table.c.sha256.in_(list(hashes)))
        .group_by(table.c.sha256)
    )
    return {sha256: first for sha256, first in rows if sha256 is not None and first is not None}


def add_inbound(*, session: Session, message: InboundMessage) -> InboundMessage:
    session.add(message)
    session.flush()
    return message


# What `insert_inbound` takes for each message, in this order.
INBOUND_COLUMNS = (
    "uid", "message_id", "in_reply_to", "from_address", "subject", "received_at", "kind",
    "check_id", "match_method", "weak_match", "evidence_path", "sha256", "size", "details",
)  # fmt: skip
_INSERT_INBOUND = _Many(
    _inbound(),
    lambda: insert(_inbound()),
    (*INBOUND_COLUMNS, "account", "mailbox", "uidvalidity", "created_at"),
)


def insert_inbound(
    *, session: Session, box: MailboxKey, rows: Sequence[tuple[Any, ...]]
) -> dict[int, int]:
    """Record messages of one mailbox, each given as its values of `INBOUND_COLUMNS`; returns
    uid -> id.

    One INSERT for the batch (executemany of plain tuples) and one SELECT for the ids: as
    objects, the ORM would insert them one at a time on SQLite to learn each generated id, and
    building the objects cost as much again.
    """
    if not rows:
        return {}
    connection = session.connection()
    mailbox = (box.account, box.name, box.uidvalidity, utc_now())
    _INSERT_INBOUND.run(connection, [(*row, *mailbox) for row in rows])
    table = _inbound()
    found = connection.execute(
        core_select(table.c.uid, table.c.id).where(
            table.c.account == box.account,
            table.c.mailbox == box.name,
            table.c.uidvalidity == box.uidvalidity,
            table.c.uid.in_([row[0] for row in rows]),
        )
    )
    return {uid: id_ for uid, id_ in found if id_ is not None}


def list_unmatched(*, session: Session, limit: int = 100) -> Sequence[InboundMessage]:
    """Messages no check claimed, newest first: an operator looks at them, nothing drops them."""
    return session.exec(
        select(InboundMessage)
        .where(col(InboundMessage.check_id).is_(None))
        .order_by(col(InboundMessage.id).desc())
        .limit(limit)
    ).all()


def recent_unmatched(*, session: Session, since: datetime) -> Sequence[InboundMessage]:
    return session.exec(
        select(InboundMessage)
        .where(col(InboundMessage.check_id).is_(None), col(InboundMessage.received_at) >= since)
        .order_by(col(InboundMessage.id))
    ).all()


def list_inbound(*, session: Session, check_id: int) -> Sequence[InboundMessage]:
    return session.exec(
        select(InboundMessage)
        .where(InboundMessage.check_id == check_id)
        .order_by(col(InboundMessage.id))
    ).all()


def email_check_refs(
    *, session: Session, since: datetime
) -> list[tuple[int, datetime | None, dict[str, Any]]]:
    """(id, started_at, details) of the e-mail checks sent since `since` that a message may
    still answer (waiting or done); plain rows, not objects: the watcher reads them for every
    batch."""
    checks = _checks()
    rows = session.connection().execute(
        core_select(checks.c.id, checks.c.started_at, checks.c.details).where(
            checks.c.channel == Channel.EMAIL.value,
            checks.c.status.in_([CheckStatus.WAITING.value, CheckStatus.DONE.value]),
            checks.c.started_at >= since,
        )
    )
    return [(id_, started_at, dict(details or {})) for id_, started_at, details in rows if id_]


def waiting_email_checks(*, session: Session) -> Sequence[Check]:
    return session.exec(
        select(Check)
        .where(Check.channel == Channel.EMAIL.value, Check.status == CheckStatus.WAITING.value)
        .order_by(col(Check.id))
    ).all()


def check_context(*, session: Session, check: Check) -> tuple[Organisation, Campaign | None]:
    organisation = session.get(Organisation, check.organisation_id)
    assert organisation is not None
    campaign = session.get(Campaign, check.campaign_id) if check.campaign_id else None
    return organisation, campaign


# The columns of a check that recording a message may change.
_WRITABLE = ("status", "outcome", "finished_at", "timings_ms", "details", "evidence", "updated_at")


@dataclass(eq=False)
class CheckRow:
    """A check as plain values: what `CheckBatch` loads, changes and writes back. Has the
    attributes of `Check` that the functions below read and set."""

    id: int
    status: str
    outcome: str | None
    started_at: datetime | None
    finished_at: datetime | None
    timings_ms: dict[str, float]
    details: dict[str, Any]
    evidence: list[dict[str, Any]]
    updated_at: datetime
    organisation_id: int
    campaign_id: int | None
    original: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OrganisationRow:
    id: int
    timezone: str
    hours: dict[str, Any] | None


class CheckBatch:
    """E-mail checks recorded together, for a whole fetched batch of messages: loaded as plain
    rows with their organisations' zones and hours and their campaigns' specs (three queries),
    changed in memory by the functions below (pass it as their `session`), and written back by
    `flush`: one UPDATE per set of changed columns and one INSERT for all their events.

    As ORM objects, building, tracking and flushing the checks and their events cost more than
    everything else recording a reply does; and each query in between flushed them first.
    """

    def __init__(self, *, session: Session, ids: Collection[int]) -> None:
        self.session = session
        self.checks: dict[int, CheckRow] = {}
        self.organisations: dict[int, OrganisationRow] = {}
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.events: list[tuple[Any, ...]] = []
        self._changed: dict[int, CheckRow] = {}
        # What a caller works out from these rows, kept for the batch by its own keys.
        self.derived: dict[Any, Any] = {}
        if not ids:
            return
        connection = session.connection()
        checks = _checks()
        columns = [checks.c[name] for name in _ROW_COLUMNS]
        for values in connection.execute(core_select(*columns).where(checks.c.id.in_(list(ids)))):
            row = CheckRow(*values)
            row.original = {name: getattr(row, name) for name in _WRITABLE}
            self.checks[row.id] = row
        organisations = Organisation.__table__  # type: ignore[attr-defined]
        organisation_ids = list({row.organisation_id for row in self.checks.values()})
        for id_, timezone, hours in connection.execute(
            core_select(organisations.c.id, organisations.c.timezone, organisations.c.hours).where(
                organisations.c.id.in_(organisation_ids)
            )
        ):
            self.organisations[id_] = OrganisationRow(id_, timezone, hours)
        campaign_ids = {r.campaign_id for r in self.checks.values() if r.campaign_id is not None}
        if campaign_ids:
            campaigns = Campaign.__table__  # type: ignore[attr-defined]
            for id_, spec in connection.execute(
                core_select(campaigns.c.id, campaigns.c.spec).where(
                    campaigns.c.id.in_(list(campaign_ids))
                )
            ):
                self.campaigns[id_] = spec

    def add(self, check: CheckRow) -> None:
        self._changed[check.id] = check

    def add_event(
        self, *, check: CheckRow, kind: str, message: str, data: dict[str, Any], at: datetime | None
    ) -> None:
        self.events.append((check.id, kind, message, data, at or utc_now()))

    def flush(self) -> None:
        """Write the changed checks and the events; the caller's transaction commits them."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in self._changed.values():
            names = tuple(n for n in _WRITABLE if getattr(row, n) != row.original[n])
            if names:
                groups.setdefault(names, []).append((*(getattr(row, n) for n in names), row.id))
                row.original = {name: getattr(row, name) for name in _WRITABLE}
        connection = self.session.connection()
        for names, rows in groups.items():
            _check_update(names).run(connection, rows)
        self._changed.clear()
        if self.events:
            _INSERT_EVENTS.run(connection, self.events)
            self.events = []


def _checks() -> Table:
    return Check.__table__  # type: ignore[attr-defined]


# The columns `CheckBatch` loads, in `CheckRow`'s order.
_ROW_COLUMNS = (
    "id", "status", "outcome", "started_at", "finished_at", "timings_ms", "details", "evidence",
    "updated_at", "organisation_id", "campaign_id",
)  # fmt: skip
_UPDATES: dict[tuple[str, ...], _Many] = {}
_INSERT_EVENTS = _Many(
    CheckEvent.__table__,  # type: ignore[attr-defined]
    lambda: insert(CheckEvent.__table__),  # type: ignore[attr-defined]
    ("check_id", "kind", "message", "data", "at"),
)


def _check_update(names: tuple[str, ...]) -> _Many:
    """UPDATE check_run SET <names> WHERE id = ?, for rows of (*values, id)."""
    statement = _UPDATES.get(names)
    if statement is None:

        def build() -> Executable:
            table = _checks()
            return (
                update(table)
                .where(table.c.id == bindparam("v_id"))
                .values({n: bindparam(f"v_{n}") for n in names})
            )

        statement = _UPDATES[names] = _Many(
            _checks(), build, [*(f"v_{n}" for n in names), "v_id"], [*names, "id"]
        )
    return statement


def check_timezone_hours_spec(
    *, session: Session | CheckBatch, check: Check | CheckRow
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """The organisation's time zone and hours and the campaign's spec of a check."""
    if isinstance(session, CheckBatch):
        organisation_row = session.organisations[check.organisation_id]
        spec = session.campaigns.get(check.campaign_id) if check.campaign_id else None
        return organisation_row.timezone, organisation_row.hours, spec
    assert isinstance(check, Check)
    organisation, campaign = check_context(session=session, check=check)
    return organisation.timezone, organisation.hours, campaign.spec if campaign else None


def _add_event(
    session: Session | CheckBatch,
    check: Any,
    *,
    kind: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    if isinstance(session, CheckBatch):
        session.add_event(check=check, kind=kind, message=message, data=data or {}, at=at)
    else:
        add_event(session=session, check=check, kind=kind, message=message, data=data, at=at)


def _merge_details(check: Check | CheckRow, extra: dict[str, Any]) -> None:
    # A new dict: JSON columns do not notice changes made in place.
    check.details = {**(check.details or {}), **extra}
    check.updated_at = utc_now()


def attach_evidence(
    *, session: Session | CheckBatch, check: Check | CheckRow, evidence: dict[str, Any]
) -> None:
    if evidence not in (check.evidence or []):
        check.evidence = [*(check.evidence or []), evidence]
        session.add(check)  # type: ignore[arg-type]


def record_auto_reply(
    *,
    session: Session | CheckBatch,
    check: Check | CheckRow,
    at: datetime,
    inbound_id: int,
    reason: str,
) -> None:
    """An auto-reply does not end the check: the human reply is still awaited."""
    if not (check.details or {}).get("auto_reply_at"):
        _merge_details(check, {"auto_reply_at": at.isoformat(), "auto_reply_reason": reason})
        session.add(check)  # type: ignore[arg-type]
    _add_event(
        session,
        check,
        kind="auto_reply",
        message=reason,
        data={"inbound_id": inbound_id, "at": at.isoformat()},
    )


def record_delay_notice(
    *,
    session: Session | CheckBatch,
    check: Check | CheckRow,
    at: datetime,
    inbound_id: int,
    notice: dict[str, Any],
) -> None:
    """A delayed-delivery notice is not a failure yet; it is kept on the timeline."""
    _merge_details(check, {"delay_notice_at": at.isoformat(), "delay_notice": notice})
    session.add(check)  # type: ignore[arg-type]
    _add_event(
        session,
        check,
        kind="delay_notice",
        message=notice.get("status") or "",
        data={"inbound_id": inbound_id, **notice},
    )


def complete_email_check(
    *,
    session: Session | CheckBatch,
    check: Check | CheckRow,
    outcome: Outcome,
    finished_at: datetime,
    details: dict[str, Any],
    timings_ms: dict[str, float] | None = None,
    message: str = "",
) -> Check | CheckRow:
    """End a waiting e-mail check: replied, bounced, auto_replied or no_reply."""
    if check.status != CheckStatus.WAITING.value:
        raise ValueError(f"check {check.id} is {check.status}, not waiting")
    check.outcome = outcome.value
    check.status = CheckStatus.DONE.value
    check.finished_at = finished_at
    if timings_ms:
        check.timings_ms = {**(check.timings_ms or {}), **timings_ms}
    _merge_details(check, details)
    session.add(check)  # type: ignore[arg-type]
    _add_event(
        session,
        check,
        kind="result",
        message=outcome.value + (f": {message}" if message else ""),
        data={k: v for k, v in details.items() if k in ("match_method", "weak_match", "bounce")},
        at=finished_at,
    )
    return check


def record_late_message(
    *,
    session: Session | CheckBatch,
    check: Check | CheckRow,
    kind: str,
    inbound_id: int,
    at: datetime,
) -> None:
    """A message for a check that has already ended: kept on its timeline, outcome unchanged."""
    _add_event(
        session,
        check,
        kind="late_message",
        message=kind,
        data={"inbound_id": inbound_id, "at": at.isoformat()},
    )

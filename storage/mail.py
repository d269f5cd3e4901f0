"""Keyword-only functions for the e-mail channel: the watcher's mailbox state, inbound
messages (matched or kept unmatched), and the steps that complete a waiting e-mail check."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy import select as core_select
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


def inbound_uids_seen(
    *, session: Session, account: str, mailbox: str, uidvalidity: int, uids: Collection[int]
) -> set[int]:
    """Which of these UIDs are already recorded (one query for a fetched batch)."""
    if not uids:
        return set()
    return set(
        session.exec(
            select(InboundMessage.uid).where(
                InboundMessage.account == account,
                InboundMessage.mailbox == mailbox,
                InboundMessage.uidvalidity == uidvalidity,
                col(InboundMessage.uid).in_(list(uids)),
            )
        ).all()
    )


def first_inbound_by_hash(
    *, session: Session, account: str, hashes: Collection[str]
) -> dict[str, int]:
    """For each of these hashes read before, the id of the first message that had those bytes
    (a mailbox whose UIDVALIDITY changed hands the same messages out again)."""
    if not hashes:
        return {}
    rows = session.exec(
        select(InboundMessage.sha256, func.min(InboundMessage.id))
        .where(InboundMessage.account == account, col(InboundMessage.sha256).in_(list(hashes)))
        .group_by(col(InboundMessage.sha256))
    ).all()
    return {sha256: first for sha256, first in rows if sha256 is not None and first is not None}


def add_inbound(*, session: Session, message: InboundMessage) -> InboundMessage:
    session.add(message)
    session.flush()
    return message


def insert_inbound(
    *, session: Session, box: MailboxKey, rows: Sequence[dict[str, Any]]
) -> dict[int, int]:
    """Record messages of one mailbox given as column values; returns uid -> id.

    One INSERT for the batch and one SELECT for the ids: as objects, the ORM would insert
    them one at a time on SQLite to learn each generated id, and building the objects cost
    as much again. Columns left out get the model's defaults.
    """
    if not rows:
        return {}
    created = utc_now()
    values = [
        {"subject": "", "weak_match": False, "details": {}, "created_at": created, **row,
         "account": box.account, "mailbox": box.name, "uidvalidity": box.uidvalidity}
        for row in rows
    ]  # fmt: skip
    session.execute(insert(InboundMessage), values)
    found = session.exec(
        select(InboundMessage.uid, InboundMessage.id).where(
            InboundMessage.account == box.account,
            InboundMessage.mailbox == box.name,
            InboundMessage.uidvalidity == box.uidvalidity,
            col(InboundMessage.uid).in_([row["uid"] for row in rows]),
        )
    ).all()
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
    rows = session.exec(
        select(Check.id, Check.started_at, Check.details).where(
            Check.channel == Channel.EMAIL.value,
            col(Check.status).in_([CheckStatus.WAITING.value, CheckStatus.DONE.value]),
            col(Check.started_at) >= since,
        )
    ).all()
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


@dataclass
class LoadedChecks:
    """Checks with their organisations and campaigns, loaded together. Holding this keeps them
    in the session, so `check_context` and `session.get` find them without a query (or the
    flush of pending changes that a query would cause)."""

    checks: dict[int, Check] = field(default_factory=dict)
    organisations: dict[int, Organisation] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)


def load_checks(*, session: Session, ids: Collection[int]) -> LoadedChecks:
    """The checks with these ids, their organisations and campaigns: three queries in all."""
    loaded = LoadedChecks()
    if not ids:
        return loaded
    for check in session.exec(select(Check).where(col(Check.id).in_(list(ids)))).all():
        assert check.id is not None
        loaded.checks[check.id] = check
    organisation_ids = {c.organisation_id for c in loaded.checks.values()}
    for organisation in session.exec(
        select(Organisation).where(col(Organisation.id).in_(list(organisation_ids)))
    ).all():
        assert organisation.id is not None
        loaded.organisations[organisation.id] = organisation
    campaign_ids = {c.campaign_id for c in loaded.checks.values() if c.campaign_id is not None}
    if campaign_ids:
        for campaign in session.exec(
            select(Campaign).where(col(Campaign.id).in_(list(campaign_ids)))
        ).all():
            assert campaign.id is not None
            loaded.campaigns[campaign.id] = campaign
    return loaded


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
        self.events: list[dict[str, Any]] = []
        self._changed: dict[int, CheckRow] = {}
        if not ids:
            return
        columns: list[Any] = [
            Check.id, Check.status, Check.outcome, Check.started_at, Check.finished_at,
            Check.timings_ms, Check.details, Check.evidence, Check.updated_at,
            Check.organisation_id, Check.campaign_id,
        ]  # fmt: skip
        for values in session.execute(core_select(*columns).where(col(Check.id).in_(list(ids)))):
            row = CheckRow(*values)
            row.original = {name: getattr(row, name) for name in _WRITABLE}
            self.checks[row.id] = row
        organisation_ids = list({row.organisation_id for row in self.checks.values()})
        for id_, timezone, hours in session.execute(
            select(Organisation.id, Organisation.timezone, Organisation.hours).where(
                col(Organisation.id).in_(organisation_ids)
            )
        ):
            self.organisations[id_] = OrganisationRow(id_, timezone, hours)
        campaign_ids = [r.campaign_id for r in self.checks.values() if r.campaign_id is not None]
        if campaign_ids:
            for id_, spec in session.execute(
                select(Campaign.id, Campaign.spec).where(col(Campaign.id).in_(set(campaign_ids)))
            ):
                self.campaigns[id_] = spec

    def add(self, check: CheckRow) -> None:
        self._changed[check.id] = check

    def add_event(
        self, *, check: CheckRow, kind: str, message: str, data: dict[str, Any], at: datetime | None
    ) -> None:
        self.events.append(
            {"check_id": check.id, "kind": kind, "message": message, "data": data,
             "at": at or utc_now()}
        )  # fmt: skip

    def flush(self) -> None:
        """Write the changed checks and the events; the caller's transaction commits them."""
        table = Check.__table__  # type: ignore[attr-defined]
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in self._changed.values():
            names = tuple(n for n in _WRITABLE if getattr(row, n) != row.original[n])
            if names:
                values = {f"v_{n}": getattr(row, n) for n in names}
                groups.setdefault(names, []).append({"v_id": row.id, **values})
                row.original = {name: getattr(row, name) for name in _WRITABLE}
        for names, params in groups.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("v_id"))
                .values({n: bindparam(f"v_{n}") for n in names})
            )
            self.session.execute(statement, params)
        self._changed.clear()
        if self.events:
            self.session.execute(insert(CheckEvent), self.events)
            self.events = []


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

"""The e-mail channel's storage: keyword-only functions for the watcher's mailbox state, inbound
messages (matched or kept unmatched), and what a waiting e-mail check keeps on its timeline
before its final outcome (which the engine stores: adapters/email/outcome.py). The
tables (`MailboxState`, `InboundMessage`) stay in `storage.models`, where Alembic's env finds
them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, func, insert
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from adapters.email.names import CHANNEL
from probe.channels import mail_reply_channels
from probe.results import CheckStatus, utc_now
from storage.events import add_event
from storage.models import (
    Campaign,
    Check,
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


def _checks() -> Table:
    return Check.__table__  # type: ignore[attr-defined]


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


def insert_inbound(
    *, session: Session, box: MailboxKey, rows: Sequence[tuple[Any, ...]]
) -> dict[int, int]:
    """Record messages of one mailbox, each given as its values of `INBOUND_COLUMNS`; returns
    uid -> id. One INSERT for the batch (executemany) and one SELECT for the ids: as objects,
    the ORM would insert them one at a time on SQLite to learn each generated id."""
    if not rows:
        return {}
    table = _inbound()
    mailbox = {"account": box.account, "mailbox": box.name, "uidvalidity": box.uidvalidity,
               "created_at": utc_now()}  # fmt: skip
    values = [dict(zip(INBOUND_COLUMNS, row, strict=True)) | mailbox for row in rows]
    session.execute(insert(table), values)
    found = session.execute(
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
    still answer (waiting or done), and of the waiting follow-ups of the channels whose answers
    come by mail (probe.channels.MailReply: a question asked through a website's form); plain
    rows, not objects: the watcher reads them for every batch."""
    checks = _checks()
    email = (checks.c.channel == CHANNEL) & checks.c.status.in_(
        [CheckStatus.WAITING.value, CheckStatus.DONE.value]
    )
    followed = checks.c.channel.in_(list(mail_reply_channels())) & (
        checks.c.status == CheckStatus.WAITING.value
    )
    rows = session.connection().execute(
        core_select(checks.c.id, checks.c.started_at, checks.c.details).where(
            email | followed, checks.c.started_at >= since
        )
    )
    return [(id_, started_at, dict(details or {})) for id_, started_at, details in rows if id_]


def waiting_email_checks(*, session: Session) -> Sequence[Check]:
    """The waiting e-mail checks and the waiting follow-ups answered by mail."""
    channels = [CHANNEL, *mail_reply_channels()]
    return session.exec(
        select(Check)
        .where(col(Check.channel).in_(channels), Check.status == CheckStatus.WAITING.value)
        .order_by(col(Check.id))
    ).all()


def check_context(*, session: Session, check: Check) -> tuple[Organisation, Campaign | None]:
    organisation = session.get(Organisation, check.organisation_id)
    assert organisation is not None
    campaign = session.get(Campaign, check.campaign_id) if check.campaign_id else None
    return organisation, campaign


def checks_by_id(*, session: Session, ids: Collection[int]) -> dict[int, Check]:
    """The checks a fetched batch claims, in one query."""
    if not ids:
        return {}
    found = session.exec(select(Check).where(col(Check.id).in_(list(ids)))).all()
    return {check.id: check for check in found if check.id is not None}


def zones_hours_and_campaigns(
    *, session: Session, checks: Iterable[Check]
) -> tuple[dict[int, tuple[str, dict[str, Any] | None]], dict[int, Campaign]]:
    """What a reply's timing needs of these checks: their organisations' (time zone, hours)
    (a narrow query: whole objects cost more to build than the rest of recording a reply) and
    their campaigns, by id. The campaigns are whole objects the caller keeps: the engine reads
    each check's campaign when it stores the outcome, from the session's identity map instead
    of a query per reply."""
    checks = list(checks)
    organisations = Organisation.__table__  # type: ignore[attr-defined]
    organisation_ids = list({check.organisation_id for check in checks})
    campaign_ids = list({check.campaign_id for check in checks if check.campaign_id})
    rows = session.execute(
        core_select(organisations.c.id, organisations.c.timezone, organisations.c.hours).where(
            organisations.c.id.in_(organisation_ids)
        )
    )
    zones = {id_: (timezone, hours) for id_, timezone, hours in rows}
    campaigns: dict[int, Campaign] = {}
    if campaign_ids:
        found = session.exec(select(Campaign).where(col(Campaign.id).in_(campaign_ids))).all()
        campaigns = {c.id: c for c in found if c.id is not None}
    return zones, campaigns


def _merge_details(check: Check, extra: dict[str, Any]) -> None:
    # A new dict: JSON columns do not notice changes made in place.
    check.details = {**(check.details or {}), **extra}
    check.updated_at = utc_now()


def attach_evidence(*, session: Session, check: Check, evidence: dict[str, Any]) -> None:
    if evidence not in (check.evidence or []):
        check.evidence = [*(check.evidence or []), evidence]
        session.add(check)


def record_auto_reply(
    *,
    session: Session,
    check: Check,
    at: datetime,
    inbound_id: int,
    reason: str,
) -> None:
    """An auto-reply does not end the check: the human reply is still awaited."""
    if not (check.details or {}).get("auto_reply_at"):
        _merge_details(check, {"auto_reply_at": at.isoformat(), "auto_reply_reason": reason})
        session.add(check)
    add_event(
        session=session,
        check=check,
        kind="auto_reply",
        message=reason,
        data={"inbound_id": inbound_id, "at": at.isoformat()},
    )


def record_delay_notice(
    *,
    session: Session,
    check: Check,
    at: datetime,
    inbound_id: int,
    notice: dict[str, Any],
) -> None:
    """A delayed-delivery notice is not a failure yet; it is kept on the timeline."""
    _merge_details(check, {"delay_notice_at": at.isoformat(), "delay_notice": notice})
    session.add(check)
    add_event(
        session=session,
        check=check,
        kind="delay_notice",
        message=notice.get("status") or "",
        data={"inbound_id": inbound_id, **notice},
    )


def record_late_message(
    *,
    session: Session,
    check: Check,
    kind: str,
    inbound_id: int,
    at: datetime,
) -> None:
    """A message for a check that has already ended: kept on its timeline, outcome unchanged."""
    add_event(
        session=session,
        check=check,
        kind="late_message",
        message=kind,
        data={"inbound_id": inbound_id, "at": at.isoformat()},
    )

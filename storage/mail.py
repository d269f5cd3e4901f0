"""Keyword-only functions for the e-mail channel: the watcher's mailbox state, inbound
messages (matched or kept unmatched), and the steps that complete a waiting e-mail check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from probe.results import Channel, CheckStatus, Outcome, utc_now
from storage.checks import add_event
from storage.models import Campaign, Check, InboundMessage, MailboxState, Organisation


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


def inbound_seen(
    *, session: Session, account: str, mailbox: str, uidvalidity: int, uid: int
) -> bool:
    return (
        session.exec(
            select(InboundMessage.id).where(
                InboundMessage.account == account,
                InboundMessage.mailbox == mailbox,
                InboundMessage.uidvalidity == uidvalidity,
                InboundMessage.uid == uid,
            )
        ).first()
        is not None
    )


def inbound_with_hash(*, session: Session, account: str, sha256: str) -> InboundMessage | None:
    """The same bytes read before (a mailbox whose UIDVALIDITY changed hands them out again)."""
    return session.exec(
        select(InboundMessage).where(
            InboundMessage.account == account, InboundMessage.sha256 == sha256
        )
    ).first()


def add_inbound(*, session: Session, message: InboundMessage) -> InboundMessage:
    session.add(message)
    session.flush()
    return message


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


def email_checks_since(*, session: Session, since: datetime) -> Sequence[Check]:
    """E-mail checks sent since `since` that a message may still answer (waiting or done)."""
    return session.exec(
        select(Check).where(
            Check.channel == Channel.EMAIL.value,
            col(Check.status).in_([CheckStatus.WAITING.value, CheckStatus.DONE.value]),
            col(Check.started_at) >= since,
        )
    ).all()


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


def _merge_details(check: Check, extra: dict[str, Any]) -> None:
    # A new dict: JSON columns do not notice changes made in place.
    check.details = {**(check.details or {}), **extra}
    check.updated_at = utc_now()


def attach_evidence(*, session: Session, check: Check, evidence: dict[str, Any]) -> None:
    if evidence not in (check.evidence or []):
        check.evidence = [*(check.evidence or []), evidence]
        session.add(check)


def record_auto_reply(
    *, session: Session, check: Check, at: datetime, inbound_id: int, reason: str
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
    *, session: Session, check: Check, at: datetime, inbound_id: int, notice: dict[str, Any]
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


def complete_email_check(
    *,
    session: Session,
    check: Check,
    outcome: Outcome,
    finished_at: datetime,
    details: dict[str, Any],
    timings_ms: dict[str, float] | None = None,
    message: str = "",
) -> Check:
    """End a waiting e-mail check: replied, bounced, auto_replied or no_reply."""
    if check.status != CheckStatus.WAITING.value:
        raise ValueError(f"check {check.id} is {check.status}, not waiting")
    check.outcome = outcome.value
    check.status = CheckStatus.DONE.value
    check.finished_at = finished_at
    if timings_ms:
        check.timings_ms = {**(check.timings_ms or {}), **timings_ms}
    _merge_details(check, details)
    session.add(check)
    add_event(
        session=session,
        check=check,
        kind="result",
        message=outcome.value + (f": {message}" if message else ""),
        data={k: v for k, v in details.items() if k in ("match_method", "weak_match", "bounce")},
        at=finished_at,
    )
    return check


def record_late_message(
    *, session: Session, check: Check, kind: str, inbound_id: int, at: datetime
) -> None:
    """A message for a check that has already ended: kept on its timeline, outcome unchanged."""
    add_event(
        session=session,
        check=check,
        kind="late_message",
        message=kind,
        data={"inbound_id": inbound_id, "at": at.isoformat()},
    )

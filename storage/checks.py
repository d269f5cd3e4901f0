"""Keyword-only functions for campaigns, checks and their timelines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from probe.results import CheckResult, CheckStatus, utc_now
from storage.models import Campaign, Check, CheckEvent, Contact


def create_campaign(
    *,
    session: Session,
    name: str,
    title: str = "",
    channels: Sequence[str] = (),
    spec: dict[str, Any] | None = None,
    historical: bool = False,
) -> Campaign:
    campaign = Campaign(
        name=name, title=title, channels=list(channels), spec=spec or {}, historical=historical
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign_by_name(*, session: Session, name: str) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


def list_campaigns(*, session: Session) -> Sequence[Campaign]:
    return session.exec(select(Campaign).order_by(col(Campaign.id))).all()


def create_check(
    *,
    session: Session,
    contact: Contact,
    campaign_id: int | None = None,
    planned_at: datetime | None = None,
    attempt: int = 1,
    historical: bool = False,
    reason: str = "",
) -> Check:
    assert contact.id is not None
    check = Check(
        campaign_id=campaign_id,
        organisation_id=contact.organisation_id,
        contact_id=contact.id,
        channel=contact.channel,
        planned_at=planned_at,
        attempt=attempt,
        historical=historical,
    )
    session.add(check)
    session.flush()
    add_event(session=session, check=check, kind="planned", message=reason)
    return check


def add_event(
    *,
    session: Session,
    check: Check,
    kind: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CheckEvent:
    assert check.id is not None
    event = CheckEvent(
        check_id=check.id, kind=kind, message=message, data=data or {}, at=at or utc_now()
    )
    session.add(event)
    return event


def record_result(*, session: Session, check: Check, result: CheckResult) -> Check:
    """Store what a channel returned; a pending result keeps the check waiting (e-mail sent)."""
    if result.channel.value != check.channel:
        raise ValueError(f"result for {result.channel.value} stored on a {check.channel} check")
    check.outcome = result.outcome.value if result.outcome else None
    check.started_at = result.started_at
    check.finished_at = result.finished_at
    check.timings_ms = dict(result.timings_ms)
    check.error_class = result.error_class
    check.error_detail = result.error_detail
    check.details = dict(result.details)
    check.evidence = [e.model_dump(mode="json") for e in result.evidence]
    check.status = (CheckStatus.WAITING if result.pending else CheckStatus.DONE).value
    check.updated_at = utc_now()
    session.add(check)
    add_event(
        session=session,
        check=check,
        kind="pending" if result.pending else "result",
        message=result.outcome.value if result.outcome else "",
        data={"error_class": result.error_class} if result.error_class else {},
    )
    return check


def list_events(*, session: Session, check_id: int) -> Sequence[CheckEvent]:
    return session.exec(
        select(CheckEvent).where(CheckEvent.check_id == check_id).order_by(col(CheckEvent.id))
    ).all()


def list_checks(
    *,
    session: Session,
    campaign_id: int | None = None,
    organisation_id: int | None = None,
    channel: str | None = None,
) -> Sequence[Check]:
    query = select(Check)
    if campaign_id is not None:
        query = query.where(Check.campaign_id == campaign_id)
    if organisation_id is not None:
        query = query.where(Check.organisation_id == organisation_id)
    if channel:
        query = query.where(Check.channel == channel)
    return session.exec(query.order_by(col(Check.id))).all()

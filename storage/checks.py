"""Keyword-only functions for campaigns, checks and their timelines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from probe.results import CheckResult, CheckStatus, FollowUp, utc_now
from probe.reviews import ReviewField, validate_review
from storage import needs_review as needs_review
from storage.audit import write_audit
from storage.events import add_event
from storage.judgements import refresh_effective_outcome
from storage.models import Campaign, Check, CheckEvent, Contact, Review


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


def record_result(
    *,
    session: Session,
    check: Check,
    result: CheckResult,
    note: str = "",
    event_data: dict[str, Any] | None = None,
    event_at: datetime | None = None,
) -> Check:
    """Store what a channel returned; a pending result keeps the check waiting (e-mail sent).
    `note`, `event_data` and `event_at` complete its timeline event."""
    if result.channel != check.channel:
        raise ValueError(f"result for {result.channel} stored on a {check.channel} check")
    # An operator's verdict can stand only on a check reviewed before (done already, or
    # overturned while waiting): only then are its verdicts read again.
    reviewed = check.status == CheckStatus.DONE.value or check.effective_outcome != check.outcome
    check.outcome = result.outcome
    check.started_at = result.started_at
    check.finished_at = result.finished_at
    check.timings_ms = dict(result.timings_ms)
    check.error_class = result.error_class
    check.error_detail = result.error_detail
    check.details = dict(result.details)
    check.evidence = [e.model_dump(mode="json") for e in result.evidence]
    check.status = (CheckStatus.WAITING if result.pending else CheckStatus.DONE).value
    if reviewed:
        refresh_effective_outcome(session=session, check=check)
    else:
        check.effective_outcome = result.outcome
    check.updated_at = utc_now()
    session.add(check)
    add_event(
        session=session,
        check=check,
        kind="pending" if result.pending else "result",
        message=(result.outcome if result.outcome else "") + (f": {note}" if note else ""),
        data={
            **({"error_class": result.error_class} if result.error_class else {}),
            **(event_data or {}),
        },
        at=event_at,
    )
    return check


def create_follow_up(*, session: Session, check: Check, follow_up: FollowUp) -> Check:
    """A `waiting` check for what `check`'s result asks to wait for (probe.results.FollowUp):
    the same organisation, contact, channel and campaign, started when the follow-up began;
    its details name the check it follows (`follow_up_of`) and its kind."""
    assert check.id is not None
    waiting = Check(
        campaign_id=check.campaign_id,
        organisation_id=check.organisation_id,
        contact_id=check.contact_id,
        channel=check.channel,
        status=CheckStatus.WAITING.value,
        attempt=check.attempt,
        historical=check.historical,
        planned_at=follow_up.started_at,
        started_at=follow_up.started_at,
        details={**follow_up.details, "follow_up_of": check.id, "follow_up": follow_up.kind},
    )
    session.add(waiting)
    session.flush()
    add_event(
        session=session,
        check=waiting,
        kind="pending",
        message=f"{follow_up.kind}: follows check {check.id}",
        at=follow_up.started_at,
    )
    return waiting


def list_events(*, session: Session, check_id: int) -> Sequence[CheckEvent]:
    return session.exec(
        select(CheckEvent).where(CheckEvent.check_id == check_id).order_by(col(CheckEvent.id))
    ).all()


def add_review(
    *,
    session: Session,
    author: str,
    field: str,
    value: str,
    reason: str = "",
    check_id: int | None = None,
    organisation_id: int | None = None,
    campaign_id: int | None = None,
) -> Review:
    """Record an operator's judgement (vocabulary in probe.reviews) and audit it."""
    review_field, value = validate_review(field, value)
    if check_id is None and organisation_id is None:
        raise ValueError("a review is about a check or an organisation")
    review = Review(
        check_id=check_id,
        organisation_id=organisation_id,
        campaign_id=campaign_id,
        author=author,
        field=review_field.value,
        value=value,
        reason=reason,
    )
    session.add(review)
    session.flush()
    if review_field.value == ReviewField.VERDICT.value and check_id is not None:
        check = session.get(Check, check_id)
        if check is not None:
            refresh_effective_outcome(session=session, check=check)
            check.updated_at = utc_now()
    write_audit(
        session=session,
        actor=author,
        action="review",
        entity="check" if check_id is not None else "organisation",
        entity_id=str(check_id if check_id is not None else organisation_id),
        before=None,
        after={"field": review_field.value, "value": value, "reason": reason},
    )
    return review


def list_reviews(
    *,
    session: Session,
    check_id: int | None = None,
    organisation_id: int | None = None,
    campaign_id: int | None = None,
) -> Sequence[Review]:
    query = select(Review)
    if check_id is not None:
        query = query.where(Review.check_id == check_id)
    if organisation_id is not None:
        query = query.where(Review.organisation_id == organisation_id)
    if campaign_id is not None:
        query = query.where(Review.campaign_id == campaign_id)
    return session.exec(query.order_by(col(Review.id))).all()


class RequeueError(ValueError):
    """A refused re-queue: `reason` says which rule, `other_id` the check or contact it names."""

    def __init__(self, reason: str, *, other_id: int | None = None, detail: str = "") -> None:
        super().__init__(f"cannot re-queue: {reason}" + (f" ({other_id})" if other_id else ""))
        self.reason = reason
        self.other_id = other_id
        self.detail = detail


OVER_CAMPAIGN_STATUSES = frozenset({"done", "cancelled"})


def newer_attempt(*, session: Session, check: Check) -> Check | None:
    """The next attempt on the check's contact in its campaign (a retry or a re-queue)."""
    return session.exec(
        select(Check)
        .where(
            Check.contact_id == check.contact_id,
            col(Check.campaign_id).is_not_distinct_from(check.campaign_id),
            col(Check.id) > (check.id or 0),
        )
        .order_by(col(Check.id))
    ).first()


def _refuse_requeue(*, session: Session, check: Check, contact: Contact) -> None:
    """One re-queue per failure, on a contact still in use, in a campaign not over."""
    if check.status != CheckStatus.DONE.value:
        raise RequeueError("not_done")
    newer = newer_attempt(session=session, check=check)
    if newer is not None:
        finished = newer.status in (CheckStatus.DONE.value, CheckStatus.CANCELLED.value)
        raise RequeueError("newer_done" if finished else "newer_pending", other_id=newer.id)
    if not contact.active or contact.superseded_by_id is not None:
        raise RequeueError("contact_inactive", other_id=contact.superseded_by_id)
    campaign = session.get(Campaign, check.campaign_id) if check.campaign_id else None
    if campaign is not None and campaign.status in OVER_CAMPAIGN_STATUSES:
        raise RequeueError("campaign_over", detail=campaign.status)


def requeue_check(*, session: Session, check: Check, actor: str, reason: str) -> Check:
    """A new attempt on the same contact, left for the planner to place in the next window.

    The new check has no planned instant: the campaign planner gives it one that respects the
    organisation's hours and the politeness rules, exactly like any other attempt. Refused
    (RequeueError) for an unfinished check, one already followed by a newer attempt, a contact
    replaced or switched off, or a campaign done or cancelled.
    """
    assert check.id is not None
    contact = session.get(Contact, check.contact_id)
    assert contact is not None
    _refuse_requeue(session=session, check=check, contact=contact)
    again = create_check(
        session=session,
        contact=contact,
        campaign_id=check.campaign_id,
        planned_at=None,
        attempt=check.attempt + 1,
        reason=f"re-queued by {actor}: {reason}",
    )
    again.details = {"requeued_from": check.id}
    add_event(
        session=session,
        check=check,
        kind="requeued",
        message=reason,
        data={"by": actor, "new_check_id": again.id},
    )
    write_audit(
        session=session,
        actor=actor,
        action="requeue",
        entity="check",
        entity_id=str(check.id),
        before=None,
        after={"new_check_id": again.id, "reason": reason},
    )
    return again

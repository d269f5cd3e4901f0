"""The policy step: after a result, schedules/policy.py decides and this module carries the
decision out in the same transaction (retries placed in the organisation's next window, planned
attempts brought forward, every decision a line in the check's timeline). Placing a re-queued
check in its next window is the same placement."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.results import CheckStatus
from schedules.planner import windows_for
from schedules.policy import Decision, Finished, decide
from schedules.spec import CampaignSpec
from storage import campaigns as q
from storage import runs
from storage.checks import add_event, create_check
from storage.engine import session_scope
from storage.models import Check, Contact
from storage.planning import ContactInput, OrganisationInput


def campaign_spec(session: Session, campaign_id: int) -> CampaignSpec:
    return CampaignSpec.model_validate(
        runs.campaign_spec_data(session=session, campaign_id=campaign_id)
    )


def organisation_input(session: Session, organisation_id: int, channel: str) -> OrganisationInput:
    org, rows = runs.probeable_contacts(
        session=session, organisation_id=organisation_id, channel=channel
    )
    assert org.id is not None
    contacts = [ContactInput(c.id or 0, c.channel, c.position) for c in rows]
    hours_key = f"{org.region}|{org.hours_raw}"  # as storage.campaigns: region defaults
    return OrganisationInput(org.id, org.timezone, org.hours, hours_key, tuple(contacts))


def apply_policy(
    session: Session,
    check: Check,
    spec: CampaignSpec,
    outcome: str,
    *,
    now: datetime,
    rng: random.Random,
) -> None:
    """Decide what follows `outcome` and do it; `now` is the runner's clock, not the
    channel's: retries are planned on one time line (they differ only when the sandbox
    compresses time)."""
    assert check.id is not None and check.campaign_id is not None
    finished = Finished(
        check_id=check.id,
        organisation_id=check.organisation_id,
        contact_id=check.contact_id,
        channel=check.channel,
        outcome=outcome,
        finished_at=now,
    )
    org_input = organisation_input(session, check.organisation_id, check.channel)
    history = q.organisation_history(
        session=session,
        campaign_id=check.campaign_id,
        organisation_id=check.organisation_id,
        channel=check.channel,
    )
    decision = decide(spec, finished, org_input.contacts, history, rng=rng)
    carry_out(session, check, spec, org_input, decision)
    add_event(
        session=session,
        check=check,
        kind=q.POLICY_EVENT,
        message=f"attempt policy applied to {outcome}",
    )


def carry_out(
    session: Session, check: Check, spec: CampaignSpec, org: OrganisationInput, decision: Decision
) -> None:
    """The decision's notes, retries and advances, in the check's timeline."""
    for note in decision.notes:
        add_event(session=session, check=check, kind="decision", message=note)
    _plan_retries(session, check, spec, org, decision)
    _bring_forward(session, check, spec, org, decision)


def _plan_retries(
    session: Session, check: Check, spec: CampaignSpec, org: OrganisationInput, decision: Decision
) -> None:
    assert check.campaign_id is not None
    for retry in decision.retries:
        at = place(session, spec, org, check.campaign_id, retry.earliest)
        if at is None:
            add_event(
                session=session,
                check=check,
                kind="decision",
                message=f"{retry.reason}; no window left before the campaign ends",
            )
            continue
        contact = session.get(Contact, retry.contact_id)
        assert contact is not None
        again = create_check(
            session=session,
            contact=contact,
            campaign_id=check.campaign_id,
            planned_at=at,
            # Per number: another number's first attempt is its attempt 1 (the sandbox and
            # the SIP routes pick a number's behaviour by it).
            attempt=check.attempt + 1 if retry.contact_id == check.contact_id else 1,
            reason=f"{retry.reason} (after check {check.id})",
        )
        if not retry.counts_against_organisation:
            again.details = {"retry_of": check.id, "our_failure": True}
        add_event(
            session=session,
            check=check,
            kind="decision",
            message=f"{retry.reason}: check {again.id} at {at.isoformat()}",
        )


def _bring_forward(
    session: Session, check: Check, spec: CampaignSpec, org: OrganisationInput, decision: Decision
) -> None:
    assert check.campaign_id is not None
    for advance in decision.advances:
        planned = session.get(Check, advance.check_id)
        if planned is None or planned.status != CheckStatus.PLANNED.value:
            continue
        at = place(session, spec, org, check.campaign_id, advance.earliest)
        if at is not None and (planned.planned_at is None or at < planned.planned_at):
            planned.planned_at = at
            add_event(
                session=session,
                check=planned,
                kind="decision",
                message=f"{advance.reason} (after check {check.id})",
            )


def place(
    session: Session,
    spec: CampaignSpec,
    org: OrganisationInput,
    campaign_id: int,
    earliest: datetime,
) -> datetime | None:
    """The first instant >= earliest inside the windows, within the per-day limit and a
    quiet period away from the organisation's other planned attempts."""
    windows = windows_for(spec, org)
    zone = ZoneInfo(org.timezone)
    quiet = timedelta(minutes=spec.limits.quiet_minutes)
    per_day = spec.per_organisation_per_day()
    others = q.busy_instants(session=session, campaign_id=campaign_id, organisation_id=org.id)
    instant = windows.first_open_at_or_after(earliest.timestamp())
    for _ in range(64):
        if instant is None:
            return None
        at = datetime.fromtimestamp(instant, ZoneInfo("UTC"))
        day = at.astimezone(zone).date()
        day_start = datetime.combine(day, datetime.min.time(), zone)
        count = q.day_count(
            session=session,
            campaign_id=campaign_id,
            organisation_id=org.id,
            start=day_start,
            end=day_start + timedelta(days=1),
        )
        if per_day is not None and count >= per_day:
            instant = windows.next_day_start_after(instant, org.timezone)
            continue
        clash = next((o for o in others if abs(o - at) < quiet), None)
        if clash is not None:
            instant = windows.first_open_at_or_after((clash + quiet).timestamp())
            continue
        return at
    return None


def place_unplaced(engine: Engine, now: datetime) -> None:
    """Re-queued checks (no planned instant) get the first instant their windows allow."""
    with session_scope(engine) as session:
        for check in q.unplaced_checks(session=session):
            assert check.campaign_id is not None
            spec = campaign_spec(session, check.campaign_id)
            org = organisation_input(session, check.organisation_id, check.channel)
            at = place(session, spec, org, check.campaign_id, now)
            if at is None:
                check.status = CheckStatus.CANCELLED.value
                message = "re-queued, but no window left before the campaign ends"
            else:
                check.planned_at = at
                message = f"placed in the next window: {at.isoformat()}"
            add_event(session=session, check=check, kind="decision", message=message)

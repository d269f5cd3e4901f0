"""Where a check's result goes once its probe (or its channel's answer after a crash) has one:
stored with the outage watch and the policy step in one transaction (`finish`), the control
probe a streak asks for (`control`), and a check the channel says never happened put back
(`reset`). The in-process runner and the queue workers both end their checks here."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe import metrics
from probe.channels import our_failure_outcome
from probe.clock import Clock, SystemClock
from probe.results import CheckResult, CheckStatus
from probe.settings import Settings
from schedules import control as control_probe
from schedules import lifecycle, outage
from schedules.executor import Job, Runtime, ask_in_flight
from schedules.policy import Decision, Retry
from schedules.policy_step import apply_policy, campaign_spec, carry_out, organisation_input
from schedules.spec import CampaignSpec
from storage.checks import add_event, create_follow_up, record_result
from storage.engine import in_transaction, session_scope
from storage.judgements import refresh_effective_outcome
from storage.models import Campaign, Check
from storage.published import note_unlisted_contacts


def finish(rt: Runtime, job: Job, result: CheckResult, how: str) -> outage.ControlNeeded | None:
    """Store the result with the policy's decisions; a ControlNeeded when the outage watch
    asks for a control probe (the caller places it: `control`). A transaction PostgreSQL
    aborts as a deadlock's victim is run again (`in_transaction`): a call that happened is
    never lost to a lock order."""

    def store(session: Session) -> outage.AuditLog | outage.ControlNeeded | None:
        check = _locked(rt, session, job.check_id, CheckStatus.RUNNING)
        if check is None:
            return None
        target = control_probe.control_target(check.channel, rt.settings)
        return record(rt, session, check, result, how=how, control_target=target, spec=job.spec)

    watched = in_transaction(rt.engine, store)
    return watched if isinstance(watched, outage.ControlNeeded) else None


def record(
    rt: Runtime,
    session: Session,
    check: Check,
    result: CheckResult,
    *,
    how: str = "result",
    control_target: str | None = None,
    note: str = "",
    event_data: dict[str, Any] | None = None,
    event_at: datetime | None = None,
    policy: bool = True,
    spec: CampaignSpec | None = None,
) -> outage.AuditLog | outage.ControlNeeded | None:
    """The one way a final result is stored: the check's row and timeline (with the contacts
    it found published that the directory lacks, and the follow-up checks it asks for), the
    outage watch, the attempt policy and
    the campaign's end, in the caller's transaction."""
    record_result(
        session=session, check=check, result=result, note=note, event_data=event_data,
        event_at=event_at,
    )  # fmt: skip
    if not result.pending:
        # Contacts it found published that the directory lacks: to the review queue.
        note_unlisted_contacts(session, check, result.details)
    for follow_up in result.follow_ups:  # waited for as checks of their own (a form's answer)
        create_follow_up(session=session, check=check, follow_up=follow_up)
    # Not flushed for the alert lookup: a batch of replies writes its checks together (the
    # streaks flush what they count themselves).
    with session.no_autoflush:
        watched = outage.record_outcome(
            session=session,
            channel=check.channel,
            result=result,
            now=rt.clock.now(),
            policy=rt.outage,
            actor=rt.actor,
            control_target=control_target,
        )
    if how != "result":
        add_event(session=session, check=check, kind=how, message=result.outcome or "")
    if check.campaign_id is None:
        return watched
    if policy and result.outcome is not None and not result.pending:
        spec = spec or campaign_spec(session, check.campaign_id)
        apply_policy(session, check, spec, result.outcome, now=rt.clock.now(), rng=rt.rng)
    lifecycle.finish_if_done(session, check.campaign_id, actor=rt.actor)
    return watched


def _locked(rt: Runtime, session: Session, check_id: int, status: CheckStatus) -> Check | None:
    # Locked: a worker's job and its retry (after the worker seemed gone) may both end.
    check = session.get(Check, check_id, with_for_update=True)
    assert check is not None
    if check.status != status.value:
        rt.log.warning(
            f"result for a check no longer {status.value} ignored",
            check_id=check_id,
            status=check.status,
        )
        return None
    return check


class EngineSink:
    """The engine's `probe.results.ResultSink`: a channel's later result (an e-mail's reply,
    bounce or unanswered window) stored by `record` in the channel's own session. A control
    probe is not asked for here (a letter's outcomes are the organisation's)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def deliver(
        self,
        session: Session,
        check_id: int,
        result: CheckResult,
        *,
        note: str = "",
        event_data: dict[str, Any] | None = None,
    ) -> None:
        check = session.get(Check, check_id)
        assert check is not None
        if check.status != CheckStatus.WAITING.value:
            raise ValueError(f"check {check_id} is {check.status}, not waiting")
        # A cancelled campaign plans nothing more; a paused one decides now, as it would have
        # on resuming.
        campaign = session.get(Campaign, check.campaign_id) if check.campaign_id else None
        policy = campaign is not None and campaign.status in ("running", "paused")
        record(
            self.rt, session, check, result, note=note, event_data=event_data,
            event_at=result.finished_at, policy=policy,
        )  # fmt: skip


def sink_for(engine: Engine, settings: Settings, clock: Clock | None = None) -> EngineSink:
    """A sink outside a runner (a one-off sweep, the tests): its own runtime."""
    rt = Runtime(
        engine=engine,
        settings=settings,
        clock=clock or SystemClock(),
        worker_id="channel",
        outage=outage.OutagePolicy.from_settings(settings.outage),
    )
    return EngineSink(rt)


async def resolve(rt: Runtime, job: Job) -> None:
    """A check found in flight after its worker stopped: stored as its channel tells, or put
    back when it never happened."""
    result = await ask_in_flight(rt, job)
    if result is None:
        await asyncio.to_thread(reset, rt, job)
        return
    needed = await asyncio.to_thread(finish, rt, job, result, "recovered")
    if needed is not None:
        await control(rt, needed, job)


def reset(rt: Runtime, job: Job) -> None:
    with session_scope(rt.engine) as session:
        check = session.get(Check, job.check_id)
        assert check is not None
        check.status = CheckStatus.PLANNED.value
        check.claimed_by = None
        check.claimed_until = None
        check.started_at = None
        add_event(
            session=session,
            check=check,
            kind="recovery",
            message="not performed before the crash (the channel confirms): run again",
        )


async def control(rt: Runtime, needed: outage.ControlNeeded, job: Job) -> str:
    """Place the control probe a streak asked for and record its verdict ("ours" or
    "theirs"). Never raises: a failure to store the verdict leaves the `control_call` row
    in flight, and the next control is asked for once it is stale."""
    target = control_probe.control_target(needed.channel, rt.settings)
    assert target is not None
    result = await control_probe.place_control(
        needed.channel,
        target,
        settings=rt.settings,
        options=job.target.options,
        timeout=rt.settings.outage.control_timeout_seconds,
    )
    try:
        return await asyncio.to_thread(_control_verdict, rt, needed, result)
    except Exception:
        metrics.INTERNAL_ERRORS.labels(where="control_verdict").inc()
        rt.log.exception("could not store a control verdict", channel=needed.channel)
        return "unknown"


def _control_verdict(rt: Runtime, needed: outage.ControlNeeded, result: CheckResult) -> str:
    with session_scope(rt.engine) as session:
        verdict, _ = outage.control_verdict(
            session=session,
            needed=needed,
            control=result,
            now=rt.clock.now(),
            policy=rt.outage,
            actor=rt.actor,
        )
        if verdict == "ours" and needed.trigger == "suspect":
            for check_id in needed.check_ids:
                _not_theirs(rt, session, check_id, result)
    return verdict


def _not_theirs(rt: Runtime, session: Session, check_id: int, control_result: CheckResult) -> None:
    """A suspect outcome (e.g. `unavailable`) the failed control probe shows to be our
    outage: the check becomes our failure and is retried, not held against anyone."""
    check = session.get(Check, check_id, with_for_update=True)
    if check is None or check.outcome not in rt.outage.suspect_outcomes:
        return
    assert check.campaign_id is not None
    before = check.outcome
    check.outcome = our_failure_outcome(check.channel)
    refresh_effective_outcome(session=session, check=check)
    check.error_class = "our_outage"
    check.error_detail = (
        f"{before}, but the control probe failed too "
        f"({control_result.error_class or control_result.outcome}): our outage"
    )
    check.details = {**(check.details or {}), "outcome_before_control": before}
    metrics.OUR_FAILURES.labels(channel=check.channel, error_class="our_outage").inc()
    spec = campaign_spec(session, check.campaign_id)
    minutes = spec.policy(check.channel).our_failure_retry_minutes
    retry = Retry(
        check.contact_id,
        rt.clock.now() + timedelta(minutes=minutes),
        f"{before} was our outage (control probe failed): retry in {minutes} min "
        "(not held against the organisation)",
        counts_against_organisation=False,
    )
    org = organisation_input(session, check.organisation_id, check.channel)
    carry_out(session, check, spec, org, Decision(retries=[retry]))
    # It ended on those results; the retries are its work again.
    lifecycle.reopen(
        session, check.campaign_id, actor=rt.actor, reason="a control probe showed our outage"
    )

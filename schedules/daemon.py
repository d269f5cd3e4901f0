"""The campaign runner: wakes due checks, runs them through their channel, applies the policy.

The database is the source of truth. A check is claimed (committed as `running`, with this
worker's id and a lease) before its probe starts, and its result is committed together with the
policy's decisions when it ends. A runner killed at any moment leaves at most some `running`
checks behind; the next runner resolves each explicitly (`recover`): the channel is asked what
happened (`resolve_in_flight`); what it cannot tell is recorded as `unknown` and retried.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe import metrics
from probe.channels import (
    ChannelPlugin,
    ProbeContext,
    ProbeTarget,
    available_channels,
    get_channel,
)
from probe.clock import Clock, SystemClock
from probe.results import Channel, CheckResult, CheckStatus, Outcome
from probe.runner import evidence_dir, run_probe
from probe.settings import Settings
from schedules import control, outage
from schedules.planner import CALL_LIKE, windows_for
from schedules.policy import Decision, Finished, Retry, decide
from schedules.spec import CampaignSpec
from storage import campaigns as q
from storage.audit import write_audit
from storage.checks import add_event, create_check, record_result
from storage.engine import session_scope
from storage.models import Campaign, Check, Contact, Organisation
from storage.planning import ContactInput, OrganisationInput

log = structlog.get_logger()

# Upper bound of one probe, per channel, before the runner gives up on it (seconds).
PROBE_TIMEOUTS = {"phone": 11 * 60.0, "email": 180.0, "test": 120.0}


def make_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_orphan(
    claimed_by: str | None, claimed_until: datetime | None, *, me: str, now: datetime
) -> bool:
    """Whether a running check's worker is gone (this host: its process; any host: its lease)."""
    if claimed_by is None or claimed_by == me:
        return claimed_by is None
    if claimed_until is not None and claimed_until < now:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        return pid == os.getpid() or not _pid_alive(pid)
    return False


class Dispatcher(Protocol):
    """Hands due checks to executors elsewhere (the PostgreSQL job queue, schedules/queue.py)
    instead of running them in this process."""

    def enqueue(self, *, engine: Engine, now: datetime) -> int: ...

    def maintain(self, *, engine: Engine) -> None: ...


@dataclass
class _Job:
    check_id: int
    campaign_id: int
    organisation_id: int
    channel: str
    spec: CampaignSpec
    target: ProbeTarget


class CampaignRunner:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        clock: Clock | None = None,
        worker_id: str | None = None,
        tick_seconds: float = 0.5,
        lease_seconds: float = 15 * 60.0,
        dispatcher: Dispatcher | None = None,
        outage_policy: outage.OutagePolicy | None = None,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.sweep_seconds = sweep_seconds
        self.dispatcher = dispatcher
        self.outage = outage_policy or outage.OutagePolicy.from_settings(settings.outage)
        self.settings = settings
        self.clock = clock or SystemClock()
        self.worker_id = worker_id or make_worker_id()
        self.tick_seconds = tick_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.tasks: set[asyncio.Task[None]] = set()
        self.busy_orgs: set[int] = set()
        self.last_call_end: dict[int, datetime] = {}
        self.in_flight: dict[tuple[int, str], int] = {}
        self.sent_emails: dict[int, deque[datetime]] = {}
        self.rng = random.Random()
        self._outside_scan: datetime | None = None
        self.log = log.bind(worker=self.worker_id)

    # -- the loop -------------------------------------------------------------------------

    async def run_once(self, *, max_seconds: float | None = None) -> None:
        """Resolve orphans, then run everything due now (and what becomes due while running)
        until nothing is due and nothing is in flight."""
        if self.dispatcher is None:  # the queue's workers resolve their own checks
            await self.recover()
        started = asyncio.get_running_loop().time()
        while True:
            started_now = await self.tick()
            if not started_now and not self.tasks:
                break
            if (
                max_seconds is not None
                and asyncio.get_running_loop().time() - started > max_seconds
            ):
                break
            await asyncio.sleep(self.tick_seconds if not started_now else 0)
        await self.drain()
        await self._close_channels()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """The daemon: APScheduler wakes the tick and the periodic jobs until `stop` is set."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        if self.dispatcher is None:  # the queue's workers resolve their own checks
            await self.recover()
        # One run of a job at a time; a late run is better than a skipped one; APScheduler
        # runs on the real clock (not a sandbox's warp clock).
        scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        if self.dispatcher is not None:
            scheduler.add_job(self.maintain, "interval", seconds=10, id="queue")
        scheduler.add_job(self.tick, "interval", seconds=self.tick_seconds, id="tick")
        scheduler.add_job(self.sweep, "interval", seconds=self.sweep_seconds, id="sweep")
        scheduler.add_job(
            self.spawn_recurring, "interval", minutes=30, id="recurring", next_run_time=now
        )
        scheduler.start()
        services: dict[str, list[asyncio.Task[Any]]] = {}
        scheduler.add_job(
            self._start_services,
            "interval",
            seconds=5,
            args=(stop, services),
            id="services",
            next_run_time=now,
        )
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await self.drain()
            tasks = [task for group in services.values() for task in group]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._close_channels()

    async def _start_services(
        self, stop: asyncio.Event, started: dict[str, list[asyncio.Task[Any]]]
    ) -> None:
        """Long-running channel services (the IMAP watcher, the no-reply sweep), started once
        a running campaign uses the channel."""
        for name in self._campaign_channels() - set(started):
            services = getattr(get_channel(name), "services", None)
            coroutines = (
                services(engine=self.engine, settings=self.settings, stop=stop) if services else []
            )
            started[name] = [asyncio.create_task(c) for c in coroutines]
            for task in started[name]:
                task.add_done_callback(self._service_ended)
            if coroutines:
                self.log.info("channel services started", channel=name, count=len(coroutines))

    def _service_ended(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.log.error(
                "channel service crashed",
                service=task.get_coro(),
                error=repr(error),
                exc_info=error,
            )

    async def _close_channels(self) -> None:
        for name in available_channels():
            close = getattr(get_channel(name), "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    self.log.exception("closing a channel failed", channel=name)

    def _campaign_channels(self) -> set[str]:
        with Session(self.engine) as session:
            return {c for campaign in q_running_campaigns(session) for c in campaign.channels}

    async def sweep(self) -> None:
        """Periodic channel housekeeping (the e-mail no-reply deadline)."""
        for name in self._campaign_channels():
            sweeper = getattr(get_channel(name), "sweep", None)
            if sweeper is not None:
                count = await asyncio.to_thread(sweeper, engine=self.engine, now=self.clock.now())
                if count:
                    self.log.info("sweep closed checks", channel=name, count=count)
        self._close_finished_campaigns()

    async def spawn_recurring(self) -> None:
        """Start today's copies of recurring campaigns ("first working Tuesday of a quarter")."""
        from schedules.campaigns import spawn_recurring

        started = await asyncio.to_thread(spawn_recurring, engine=self.engine, now=self.clock.now())
        for name in started:
            self.log.info("recurring campaign started", campaign=name)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    # -- one tick -------------------------------------------------------------------------

    async def tick(self) -> int:
        """Place re-queued checks, then claim and start what is due and allowed now."""
        now = self.clock.now()
        self._place_unplaced(now)
        if self.dispatcher is not None:
            return await asyncio.to_thread(self.dispatcher.enqueue, engine=self.engine, now=now)
        jobs: list[_Job] = []
        with session_scope(self.engine) as session:
            specs: dict[int, CampaignSpec] = {}
            paused: dict[str, bool] = {}
            for check in q.due_checks(session=session, now=now, limit=200):
                assert check.id is not None and check.campaign_id is not None
                spec = specs.get(check.campaign_id) or self._spec(session, check.campaign_id)
                specs[check.campaign_id] = spec
                if check.channel not in paused:
                    until = outage.paused_until(session=session, channel=check.channel, now=now)
                    paused[check.channel] = until is not None
                if paused[check.channel] or not self._allowed(check, spec, now):
                    continue
                if not q.claim_check(
                    session=session,
                    check_id=check.id,
                    worker=self.worker_id,
                    lease_until=now + self.lease,
                    now=now,
                ):
                    continue
                add_event(
                    session=session,
                    check=check,
                    kind="claimed",
                    message=f"started by {self.worker_id}",
                    at=now,
                )
                jobs.append(self._job(session, check, spec))
                self._reserve(jobs[-1], now)
        if not jobs and not self.tasks:
            # Checks completed outside the runner (an e-mail reply or bounce, the deadline
            # sweep) still go through the attempt policy, and may end their campaign.
            await asyncio.to_thread(self._apply_outside_results)
            await asyncio.to_thread(self._close_finished_campaigns)
        for job in jobs:
            task = asyncio.create_task(self._execute(job))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return len(jobs)

    async def maintain(self) -> None:
        assert self.dispatcher is not None
        await asyncio.to_thread(self.dispatcher.maintain, engine=self.engine)

    def _spec(self, session: Session, campaign_id: int) -> CampaignSpec:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return CampaignSpec.model_validate(campaign.spec)

    def _allowed(self, check: Check, spec: CampaignSpec, now: datetime) -> bool:
        """Politeness and capacity, checked before claiming so nothing waits holding a claim."""
        assert check.campaign_id is not None
        limits = spec.limits
        if sum(self.in_flight.get((check.campaign_id, c), 0) for c in spec.channels) >= (
            limits.checks_in_parallel
        ):
            return False
        if check.channel in CALL_LIKE:
            if check.organisation_id in self.busy_orgs:
                return False  # never two simultaneous calls to one organisation
            last = self.last_call_end.get(check.organisation_id)
            if last is not None and now - last < timedelta(minutes=limits.quiet_minutes):
                return False
            if (
                self.in_flight.get((check.campaign_id, check.channel), 0)
                >= limits.calls_in_parallel
            ):
                return False
        if check.channel == Channel.EMAIL.value:
            sent = self.sent_emails.setdefault(check.campaign_id, deque())
            while sent and now - sent[0] >= timedelta(minutes=1):
                sent.popleft()
            if len(sent) >= limits.emails_per_minute:
                return False
        return True

    def _reserve(self, job: _Job, now: datetime) -> None:
        key = (job.campaign_id, job.channel)
        self.in_flight[key] = self.in_flight.get(key, 0) + 1
        if job.channel in CALL_LIKE:
            self.busy_orgs.add(job.organisation_id)
        if job.channel == Channel.EMAIL.value:
            self.sent_emails.setdefault(job.campaign_id, deque()).append(now)

    def _release(self, job: _Job) -> None:
        key = (job.campaign_id, job.channel)
        self.in_flight[key] = max(0, self.in_flight.get(key, 1) - 1)
        if job.channel in CALL_LIKE:
            self.busy_orgs.discard(job.organisation_id)
            self.last_call_end[job.organisation_id] = self.clock.now()

    def _job(self, session: Session, check: Check, spec: CampaignSpec) -> _Job:
        assert check.id is not None and check.campaign_id is not None
        contact = session.get(Contact, check.contact_id)
        org = session.get(Organisation, check.organisation_id)
        assert contact is not None and org is not None and contact.value is not None
        target = ProbeTarget(
            check_id=check.id,
            channel=Channel(check.channel),
            value=contact.value,
            extension=contact.extension,
            organisation_id=org.id,
            organisation_name=org.name,
            timezone=org.timezone,
            campaign_id=check.campaign_id,
            attempt=check.attempt,
            options=dict(spec.options.get(check.channel, {})),
        )
        return _Job(check.id, check.campaign_id, check.organisation_id, check.channel, spec, target)

    async def _execute(self, job: _Job) -> None:
        try:
            plugin = get_channel(job.channel)
            started = time.perf_counter()
            result = await run_probe(
                plugin,
                job.target,
                settings=self.settings,
                timeout=PROBE_TIMEOUTS.get(job.channel, 120.0),
            )
            metrics.observe_result(result, time.perf_counter() - started)
            needed = await asyncio.to_thread(self._finish, job, result, "result")
        except Exception:
            # Storing failed (database down): the check stays `running` and is resolved by
            # recovery; it is never lost.
            metrics.INTERNAL_ERRORS.labels(where="store_result").inc()
            self.log.exception("could not store a result", check_id=job.check_id)
            return
        finally:
            self._release(job)
        if needed is not None:
            await self.control(needed, job)

    # -- results and the policy -------------------------------------------------------------

    def _finish(self, job: _Job, result: CheckResult, how: str) -> outage.ControlNeeded | None:
        """Store the result with the policy's decisions; a ControlNeeded when the outage
        watch asks for a control probe (the caller places it: `control`)."""
        with session_scope(self.engine) as session:
            # Locked: a worker's job and its retry (after the worker seemed gone) may both end.
            check = session.get(Check, job.check_id, with_for_update=True)
            assert check is not None
            if check.status != CheckStatus.RUNNING.value:
                self.log.warning(
                    "result for a check no longer running ignored",
                    check_id=job.check_id,
                    status=check.status,
                )
                return None
            record_result(session=session, check=check, result=result)
            watched = outage.record_outcome(
                session=session,
                channel=check.channel,
                result=result,
                now=self.clock.now(),
                policy=self.outage,
                actor=f"runner:{self.worker_id}",
                control_target=control.control_target(check.channel, self.settings),
            )
            if how != "result":
                add_event(session=session, check=check, kind=how, message=result.outcome or "")
            if result.outcome is not None and not result.pending:
                self._apply_policy(session, check, job.spec, result.outcome)
            self._maybe_close_campaign(session, job.campaign_id)
        return watched if isinstance(watched, outage.ControlNeeded) else None

    # -- the control probe -------------------------------------------------------------------

    async def control(self, needed: outage.ControlNeeded, job: _Job) -> str:
        """Place the control probe a streak asked for and record its verdict ("ours" or
        "theirs"). Never raises: a failure to store the verdict leaves the `control_call` row
        in flight, and the next control is asked for once it is stale."""
        target = control.control_target(needed.channel, self.settings)
        assert target is not None
        result = await control.place_control(
            needed.channel,
            target,
            settings=self.settings,
            options=job.target.options,
            timeout=self.settings.outage.control_timeout_seconds,
        )
        try:
            return await asyncio.to_thread(self._control_verdict, needed, result)
        except Exception:
            metrics.INTERNAL_ERRORS.labels(where="control_verdict").inc()
            self.log.exception("could not store a control verdict", channel=needed.channel)
            return "unknown"

    def _control_verdict(self, needed: outage.ControlNeeded, result: CheckResult) -> str:
        with session_scope(self.engine) as session:
            verdict, _ = outage.control_verdict(
                session=session,
                needed=needed,
                control=result,
                now=self.clock.now(),
                policy=self.outage,
                actor=f"runner:{self.worker_id}",
            )
            if verdict == "ours" and needed.trigger == "suspect":
                for check_id in needed.check_ids:
                    self._not_theirs(session, check_id, result)
        return verdict

    def _not_theirs(self, session: Session, check_id: int, control_result: CheckResult) -> None:
        """A suspect outcome (e.g. `unavailable`) the failed control probe shows to be our
        outage: the check becomes our failure and is retried, not held against anyone."""
        check = session.get(Check, check_id, with_for_update=True)
        if check is None or check.outcome not in self.outage.suspect_outcomes:
            return
        assert check.campaign_id is not None
        channel = Channel(check.channel)
        before = check.outcome
        check.outcome = (Outcome.FAILED if channel != Channel.EMAIL else Outcome.SEND_FAILED).value
        check.error_class = "our_outage"
        check.error_detail = (
            f"{before}, but the control probe failed too "
            f"({control_result.error_class or control_result.outcome}): our outage"
        )
        check.details = {**(check.details or {}), "outcome_before_control": before}
        metrics.OUR_FAILURES.labels(channel=check.channel, error_class="our_outage").inc()
        spec = self._spec(session, check.campaign_id)
        minutes = (
            spec.email.our_failure_retry_minutes
            if channel == Channel.EMAIL
            else spec.calls.our_failure_retry_minutes
        )
        retry = Retry(
            check.contact_id,
            self.clock.now() + timedelta(minutes=minutes),
            f"{before} was our outage (control probe failed): retry in {minutes} min "
            "(not held against the organisation)",
            counts_against_organisation=False,
        )
        org = self._org_input(session, check.organisation_id, check.channel)
        self._carry_out(session, check, spec, org, Decision(retries=[retry]))
        campaign = session.get(Campaign, check.campaign_id)
        if campaign is not None and campaign.status == "done":
            # It ended on those results; the retries are its work again.
            self._set_campaign_status(
                session, campaign, "running", action="reopen",
                reason="a control probe showed our outage",
            )  # fmt: skip

    def _apply_policy(
        self, session: Session, check: Check, spec: CampaignSpec, outcome: Outcome
    ) -> None:
        assert check.id is not None and check.campaign_id is not None
        finished = Finished(
            check_id=check.id,
            organisation_id=check.organisation_id,
            contact_id=check.contact_id,
            channel=check.channel,
            outcome=outcome,
            # The runner's clock, not the channel's: retries are planned on one time line
            # (they differ only when the sandbox compresses time).
            finished_at=self.clock.now(),
        )
        org_input = self._org_input(session, check.organisation_id, check.channel)
        history = q.organisation_history(
            session=session,
            campaign_id=check.campaign_id,
            organisation_id=check.organisation_id,
            channel=check.channel,
        )
        decision = decide(spec, finished, org_input.contacts, history, rng=self.rng)
        self._carry_out(session, check, spec, org_input, decision)
        add_event(
            session=session,
            check=check,
            kind=q.POLICY_EVENT,
            message=f"attempt policy applied to {outcome.value}",
        )

    def _carry_out(
        self,
        session: Session,
        check: Check,
        spec: CampaignSpec,
        org: OrganisationInput,
        decision: Decision,
    ) -> None:
        assert check.campaign_id is not None
        for note in decision.notes:
            add_event(session=session, check=check, kind="decision", message=note)
        for retry in decision.retries:
            at = self._place(session, spec, org, check.campaign_id, retry.earliest)
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
        for advance in decision.advances:
            planned = session.get(Check, advance.check_id)
            if planned is None or planned.status != CheckStatus.PLANNED.value:
                continue
            at = self._place(session, spec, org, check.campaign_id, advance.earliest)
            if at is not None and (planned.planned_at is None or at < planned.planned_at):
                planned.planned_at = at
                add_event(
                    session=session,
                    check=planned,
                    kind="decision",
                    message=f"{advance.reason} (after check {check.id})",
                )

    def _apply_outside_results(self) -> None:
        # The first look covers everything; later ones only what changed since (with a margin
        # for clocks and slow commits), so a large finished campaign is not rescanned each tick.
        since, self._outside_scan = self._outside_scan, self.clock.now() - timedelta(minutes=10)
        with session_scope(self.engine) as session:
            for check in q.checks_without_policy(session=session, since=since):
                assert check.campaign_id is not None and check.outcome is not None
                spec = self._spec(session, check.campaign_id)
                self._apply_policy(session, check, spec, Outcome(check.outcome))

    def _org_input(self, session: Session, organisation_id: int, channel: str) -> OrganisationInput:
        org = session.get(Organisation, organisation_id)
        assert org is not None and org.id is not None
        rows = session.exec(
            select(Contact).where(
                col(Contact.organisation_id) == organisation_id, col(Contact.channel) == channel
            )
        )
        contacts = [ContactInput(c.id or 0, c.channel, c.position) for c in rows if c.probeable]
        hours_key = f"{org.region}|{org.hours_raw}"  # as storage.campaigns: region defaults
        return OrganisationInput(org.id, org.timezone, org.hours, hours_key, tuple(contacts))

    def _place(
        self,
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
            if count >= spec.calls.per_organisation_per_day and any(
                c in CALL_LIKE for c in spec.channels
            ):
                instant = windows.next_day_start_after(instant, org.timezone)
                continue
            clash = next((o for o in others if abs(o - at) < quiet), None)
            if clash is not None:
                instant = windows.first_open_at_or_after((clash + quiet).timestamp())
                continue
            return at
        return None

    def _place_unplaced(self, now: datetime) -> None:
        with session_scope(self.engine) as session:
            for check in q.unplaced_checks(session=session):
                assert check.campaign_id is not None
                spec = self._spec(session, check.campaign_id)
                org = self._org_input(session, check.organisation_id, check.channel)
                at = self._place(session, spec, org, check.campaign_id, now)
                if at is None:
                    check.status = CheckStatus.CANCELLED.value
                    add_event(
                        session=session,
                        check=check,
                        kind="decision",
                        message="re-queued, but no window left before the campaign ends",
                    )
                else:
                    check.planned_at = at
                    add_event(
                        session=session,
                        check=check,
                        kind="decision",
                        message=f"placed in the next window: {at.isoformat()}",
                    )

    def _maybe_close_campaign(self, session: Session, campaign_id: int) -> None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != "running":
            return
        if q.open_work(session=session, campaign_id=campaign_id) == 0:
            self._set_campaign_status(session, campaign, "done", action="finish")
            self.log.info("campaign finished", campaign=campaign.name)

    def _set_campaign_status(
        self,
        session: Session,
        campaign: Campaign,
        status: str,
        *,
        action: str,
        reason: str | None = None,
    ) -> None:
        """The runner changes a campaign's status, with an audit row saying why."""
        before = {"status": campaign.status}
        q.set_campaign_status(session=session, campaign=campaign, status=status)
        write_audit(
            session=session,
            actor=f"runner:{self.worker_id}",
            action=action,
            entity="campaign",
            entity_id=str(campaign.id),
            before=before,
            after={"status": status, **({"reason": reason} if reason else {})},
        )

    def _close_finished_campaigns(self) -> None:
        with session_scope(self.engine) as session:
            for campaign in q_running_campaigns(session):
                assert campaign.id is not None
                self._maybe_close_campaign(session, campaign.id)

    # -- crash recovery ---------------------------------------------------------------------

    async def recover(self) -> int:
        """Resolve checks left `running` by a worker that is gone."""
        now = self.clock.now()
        jobs: list[_Job] = []
        with session_scope(self.engine) as session:
            for check in q.running_checks(session=session):
                if not is_orphan(check.claimed_by, check.claimed_until, me=self.worker_id, now=now):
                    continue
                assert check.campaign_id is not None
                spec = self._spec(session, check.campaign_id)
                add_event(
                    session=session,
                    check=check,
                    kind="recovery",
                    message=f"found in flight after {check.claimed_by} stopped",
                )
                check.claimed_by = self.worker_id
                check.claimed_until = now + self.lease
                jobs.append(self._job(session, check, spec))
        for job in jobs:
            await self._resolve(job)
        self._close_finished_campaigns()
        return len(jobs)

    async def _resolve(self, job: _Job) -> None:
        plugin: ChannelPlugin = get_channel(job.channel)
        resolver = getattr(plugin, "resolve_in_flight", None)
        result: CheckResult | None
        try:
            if resolver is None:
                raise LookupError("the channel cannot tell what happened")
            context = ProbeContext(
                settings=self.settings,
                evidence_dir=evidence_dir(self.settings, job.check_id),
                log=self.log.bind(check_id=job.check_id),
            )
            result = await resolver(job.target, context)
        except Exception as error:
            now = self.clock.now()
            result = CheckResult(
                channel=Channel(job.channel),
                outcome=Outcome.UNKNOWN,
                started_at=now,
                finished_at=now,
                error_class="crashed_in_flight",
                error_detail=f"outcome unknown after a crash ({error}); retried",
                details={"retry": True},
            )
        if result is None:
            await asyncio.to_thread(self._reset, job)
        else:
            needed = await asyncio.to_thread(self._finish, job, result, "recovered")
            if needed is not None:
                await self.control(needed, job)

    def _reset(self, job: _Job) -> None:
        with session_scope(self.engine) as session:
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


def q_running_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).where(col(Campaign.status) == "running")))

"""The campaign runner's loop: wakes due checks, passes them through the gate, hands them to the
executor, and ends them through the completion (result, outage watch, policy step, campaign
lifecycle). Module map: schedules/gate.py (politeness and capacity), executor.py (one probe),
completion.py and policy_step.py (after a result), lifecycle.py (finish/reopen a campaign).

The database is the source of truth. A check is claimed (committed as `running`, with this
worker's id and a lease) before its probe starts, and its result is committed together with the
policy's decisions when it ends. A runner killed at any moment leaves at most some `running`
checks behind; the next runner resolves each explicitly (`recover`): the channel is asked what
happened (`resolve_in_flight`); what it cannot tell is recorded as `unknown` and retried.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy.engine import Engine

from probe import metrics
from probe.channels import available_channels, get_channel
from probe.clock import Clock, SystemClock
from probe.settings import Settings
from schedules import completion, gate, lifecycle, outage, policy_step
from schedules.executor import (
    Job,
    Runtime,
    is_orphan,
    load_job,
    make_worker_id,
    run_check,
)
from schedules.spec import CampaignSpec
from storage import campaigns as q
from storage.checks import add_event
from storage.engine import session_scope

log = structlog.get_logger()


class Dispatcher(Protocol):
    """Hands due checks to executors elsewhere (the PostgreSQL job queue, schedules/queue.py)
    instead of running them in this process."""

    def enqueue(self, *, engine: Engine, now: datetime) -> int: ...

    def maintain(self, *, engine: Engine) -> None: ...


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
        self.runtime = Runtime(
            engine=engine,
            settings=settings,
            clock=self.clock,
            worker_id=self.worker_id,
            outage=self.outage,
            lease=self.lease,
        )
        self.tasks: set[asyncio.Task[None]] = set()
        self.in_flight = gate.InFlight()
        # Where the channels' services and sweeps hand a result that arrives later.
        self.sink = completion.EngineSink(self.runtime)
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
                services(engine=self.engine, settings=self.settings, stop=stop, sink=self.sink)
                if services
                else []
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
        return lifecycle.campaign_channels(self.engine)

    async def sweep(self) -> None:
        """Periodic channel housekeeping (the e-mail no-reply deadline)."""
        for name in self._campaign_channels():
            sweeper = getattr(get_channel(name), "sweep", None)
            if sweeper is not None:
                count = await asyncio.to_thread(
                    sweeper, engine=self.engine, now=self.clock.now(), sink=self.sink
                )
                if count:
                    self.log.info("sweep closed checks", channel=name, count=count)
        self._close_finished_campaigns()

    def _close_finished_campaigns(self) -> None:
        lifecycle.finish_all_done(self.engine, actor=self.runtime.actor)

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
        policy_step.place_unplaced(self.engine, now)
        if self.dispatcher is not None:
            return await asyncio.to_thread(self.dispatcher.enqueue, engine=self.engine, now=now)
        jobs = self._claim_due(now)
        if not jobs and not self.tasks:
            await asyncio.to_thread(self._close_finished_campaigns)
        for job in jobs:
            task = asyncio.create_task(self._execute(job))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return len(jobs)

    def _claim_due(self, now: datetime) -> list[Job]:
        """Due checks the gate lets through, claimed (committed `running`) before they start,
        so nothing waits holding a claim."""
        jobs: list[Job] = []
        with session_scope(self.engine) as session:
            specs: dict[int, CampaignSpec] = {}
            state = gate.MemoryState(self.in_flight, session)
            for check in q.due_checks(session=session, now=now, limit=200):
                assert check.id is not None and check.campaign_id is not None
                spec = specs.get(check.campaign_id) or policy_step.campaign_spec(
                    session, check.campaign_id
                )
                specs[check.campaign_id] = spec
                if gate.blocked(state, check, spec.limits, now) is not None:
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
                jobs.append(load_job(session, check, spec))
                self.in_flight.reserve(
                    campaign_id=check.campaign_id,
                    channel=check.channel,
                    organisation_id=check.organisation_id,
                    now=now,
                )
        return jobs

    async def maintain(self) -> None:
        assert self.dispatcher is not None
        await asyncio.to_thread(self.dispatcher.maintain, engine=self.engine)

    async def _execute(self, job: Job) -> None:
        try:
            result = await run_check(job, self.settings)
            needed = await asyncio.to_thread(completion.finish, self.runtime, job, result, "result")
        except Exception:
            # Storing failed (database down): the check stays `running` and is resolved by
            # recovery; it is never lost.
            metrics.INTERNAL_ERRORS.labels(where="store_result").inc()
            self.log.exception("could not store a result", check_id=job.check_id)
            return
        finally:
            self.in_flight.release(
                campaign_id=job.campaign_id,
                channel=job.channel,
                organisation_id=job.organisation_id,
                now=self.clock.now(),
            )
        if needed is not None:
            await completion.control(self.runtime, needed, job)

    # -- crash recovery ---------------------------------------------------------------------

    async def recover(self) -> int:
        """Resolve checks left `running` by a worker that is gone."""
        now = self.clock.now()
        jobs: list[Job] = []
        with session_scope(self.engine) as session:
            for check in q.running_checks(session=session):
                if not is_orphan(check.claimed_by, check.claimed_until, me=self.worker_id, now=now):
                    continue
                assert check.campaign_id is not None
                spec = policy_step.campaign_spec(session, check.campaign_id)
                add_event(
                    session=session,
                    check=check,
                    kind="recovery",
                    message=f"found in flight after {check.claimed_by} stopped",
                )
                check.claimed_by = self.worker_id
                check.claimed_until = now + self.lease
                jobs.append(load_job(session, check, spec))
        for job in jobs:
            await completion.resolve(self.runtime, job)
        self._close_finished_campaigns()
        return len(jobs)

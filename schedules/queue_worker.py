"""`probe worker`: executes the queue's check jobs, on any number of machines.

Each job starts with one short transaction: the gate (schedules/gate.py, on the database's
counts) is asked and the check is taken from `planned` (queued) to `running`, under one
PostgreSQL advisory lock so two workers never both take the last trunk channel. Then the probe
runs (schedules/executor.py) and its result is stored with the attempt policy by the same code
as the in-process runner's (schedules/completion.py `finish`). A job that finds its check
already `running` is the retry of a job whose worker stopped: the check is resolved like the
runner's recovery (`completion.resolve`: the channel's `resolve_in_flight`), never run blind.

Workers keep going through a PostgreSQL restart: a worker that lost the database stops, and
the supervisor starts a new one once the database answers; results computed meanwhile are
stored as soon as it does.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import structlog
from procrastinate import App
from procrastinate.exceptions import ConnectorException
from procrastinate.worker import Worker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from probe import metrics
from probe.clock import SystemClock
from probe.results import CheckResult, CheckStatus
from probe.settings import Settings
from schedules import completion, gate, outage
from schedules.executor import Job, Runtime, load_job, run_check
from schedules.policy_step import campaign_spec
from schedules.queue import CapacityBusy
from schedules.spec import CampaignSpec
from storage import jobqueue, runs
from storage.checks import add_event
from storage.engine import session_scope
from storage.jobqueue import QUEUED
from storage.models import Campaign, Check

log = structlog.get_logger()

_CAPACITY_LOCK = 0x63617061  # any constant: one gate at a time across all workers


class CheckExecutor:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        worker_id: str,
        outage_policy: outage.OutagePolicy | None = None,
        store_patience: float = 300.0,
    ) -> None:
        self.engine = engine
        self.runtime = Runtime(
            engine=engine,
            settings=settings,
            clock=SystemClock(),
            worker_id=worker_id,
            outage=outage_policy or outage.OutagePolicy.from_settings(settings.outage),
        )
        self.store_patience = store_patience

    async def run(self, *, check_id: int, job_id: int) -> str:
        step, job = await asyncio.to_thread(self._begin, check_id, job_id)
        if job is None:
            return step
        with structlog.contextvars.bound_contextvars(campaign_id=job.campaign_id):
            if step == "execute":
                await self._execute(job)
            else:
                await completion.resolve(self.runtime, job)
        return step

    # -- the gate -----------------------------------------------------------------------

    def _begin(self, check_id: int, job_id: int) -> tuple[str, Job | None]:
        now = self.runtime.clock.now()
        with session_scope(self.engine) as session:
            runs.advisory_lock(session=session, key=_CAPACITY_LOCK)
            check = session.get(Check, check_id, with_for_update=True)
            if check is None:
                return "gone", None
            if check.status == CheckStatus.RUNNING.value:
                add_event(
                    session=session,
                    check=check,
                    kind="recovery",
                    message=f"job {job_id} retried after {check.claimed_by} stopped",
                )
                assert check.campaign_id is not None
                spec = campaign_spec(session, check.campaign_id)
                return "resolve", load_job(session, check, spec)
            if check.status != CheckStatus.PLANNED.value or check.claimed_by != QUEUED:
                return "nothing", None  # done already, cancelled, or taken back
            campaign = session.get(Campaign, check.campaign_id)
            if campaign is None or campaign.status != "running":
                check.claimed_by = None
                add_event(
                    session=session,
                    check=check,
                    kind="decision",
                    message="campaign not running: back to planned, out of the queue",
                )
                return "unqueued", None
            spec = CampaignSpec.model_validate(campaign.spec)
            blocked = gate.database_blocked(session, check, spec, now)
            if blocked is not None:
                raise CapacityBusy(*blocked)
            self._claim(session, check, job_id, now)
            return "execute", load_job(session, check, spec)

    def _claim(self, session: Session, check: Check, job_id: int, now: datetime) -> None:
        check.status = CheckStatus.RUNNING.value
        check.claimed_by = f"{self.runtime.worker_id}#job{job_id}"
        check.claimed_until = now + self.runtime.lease
        check.started_at = now
        check.updated_at = now
        add_event(
            session=session,
            check=check,
            kind="claimed",
            message=f"started by {self.runtime.worker_id} (job {job_id})",
            at=now,
        )

    # -- running and storing --------------------------------------------------------------

    async def _execute(self, job: Job) -> None:
        result = await run_check(job, self.runtime.settings)
        needed = await self._store(job, result)
        if needed is not None:  # a streak asks for a control probe before any pause
            await completion.control(self.runtime, needed, job)

    async def _store(self, job: Job, result: CheckResult) -> outage.ControlNeeded | None:
        """The result must not be lost to a database restart: asking the channel again later
        (recovery) may cost a second call, so keep trying for a while."""
        deadline = time.monotonic() + self.store_patience
        delay = 0.2
        while True:
            try:
                return await asyncio.to_thread(
                    completion.finish, self.runtime, job, result, "result"
                )
            except OperationalError:
                metrics.INTERNAL_ERRORS.labels(where="store_result").inc()
                if time.monotonic() > deadline:
                    raise  # the job is retried; the retry resolves the check
                log.warning("database unreachable: result kept, storing again", delay_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


# -- the worker process -----------------------------------------------------------------------


class WorkerOptions:
    def __init__(
        self,
        *,
        queues: list[str] | None,
        concurrency: int,
        heartbeat: float = 10.0,
        stalled_after: float = 30.0,
        poll: float = 2.0,
        name: str = "probe-worker",
    ) -> None:
        self.queues = queues
        self.concurrency = concurrency
        self.heartbeat = heartbeat
        self.stalled_after = stalled_after
        self.poll = poll
        self.name = name


async def serve(
    *, app: App, executor: CheckExecutor, options: WorkerOptions, stop: asyncio.Event
) -> None:
    """Run procrastinate workers until `stop`, starting a new one whenever one loses the
    database; a janitor retries the jobs of workers whose heartbeat stopped."""
    await _open(app, stop)
    janitor = asyncio.create_task(_janitor(app, options, stop))
    try:
        delay = 0.5
        while not stop.is_set():
            started = time.monotonic()
            error = await _run_one(app, executor, options, stop)
            if stop.is_set():
                break
            metrics.INTERNAL_ERRORS.labels(where="worker").inc()
            log.warning("worker lost the database: starting a new one", error=str(error))
            delay = 0.5 if time.monotonic() - started > 30 else min(delay * 2, 10.0)
            await _sleep_or_stop(stop, delay)
    finally:
        janitor.cancel()
        await asyncio.gather(janitor, return_exceptions=True)
        await app.close_async()


async def _open(app: App, stop: asyncio.Event) -> None:
    while True:
        try:
            await app.open_async()
            return
        except Exception as error:
            log.warning("database unreachable: waiting", error=str(error))
            if await _sleep_or_stop(stop, 1.0):
                raise


# How long a worker keeps trying to write a finished job's status while the database is away.
PERSIST_PATIENCE = 120.0


class DurableWorker(Worker):
    """procrastinate's Worker, except that a job's final status is written even when the
    database blinks at that very moment.

    procrastinate writes it once (`_persist_job_status`); if that write fails, the job stays
    'doing' under a worker that lives on and keeps its heartbeat, so it is never seen as
    stalled, and its organisation's lock holds every other check of that organisation back
    until the worker dies. Here the write is retried until the database answers. A retry that
    finds the job no longer 'doing' means the first write did land (only its answer was lost).
    """

    async def _persist_job_status(self, *args: Any, **kwargs: Any) -> None:
        deadline = time.monotonic() + PERSIST_PATIENCE
        delay, attempt = 0.1, 0
        while True:
            attempt += 1
            try:
                await super()._persist_job_status(*args, **kwargs)
                return
            except ConnectorException as error:
                if attempt > 1 and "Job was not found or" in f"{error} {error.__cause__}":
                    return  # the previous attempt was applied
                if time.monotonic() >= deadline or self._stop_event.is_set():
                    raise  # stalled-job recovery takes it once this worker is gone
                metrics.INTERNAL_ERRORS.labels(where="job_status").inc()
                log.warning("job status not written: retrying", error=str(error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


if not hasattr(Worker, "_persist_job_status"):  # a procrastinate that works otherwise
    DurableWorker = Worker  # type: ignore[misc,assignment]


async def _run_one(
    app: App, executor: CheckExecutor, options: WorkerOptions, stop: asyncio.Event
) -> BaseException | None:
    worker = DurableWorker(
        app,
        queues=options.queues,
        name=options.name,
        concurrency=options.concurrency,
        fetch_job_polling_interval=options.poll,
        update_heartbeat_interval=options.heartbeat,
        stalled_worker_timeout=options.stalled_after,
        install_signal_handlers=False,
        additional_context={"executor": executor},
    )
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if stop.is_set():
        worker.stop()  # graceful: checks in flight finish and are stored first
    stopping.cancel()
    try:
        await running
    except Exception as error:
        return error
    return None


async def _janitor(app: App, options: WorkerOptions, stop: asyncio.Event) -> None:
    while not await _sleep_or_stop(stop, options.heartbeat):
        try:
            await _retry_stalled(app, options.stalled_after)
            rows = await app.connector.execute_query_all_async(query=jobqueue.QUEUE_DEPTH_SQL)
            metrics.set_queue_depth([(r["queue_name"], r["status"], r["n"]) for r in rows])
        except Exception as error:
            log.info("janitor: database unreachable", error=str(error))


async def _retry_stalled(app: App, stalled_after: float) -> None:
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except Exception:
            continue  # another worker's janitor was first
        metrics.JOB_RETRIES.labels(reason="stalled").inc()
        log.warning(
            "job of a stopped worker retried",
            job_id=job.id,
            check_id=job.task_kwargs.get("check_id"),
            worker=job.worker_id,
        )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep; True when `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True

"""Scale-out on PostgreSQL: due checks become procrastinate jobs that any worker executes.

`probe run` only plans and enqueues (QueueDispatcher); `probe worker` executes (see
schedules/queue_worker.py). procrastinate is the coordination: its job states say who runs what,
its `lock` keeps two calls to one organisation from running at once, its `queueing_lock` keeps a
check from waiting twice in the queue, its retries and the workers' heartbeats bring back the
job of a worker that died. Our own database says what happened to each check.

A check handed to the queue stays `planned` (it has not started: planning, cancelling and the
per-organisation history treat it as such) and is marked by `claimed_by = "queue"`; the mark and
the job are written in one transaction, so neither exists without the other.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from procrastinate import App, PsycopgConnector, SyncPsycopgConnector, jobs, manager
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from probe import metrics
from probe.channels import one_per_organisation
from schedules import outage
from storage import jobqueue, runs
from storage.checks import add_event
from storage.engine import normalise_url, session_scope
from storage.jobqueue import QUEUE_SCHEMA, TASK_NAME
from storage.models import Check

log = structlog.get_logger()

DEFAULT_ACCOUNT = "default"


def queue_name(channel: str, account: str | None = None) -> str:
    """One queue per SIP trunk / SMTP account; until accounts have names, one per channel."""
    return f"{channel}.{account or DEFAULT_ACCOUNT}"


def channel_of_queue(queue: str) -> str:
    return queue.partition(".")[0]


def organisation_lock(organisation_id: int) -> str:
    return f"organisation-{organisation_id}"


def queueing_lock(check_id: int) -> str:
    return f"check-{check_id}"


def is_postgres(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "postgresql"


def libpq_url(url: str) -> str:
    """Our SQLAlchemy URL as the libpq URL psycopg's pool takes."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


_SEARCH_PATH = {"options": f"-c search_path={QUEUE_SCHEMA}"}


class CapacityBusy(Exception):
    """A limit (trunk channels, SMTP rate, quiet period, outage pause) says: not now."""

    def __init__(self, reason: str, retry_at: datetime) -> None:
        super().__init__(f"{reason}: retry at {retry_at.isoformat()}")
        self.reason = reason
        self.retry_at = retry_at


class CheckRetry(BaseRetryStrategy):
    """Waiting for capacity is not a failure: retried whenever the limit lifts, never counted.
    Anything else (the database away, a bug) backs off exponentially, up to `max_attempts`;
    the scheduler re-enqueues a check whose job gave up (QueueDispatcher.maintain).

    The back-off counts a job's errors, not procrastinate's `attempts`: every wait for capacity
    is an attempt too, and a job that waited its turn twelve times must not sit out a minute
    (or give up) at its first error, holding its organisation's other checks back meanwhile.
    Errors are counted in this process (a worker that restarts starts again from short waits).
    """

    KEEP = 10_000  # jobs whose errors are remembered

    def __init__(self, *, max_attempts: int = 12, max_wait: float = 60.0) -> None:
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._errors: dict[int | None, int] = {}

    def get_retry_decision(
        self, *, exception: BaseException, job: jobs.Job
    ) -> RetryDecision | None:
        if isinstance(exception, CapacityBusy):
            metrics.JOB_RETRIES.labels(reason=exception.reason.split(":")[0]).inc()
            return RetryDecision(retry_at=exception.retry_at)
        errors = self._errors.pop(job.id, 0)
        if errors >= self.max_attempts:
            return None
        self._errors[job.id] = errors + 1
        while len(self._errors) > self.KEEP:
            del self._errors[next(iter(self._errors))]
        metrics.JOB_RETRIES.labels(reason="error").inc()
        wait = min(self.max_wait, 0.5 * 2**errors) * random.uniform(0.8, 1.2)
        return RetryDecision(retry_in={"seconds": wait})


async def run_check_job(context: JobContext, check_id: int) -> str:
    """The task: everything is in the executor the worker put in the job context."""
    executor = context.additional_context["executor"]
    assert context.job.id is not None
    with structlog.contextvars.bound_contextvars(check_id=check_id, job_id=context.job.id):
        result: str = await executor.run(check_id=check_id, job_id=context.job.id)
        return result


def make_app(url: str, *, pool_size: int = 10) -> App:
    connector = PsycopgConnector(
        conninfo=libpq_url(url),
        kwargs=_SEARCH_PATH,
        min_size=1,
        max_size=pool_size,
    )
    app = App(connector=connector)
    app.task(name=TASK_NAME, pass_context=True, retry=CheckRetry())(run_check_job)
    return app


def _job(check: Check) -> jobs.Job:
    assert check.id is not None
    return jobs.Job(
        id=None,
        queue=queue_name(check.channel),
        lock=organisation_lock(check.organisation_id)
        if one_per_organisation(check.channel)
        else None,
        queueing_lock=queueing_lock(check.id),
        task_name=TASK_NAME,
        task_kwargs={"check_id": check.id},
    )


class QueueDispatcher:
    """The scheduler's side: hands due checks to the queue, in the transaction that marks them."""

    def __init__(self, *, batch: int = 500) -> None:
        self.batch = batch
        # Never opened: it only runs procrastinate's defer query on our own connection.
        self.jobs = manager.JobManager(connector=SyncPsycopgConnector())

    def enqueue(self, *, engine: Engine, now: datetime) -> int:
        with session_scope(engine) as session:
            paused = _paused_channels(session, now)
            due = jobqueue.due_unqueued(session=session, now=now, limit=self.batch)
            checks = [c for c in due if c.channel not in paused]
            marked = jobqueue.mark_queued(session=session, checks=checks, now=now)
            if not marked:
                return 0
            self._defer(session, marked)
            for check in marked:
                add_event(session=session, check=check, kind="queued", message=_job(check).queue)
                metrics.ENQUEUED.labels(queue=queue_name(check.channel)).inc()
        return len(marked)

    def _defer(self, session: Session, checks: Sequence[Check]) -> None:
        connection = _driver_connection(session)
        jobqueue.use_queue_schema(session=session)
        # Savepoints on the driver connection itself (SQLAlchemy emits its own lazily, at its
        # next statement, which would come too late).
        try:
            with connection.transaction():
                self.jobs.batch_defer_jobs([_job(c) for c in checks], connection=connection)
        except AlreadyEnqueued:
            # A job already waits for one of them (should not happen: the mark is written with
            # its job); defer one by one, keeping the rest.
            for check in checks:
                try:
                    with connection.transaction():
                        self.jobs.batch_defer_jobs([_job(check)], connection=connection)
                except AlreadyEnqueued:
                    log.warning("check already waiting in the queue", check_id=check.id)

    def maintain(self, *, engine: Engine) -> None:
        """Periodic: queue depth for /metrics, and checks whose job gave up re-enqueued."""
        with session_scope(engine) as session:
            metrics.set_queue_depth(jobqueue.queue_depth(session=session))
            orphans = jobqueue.queue_orphans(session=session)
            if orphans:
                self._defer(session, orphans)
                for check in orphans:
                    add_event(
                        session=session,
                        check=check,
                        kind="queued",
                        message="its job had stopped for good: queued again",
                    )
                log.warning("checks without a live job queued again", count=len(orphans))


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _paused_channels(session: Session, now: datetime) -> set[str]:
    channels = {
        c for campaign in runs.running_campaigns(session=session) for c in campaign.channels
    }
    return {
        c for c in channels if outage.paused_until(session=session, channel=c, now=now) is not None
    }

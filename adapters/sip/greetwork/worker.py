"""The greeting worker processes and the service that keeps them (ChannelSpec.services).

Each worker is a process of its own (spawned: no PJSUA, no event loop inherited), at a lower
priority than the call workers, so a transcription never takes a CPU a call needs. It adds the
jobs of newly recorded calls, claims up to BATCH waiting jobs, reads them (several together in
shared Whisper passes, one alone by itself) and stores the proposals; when there is nothing to
do it waits a second. It stops when told, or when its parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import time
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from adapters.sip.greetwork.engine import Speech, SpeechUnavailable, load, unavailable
from adapters.sip.greetwork.jobs import (
    CHANNEL,
    LEASE,
    enqueue,
    judged_outcomes,
    organisation_names,
    run_jobs,
)
from probe import metrics
from probe.results import utc_now
from probe.settings import Settings
from storage import greetings
from storage.engine import make_engine, session_scope
from storage.models import Check, GreetingProposal

log = structlog.get_logger("probe.greetings")
IDLE_SECONDS = 1.0
NICE = 10  # the call workers ask for -10: a transcription yields to any call
STATUS_SECONDS = 5.0
# Jobs claimed at once: greetings of up to 10 s pack two or three to a Whisper pass of 28 s
# (adapters/sip/greeting/batch.py), so six fill two or three passes; the lease (10 min) covers
# them even on a loaded machine.
BATCH = 6
# Fewer waiting than a batch: the worker lets more calls end for up to this long first (a
# greeting read alone costs about what a pass of three does). Nothing waits on a proposal.
SETTLE_SECONDS = 15.0


def _claim(engine: Engine, worker: str, speech: Speech) -> list[tuple[GreetingProposal, Any]]:
    """Up to BATCH waiting jobs, now this worker's, each with its organisation's names."""
    with session_scope(engine) as session:
        jobs = greetings.claim_many(
            session=session, worker=worker, now=utc_now(), lease=LEASE, limit=BATCH
        )
        found = []
        for job in jobs:
            check = session.get(Check, job.check_id)
            org = organisation_names(session, check) if check is not None else None
            found.append((job, speech.names(org or {"name": "", "short_name": ""})))
        return found


def work(
    engine: Engine, settings: Settings, worker: str, *, once: bool = False, stop: Any = None
) -> int:
    """Do jobs until `stop` is set (or, with `once`, until none is left); how many were done.
    Several waiting jobs are read together in shared passes, one alone by itself; fewer than
    BATCH are left to gather for SETTLE_SECONDS (not with `once`)."""
    speech = load(settings)
    parent = os.getppid()
    done = 0
    since: float | None = None  # when this worker first saw jobs it did not claim
    while stop is None or not stop.is_set():
        enqueue(engine)
        with Session(engine) as session:
            waiting = greetings.claimable(session=session, now=utc_now())
        since = None if not waiting else (since or time.monotonic())
        settled = since is not None and time.monotonic() - since >= SETTLE_SECONDS
        jobs = _claim(engine, worker, speech) if once or waiting >= BATCH or settled else []
        if jobs:
            since = None
            run_jobs(engine, settings, jobs, speech)
            done += len(jobs)
            continue
        if (once and not waiting) or os.getppid() != parent:
            return done
        time.sleep(IDLE_SECONDS)
    return done


def _process_main(settings: Settings, worker: str, stop: Any) -> None:
    with contextlib.suppress(OSError):
        os.nice(NICE)
    engine = make_engine(settings.database_url)
    try:
        work(engine, settings, worker, stop=stop)
    except SpeechUnavailable as error:
        log.warning("greeting worker stopped", reason=str(error))
    finally:
        engine.dispose()


def backlog(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return greetings.backlog(session=session, channels=[CHANNEL], outcomes=judged_outcomes())


def _set_gauge(counts: dict[str, int]) -> None:
    for state, count in counts.items():
        metrics.GREETING_BACKLOG.labels(state=state).set(count)


class Workers:
    """`count` worker processes, restarted when one dies."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.context = multiprocessing.get_context("spawn")
        self.stop = self.context.Event()
        self.processes: list[Any] = []

    def keep(self) -> None:
        alive = [p for p in self.processes if p.is_alive()]
        for process in self.processes:
            if not process.is_alive() and process.exitcode not in (0, None):
                log.warning("greeting worker died", pid=process.pid, exitcode=process.exitcode)
        self.processes = alive
        while len(self.processes) < self.count and not self.stop.is_set():
            name = f"greetings-{socket.gethostname()}-{os.getpid()}-{len(self.processes)}"
            process = self.context.Process(
                target=_process_main, args=(self.settings, name, self.stop), daemon=True
            )
            process.start()
            self.processes.append(process)

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(2)
        self.processes = []


async def service(*, engine: Engine, settings: Settings, stop: asyncio.Event, **_: Any) -> None:
    """The runner's service: the workers while the runner runs, the backlog gauge refreshed."""
    count = settings.sip.greeting_workers
    reason = "PROBE_SIP__GREETING_WORKERS is 0" if count == 0 else unavailable(settings)
    if reason is not None:
        log.info("greetings are not read from the recordings", reason=reason)
        return
    workers = Workers(settings, count)
    try:
        while not stop.is_set():
            workers.keep()
            _set_gauge(await asyncio.to_thread(backlog, engine))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STATUS_SECONDS)
    finally:
        await asyncio.to_thread(workers.close)

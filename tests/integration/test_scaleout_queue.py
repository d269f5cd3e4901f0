"""The PostgreSQL job queue: schema by migration, enqueue once, workers execute, /metrics, logs."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.sandbox.net import free_port
from schedules import campaigns as service
from schedules.queue import QueueDispatcher, _job, queue_name
from schedules.queue_worker import CheckExecutor
from storage.engine import make_engine
from storage.jobqueue import QUEUE_SCHEMA, QUEUED
from storage.migrate import downgrade, upgrade
from storage.models import Check
from tests.campaign_helpers import add_test_organisations, start_test_campaign
from tests.scaleout_helpers import (
    campaign_status,
    process_env,
    scheduler,
    stop,
    wait_until,
    worker,
)
from tests.servers.testpeer import TestPeer

pytestmark = pytest.mark.integration


def _jobs(engine: Engine) -> list[tuple[int, str, str | None, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT (args->>'check_id')::int, queue_name, lock, queueing_lock, "
                f"status::text FROM {QUEUE_SCHEMA}.procrastinate_jobs ORDER BY id"
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_migration_puts_the_queue_in_its_own_schema_and_takes_it_away(
    postgres_url: str, sqlite_url: str
) -> None:
    upgrade(postgres_url)
    upgrade(sqlite_url)
    engine = make_engine(postgres_url)
    assert set(inspect(engine).get_table_names(schema=QUEUE_SCHEMA)) == {
        "procrastinate_jobs",
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_workers",
    }
    assert not [t for t in inspect(engine).get_table_names() if t.startswith("procrastinate")]
    assert not [
        t for t in inspect(make_engine(sqlite_url)).get_table_names() if "procrastinate" in t
    ]
    downgrade(postgres_url, "0002")
    assert QUEUE_SCHEMA not in inspect(engine).get_schema_names()
    engine.dispose()


def test_a_due_check_is_enqueued_once_with_its_organisation_lock(
    pg_engine: Engine, test_peer: TestPeer
) -> None:
    ids = add_test_organisations(pg_engine, {"a": ["a0", "a1"], "b": ["b0"]})
    start_test_campaign(
        pg_engine, peer=test_peer.address, now=datetime.now(UTC), limits={"quiet_minutes": 0}
    )
    dispatcher = QueueDispatcher()
    later = datetime.now(UTC) + timedelta(seconds=5)  # the planner spaces contacts by a second
    assert dispatcher.enqueue(engine=pg_engine, now=later) == 3
    assert dispatcher.enqueue(engine=pg_engine, now=later) == 0
    with Session(pg_engine) as session:
        checks = {c.id: c for c in session.exec(select(Check)).all()}
    assert {c.status for c in checks.values()} == {"planned"}
    assert {c.claimed_by for c in checks.values()} == {QUEUED}
    jobs = _jobs(pg_engine)
    assert sorted(j[0] for j in jobs) == sorted(checks)
    for check_id, queue, lock, qlock, status in jobs:
        assert (queue, qlock, status) == (queue_name("test"), f"check-{check_id}", "todo")
        assert lock == f"organisation-{checks[check_id].organisation_id}"
    assert {j[2] for j in jobs} == {f"organisation-{ids['a']}", f"organisation-{ids['b']}"}
    # procrastinate's queueing lock refuses a second waiting job for the same check; the
    # dispatcher keeps the one there is.
    some = next(iter(checks.values()))
    with Session(pg_engine) as session, pytest.raises(AlreadyEnqueued):
        session.execute(text(f"SET LOCAL search_path TO {QUEUE_SCHEMA}"))
        raw = session.connection().connection.driver_connection
        dispatcher.jobs.batch_defer_jobs([_job(some)], connection=raw)
    with Session(pg_engine) as session:
        dispatcher._defer(session, [some])
        session.commit()
    assert len(_jobs(pg_engine)) == 3


async def test_a_paused_campaign_takes_its_queued_checks_back(
    pg_engine: Engine, test_peer: TestPeer, postgres_url: str
) -> None:
    add_test_organisations(pg_engine, {"a": ["a0"]})
    now = datetime.now(UTC)
    start_test_campaign(pg_engine, peer=test_peer.address, now=now)
    QueueDispatcher().enqueue(engine=pg_engine, now=now)
    service.transition(engine=pg_engine, name="t", action="pause", actor="test", now=now)
    from probe.settings import Settings

    executor = CheckExecutor(
        engine=pg_engine, settings=Settings(database_url=postgres_url), worker_id="w"
    )
    check_id = _jobs(pg_engine)[0][0]
    assert await executor.run(check_id=check_id, job_id=1) == "unqueued"
    with Session(pg_engine) as session:
        check = session.get(Check, check_id)
        assert check is not None
        assert (check.status, check.claimed_by) == ("planned", None)
    assert test_peer.executions() == []
    # Resumed, it is enqueued again.
    service.transition(engine=pg_engine, name="t", action="resume", actor="test", now=now)
    assert QueueDispatcher().enqueue(engine=pg_engine, now=now) == 1


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


@pytest.mark.peer_script({}, duration_ms=20)
def test_workers_execute_a_queued_campaign_and_serve_metrics_and_json_logs(
    pg_engine: Engine, test_peer: TestPeer, postgres_url: str, tmp_path: Path
) -> None:
    add_test_organisations(pg_engine, {f"o{i}": [f"o{i}-{n}" for n in range(3)] for i in range(20)})
    start_test_campaign(
        pg_engine,
        peer=test_peer.address,
        now=datetime.now(UTC),
        limits={"quiet_minutes": 0, "calls_in_parallel": 6, "checks_in_parallel": 6},
    )
    env = process_env(postgres_url, tmp_path / "var", PROBE_LOG_LEVEL="INFO")
    port = free_port()
    run = scheduler(env, tmp_path / "run.log")
    work = worker(env, tmp_path / "worker.log", extra=["--metrics-port", str(port)])
    try:
        wait_until(
            lambda: campaign_status(pg_engine) == "done",
            timeout=90,
            message="the campaign did not finish",
        )
        exposition = _scrape(port)
    finally:
        stop(work)
        stop(run)
    per_check = Counter(r.check_id for r in test_peer.executions())
    assert len(per_check) == 60 and set(per_check.values()) == {1}
    assert 'probe_checks_total{channel="test",outcome="connected"} 60.0' in exposition
    assert 'probe_check_duration_seconds_count{channel="test"} 60.0' in exposition
    assert "probe_queue_depth" in exposition
    lines = (tmp_path / "worker.log").read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    finished = [e for e in logged if e.get("event") == "probe finished"]
    assert len(finished) == 60
    assert {e["check_id"] for e in finished} == set(per_check)
    assert all(isinstance(e.get("campaign_id"), int) for e in finished)
    assert {j[4] for j in _jobs(pg_engine)} == {"succeeded"}


async def test_a_job_status_lost_with_the_database_is_written_again_and_frees_its_organisation(
    pg_engine: Engine, test_peer: TestPeer, postgres_url: str
) -> None:
    """procrastinate writes a finished job's status once; if the database blinks then, the job
    stays 'doing' under a live worker and its organisation's lock holds back the next check
    for good. Here the first write fails before it lands and the next lands with its answer
    lost: the worker writes again, sees it landed, and the organisation's second check runs."""
    from procrastinate.exceptions import ConnectorException

    from probe.settings import Settings
    from schedules.queue import make_app
    from schedules.queue_worker import WorkerOptions, serve

    add_test_organisations(pg_engine, {"a": ["a0", "a1"]})
    now = datetime.now(UTC)
    start_test_campaign(pg_engine, peer=test_peer.address, now=now, limits={"quiet_minutes": 0})
    assert QueueDispatcher().enqueue(engine=pg_engine, now=now + timedelta(seconds=5)) == 2
    app = make_app(postgres_url)
    finish = app.job_manager.finish_job
    blinks = ["before", "after"]

    async def blinking_finish(**kwargs: object) -> None:
        blink = blinks.pop(0) if blinks else None
        if blink == "after":
            await finish(**kwargs)  # type: ignore[arg-type]
        if blink is not None:
            raise ConnectorException(f"connection lost ({blink} the write)")
        await finish(**kwargs)  # type: ignore[arg-type]

    app.job_manager.finish_job = blinking_finish  # type: ignore[method-assign]
    executor = CheckExecutor(
        engine=pg_engine, settings=Settings(database_url=postgres_url), worker_id="w"
    )
    options = WorkerOptions(queues=None, concurrency=2, heartbeat=0.5, stalled_after=30, poll=0.1)
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(app=app, executor=executor, options=options, stop=stop))
    try:
        deadline = time.monotonic() + 20
        while len(test_peer.executions()) < 2 or {j[4] for j in _jobs(pg_engine)} - {"succeeded"}:
            assert time.monotonic() < deadline, (test_peer.executions(), _jobs(pg_engine))
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)
    assert blinks == []
    runs = sorted(test_peer.executions(), key=lambda e: e.start)
    assert [e.value for e in runs] == ["a0", "a1"]
    assert runs[0].end is not None and runs[0].end <= runs[1].start  # one call at a time

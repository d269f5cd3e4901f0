"""1,000 checks through the queue with 3 worker processes, while workers, the scheduler and
PostgreSQL itself are killed and restarted at random moments: by the test peer's own log,
every check is executed exactly once, never two calls to one organisation at once, and never
more calls in flight than the trunk's channels."""

from __future__ import annotations

import random
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Check, CheckEvent
from tests.campaign_helpers import add_test_organisations, start_test_campaign
from tests.scaleout_helpers import (
    campaign_status,
    max_parallel,
    organisation_overlaps,
    process_env,
    scheduler,
    stop,
    wait_until,
    worker,
)
from tests.servers.postgres import PostgresServer
from tests.servers.testpeer import TestPeer

pytestmark = pytest.mark.integration

ORGANISATIONS, CONTACTS = 250, 4
TRUNK_CHANNELS = 6  # calls_in_parallel: fewer than the 3 workers x 3 slots could run
KILL_AIM_SECONDS = 60  # how long a worker kill waits for a check in flight to land on
# Calls take 40 ms, but every fifth organisation's take 500 ms: with only short calls a loaded
# machine spends longer between calls than in them and never fills the trunk (CI once saw at
# most 3 at once), so the trunk limit would go untested. The long calls, spread through the
# directory, hold channels long enough for the workers to fill all of them.
LONG_CALLS = {
    f"v{i:03d}-{n}": {"duration_ms": 500}
    for i in range(0, ORGANISATIONS, 5)
    for n in range(CONTACTS)
}


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is killed under load, so no other test shares it."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _durable_database(server: PostgresServer) -> str:
    url = server.create_database()
    name = url.rsplit("/", 1)[1]
    conninfo = f"host=127.0.0.1 port={server.port} user={server.user} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        # The shared test server acknowledges commits before writing them (fast, and fine
        # until it is killed): this database must lose no acknowledged commit in a crash.
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
    return url


class Fleet:
    """The scheduler and three workers as processes, each restartable."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.workers = [worker(env, logs / f"worker{n}.log") for n in range(3)]
        self.scheduler = scheduler(env, logs / "run.log")

    def kill_worker(self, n: int) -> None:
        self.workers[n].send_signal(signal.SIGKILL)
        self.workers[n].wait()
        self.workers[n] = worker(self.env, self.logs / f"worker{n}.log")

    def kill_worker_in_flight(self, n: int, engine: Engine) -> set[int]:
        """Kill worker n while it has a check in flight (claimed, not finished, by the
        database), restart it, and return the checks the kill caught still running. A check
        that finished between the look and the kill does not count: aim again (bounded), so a
        loaded machine cannot make every kill fall between two checks."""
        deadline = time.monotonic() + KILL_AIM_SECONDS
        while True:
            assert time.monotonic() < deadline, f"worker {n} never had a check in flight"
            claim = f"{socket.gethostname()}:{self.workers[n].pid}:%"
            if _running_claimed(engine, claim):
                self.kill_worker(n)
                caught = _running_claimed(engine, claim)
                if caught:
                    return caught
            else:
                time.sleep(0.01)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait()
        self.scheduler = scheduler(self.env, self.logs / "run.log")

    def alive(self) -> bool:
        return all(p.poll() is None for p in [self.scheduler, *self.workers])

    def stop(self) -> None:
        for process in [self.scheduler, *self.workers]:
            stop(process)


def _running_claimed(engine: Engine, claim: str) -> set[int]:
    """The checks `running` under a claim like `claim` (empty while the database restarts)."""
    query = text("SELECT id FROM check_run WHERE status = 'running' AND claimed_by LIKE :claim")
    try:
        with engine.connect() as connection:
            return set(connection.execute(query, {"claim": claim}).scalars())
    except Exception:
        return set()


def _faults(
    fleet: Fleet, server: PostgresServer, peer: TestPeer, engine: Engine, rng: random.Random
) -> tuple[int, set[int]]:
    """Kill and restart at random moments while the campaign runs (each worker kill while
    that worker has a check in flight); the number of faults and the checks caught in flight."""
    plan = ["worker"] * 6 + ["postgres"] * 2 + ["scheduler"]
    rng.shuffle(plan)
    done, caught = 0, set()
    for fault in plan:
        time.sleep(rng.uniform(0.5, 2.0))
        assert fleet.alive(), "a process died by itself"
        if fault == "worker":
            caught |= fleet.kill_worker_in_flight(rng.randrange(3), engine)
        elif fault == "postgres":
            server.restart("immediate")
        else:
            fleet.kill_scheduler()
        done += 1
    assert len(peer.executions()) < ORGANISATIONS * CONTACTS, "the faults came after the end"
    return done, caught


@pytest.mark.timeout(900)  # the waits above are bounded, for a heavily loaded machine
@pytest.mark.peer_script(LONG_CALLS, duration_ms=40)
def test_a_thousand_checks_survive_killed_workers_and_a_restarted_database(
    own_postgres: PostgresServer, test_peer: TestPeer, tmp_path: Path
) -> None:
    url = _durable_database(own_postgres)
    upgrade(url)
    engine = make_engine(url)
    add_test_organisations(
        engine,
        {f"org{i:03d}": [f"v{i:03d}-{n}" for n in range(CONTACTS)] for i in range(ORGANISATIONS)},
    )
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=datetime.now(UTC),
        limits={"quiet_minutes": 0, "calls_in_parallel": TRUNK_CHANNELS, "checks_in_parallel": 8},
    )
    fleet = Fleet(process_env(url, tmp_path / "var"), tmp_path)
    try:
        wait_until(lambda: len(test_peer.executions()) > 20, timeout=180, message="nothing ran")
        faults, caught = _faults(fleet, own_postgres, test_peer, engine, random.Random(20261124))
        assert faults == 9
        wait_until(
            lambda: campaign_status(engine) == "done",
            timeout=300,  # some 20 s on an idle machine; minutes under heavy load
            message="the campaign did not finish",
        )
        assert fleet.alive(), "a process died by itself"
    finally:
        fleet.stop()
    _assert_exactly_once_and_limits(engine, test_peer, caught)
    engine.dispose()


def _assert_exactly_once_and_limits(engine: Engine, peer: TestPeer, caught: set[int]) -> None:
    runs = peer.executions()
    with Session(engine) as session:
        checks = session.exec(select(Check)).all()
        recovered = session.exec(select(CheckEvent).where(CheckEvent.kind == "recovery")).all()
    assert len(checks) == ORGANISATIONS * CONTACTS
    assert {c.status for c in checks} == {"done"}
    assert {c.outcome for c in checks} == {"connected"}
    per_check = Counter(r.check_id for r in runs)
    assert set(per_check) == {c.id for c in checks}
    doubled = {k: v for k, v in per_check.items() if v != 1}
    assert doubled == {}, f"executed more than once: {doubled}"
    assert all(r.end is not None for r in runs)
    assert organisation_overlaps(runs) == []
    # Every check a kill caught in flight was found so and resolved by asking the channel.
    assert caught, "no kill landed on a check in flight"
    missed = caught - {event.check_id for event in recovered}
    assert missed == set(), f"killed in flight, but never recovered: {missed}"
    peak = max_parallel(runs)
    print(f"calls in flight at most: {peak}")
    assert 3 < peak <= TRUNK_CHANNELS, f"at most {peak} calls in flight (trunk {TRUNK_CHANNELS})"
    with engine.connect() as connection:
        states = connection.execute(
            text("SELECT DISTINCT status::text FROM procrastinate.procrastinate_jobs")
        ).scalars()
        assert set(states) <= {"succeeded"}

"""kill -9 the runner at random moments: no check is lost and none is performed twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import Campaign, Check
from tests.campaign_helpers import add_test_organisations, start_test_campaign
from tests.servers.testpeer import TestPeer

pytestmark = pytest.mark.integration

PROBE = [sys.executable, "-m", "probe.cli.main", "run", "--tick", "0.05"]


def _runner() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        PROBE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PROBE_LOG_LEVEL": "WARNING"},
    )


def _campaign_status(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(Campaign.status)).one()


def _wait_for_new_work(peer: TestPeer, runner: subprocess.Popen[bytes]) -> None:
    """Until this runner has started executing (its start-up time varies with the load)."""
    seen = len(peer.executions())
    deadline = time.monotonic() + 60
    while len(peer.executions()) == seen:
        assert runner.poll() is None, "the runner died"
        assert time.monotonic() < deadline, "the runner never started a check"
        time.sleep(0.02)


@pytest.mark.peer_script({}, duration_ms=200)
def test_killing_the_runner_at_random_moments_loses_and_doubles_nothing(
    engine: Engine, test_peer: TestPeer, tmp_path: Path
) -> None:
    add_test_organisations(
        engine, {f"org{i:02d}": [f"v{i:02d}-{n}" for n in range(4)] for i in range(50)}
    )
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=datetime.now(UTC),
        limits={"quiet_minutes": 0, "calls_in_parallel": 4, "checks_in_parallel": 4},
    )
    rng = random.Random(20261123)
    kills = 0
    for _ in range(12):
        runner = _runner()
        _wait_for_new_work(test_peer, runner)
        time.sleep(rng.uniform(0.05, 0.6))
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        kills += 1
    assert kills >= 10
    executed_before_last_run = len(test_peer.executions())
    assert 0 < executed_before_last_run < 200, "the kills did not land mid-campaign"

    runner = _runner()
    try:
        deadline = time.monotonic() + 120
        while _campaign_status(engine) != "done":
            assert time.monotonic() < deadline, "the campaign did not finish"
            assert runner.poll() is None, "the runner died"
            time.sleep(0.2)
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=30)

    runs = test_peer.executions()
    per_check = Counter(r.check_id for r in runs)
    with Session(engine) as session:
        checks = session.exec(select(Check)).all()
    assert len(checks) == 200
    assert {c.status for c in checks} == {"done"}
    assert {c.outcome for c in checks} == {"connected"}
    assert set(per_check) == {c.id for c in checks}
    doubled = {k: v for k, v in per_check.items() if v != 1}
    assert doubled == {}, f"performed more than once: {doubled}"
    assert all(r.end is not None for r in runs)

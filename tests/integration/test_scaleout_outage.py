"""An outage on our side (the test peer unreachable) pauses the channel and raises an alert,
instead of marking organisations unreachable; dispatch comes back when the channel does."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from structlog.testing import capture_logs

from probe import metrics
from probe.sandbox.net import free_port
from probe.settings import get_settings
from schedules.daemon import CampaignRunner
from schedules.outage import OutagePolicy
from storage.models import AuditLog, Check
from tests.campaign_helpers import add_test_organisations, start_test_campaign
from tests.servers.testpeer import TestPeer

pytestmark = pytest.mark.integration


def _start_peer_on(port: int, directory: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "adapters.testchannel.peer", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log", str(directory / "peer.log"), "--duration-ms", "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("listening ")
    return process


def _alerts(engine: Engine) -> list[AuditLog]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditLog)
                .where(col(AuditLog.action).in_(["alert", "alert_cleared"]))
                .order_by(col(AuditLog.id))
            ).all()
        )


def _checks(engine: Engine) -> list[Check]:
    with Session(engine) as session:
        return list(session.exec(select(Check).order_by(col(Check.id))).all())


async def _until(condition: object, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_peer_unreachable_pauses_the_channel_with_an_alert_then_resumes(
    engine: Engine, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: our side is down
    add_test_organisations(engine, {f"o{i}": [f"o{i}-0"] for i in range(10)})
    start_test_campaign(
        engine,
        peer=f"127.0.0.1:{port}",
        now=datetime.now(UTC),
        limits={"quiet_minutes": 0, "checks_in_parallel": 1, "calls_in_parallel": 1},
    )
    failures_before = metrics.value(
        "probe_our_failures_total", channel="test", error_class="peer_unreachable"
    )
    policy = OutagePolicy(
        threshold=3, first_pause=timedelta(seconds=1.5), max_pause=timedelta(seconds=3)
    )
    runner = CampaignRunner(
        engine=engine, settings=get_settings(), tick_seconds=0.05, outage_policy=policy
    )
    stop = asyncio.Event()
    peer: subprocess.Popen[str] | None = None
    with capture_logs() as logs:
        task = asyncio.create_task(runner.run_forever(stop))
        try:
            await _until(lambda: len(_alerts(engine)) == 1, timeout=10)
            first = _checks(engine)
            failed = [c for c in first if c.outcome == "failed"]
            assert len(failed) == 3
            assert {c.error_class for c in failed} == {"peer_unreachable"}
            # The others wait: not tried, not held against their organisations.
            waiting = [c for c in first if c.outcome is None and not c.details.get("our_failure")]
            assert [c.status for c in waiting] == ["planned"] * 7
            assert metrics.value("probe_channel_paused", channel="test") == 1
            # Still down after the pause: one more failure, a second alert, a longer pause.
            await _until(lambda: len(_alerts(engine)) == 2, timeout=10)
            assert len([c for c in _checks(engine) if c.outcome == "failed"]) == 4
            peer = _start_peer_on(port, tmp_path)
            await _until(lambda: _alerts(engine)[-1].action == "alert_cleared", timeout=15)
            await _until(
                lambda: sum(c.outcome == "connected" for c in _checks(engine)) == 6, timeout=15
            )
        finally:
            stop.set()
            await task
            if peer is not None:
                peer.terminate()
                peer.wait()
    first_alert, second_alert, cleared = _alerts(engine)
    assert (first_alert.entity, first_alert.entity_id) == ("channel", "test")
    assert first_alert.after is not None and second_alert.after is not None
    assert first_alert.after["pause_seconds"] == 1.5
    assert second_alert.after["pause_seconds"] == 3.0
    assert "dispatch paused" in first_alert.after["message"]
    assert cleared.before == {"alert_id": second_alert.id}
    outage_lines = [e for e in logs if e["event"] == "our side outage: dispatch paused"]
    assert len(outage_lines) == 2 and outage_lines[0]["log_level"] == "error"
    assert any(e["event"] == "our side recovered: dispatch resumed" for e in logs)
    assert (
        metrics.value("probe_our_failures_total", channel="test", error_class="peer_unreachable")
        == failures_before + 4
    )
    # The failed checks are retried later as our failures, never counted against anyone.
    retries = [c for c in _checks(engine) if c.details.get("our_failure")]
    assert len(retries) == 4 and {c.status for c in retries} == {"planned"}
    runs = TestPeer(tmp_path).executions()
    assert len(runs) == 6  # only the checks that ran after the channel came back

"""The attempt policy, driven end to end: runner, scripted test channel, its own peer log."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.clock import ScaledClock
from probe.settings import Settings
from storage.models import Check, CheckEvent
from tests.campaign_helpers import add_test_organisations, run_until_done, start_test_campaign
from tests.servers.testpeer import Execution, TestPeer

pytestmark = pytest.mark.integration

FACTOR = 600.0  # one scaled minute is 0.1 s of real time


def _runs(peer: TestPeer, value: str) -> list[Execution]:
    return sorted((r for r in peer.executions() if r.value == value), key=lambda r: r.start)


def _scaled_minutes(seconds: float) -> float:
    return seconds * FACTOR / 60


@pytest.mark.peer_script(
    {
        "a-busy": ["busy", "connected"],
        "a-ok": ["connected"],
        "b-silent": ["no_answer"],
        "b-next": ["connected"],
        "c-dead": ["unavailable"],
        "c-ok": ["connected"],
    },
    duration_ms=30,
)
async def test_the_protocols_attempt_policy_is_followed(
    engine: Engine, test_peer: TestPeer
) -> None:
    add_test_organisations(
        engine, {"A": ["a-busy", "a-ok"], "B": ["b-silent", "b-next"], "C": ["c-dead", "c-ok"]}
    )
    clock = ScaledClock(datetime.now(UTC), FACTOR)
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=clock.now(),
        calls={"no_answer_retry_minutes": 30, "per_contact": 3, "per_organisation_per_day": 6},
        limits={"quiet_minutes": 3, "calls_in_parallel": 2},
    )
    await run_until_done(engine, settings=Settings(), clock=clock)

    busy = _runs(test_peer, "a-busy")
    assert [r.outcome for r in busy] == ["busy", "connected"]
    gap = _scaled_minutes(busy[1].start - (busy[0].end or 0))
    # Never before the interval; the upper bound allows for a loaded machine (1 s of real
    # delay is 10 scaled minutes).
    assert 10 <= gap <= 20 + 30, f"busy retried after {gap:.1f} scaled minutes"

    silent, following = _runs(test_peer, "b-silent"), _runs(test_peer, "b-next")
    assert [r.outcome for r in silent] == ["no_answer"] * 3  # per_contact
    assert len(following) == 1
    # No answer: the next number is tried right after (quiet period), not at its own slot
    # (after the retry, 30 scaled minutes on). The slack of 12 (1.2 s of real time) covers a
    # loaded machine and the session's first test warming up (7.1 was seen there).
    assert _scaled_minutes(following[0].start - (silent[0].end or 0)) <= 3 + 12
    retry_gap = _scaled_minutes(silent[1].start - (silent[0].end or 0))
    assert retry_gap >= 30

    assert [r.outcome for r in _runs(test_peer, "c-dead")] == ["unavailable"]
    assert [r.outcome for r in _runs(test_peer, "c-ok")] == ["connected"]


@pytest.mark.peer_script(
    {"d-drop": ["rejected", "connected"], "d-other": ["connected"]}, duration_ms=30
)
async def test_a_dropped_call_is_rung_again_minutes_later(
    engine: Engine, test_peer: TestPeer
) -> None:
    # Seed 000 row 6: «вызов сброшен» at 15.36, the same number at 15.47, connected.
    add_test_organisations(engine, {"D": ["d-drop", "d-other"]})
    clock = ScaledClock(datetime.now(UTC), FACTOR)
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=clock.now(),
        calls={"rejected_retry_minutes": [11, 11]},
        limits={"quiet_minutes": 3},
    )
    await run_until_done(engine, settings=Settings(), clock=clock)
    dropped = _runs(test_peer, "d-drop")
    assert [r.outcome for r in dropped] == ["rejected", "connected"]
    gap = _scaled_minutes(dropped[1].start - (dropped[0].end or 0))
    assert 11 <= gap <= 11 + 30, f"dropped call rung again after {gap:.1f} scaled minutes"
    assert [r.outcome for r in _runs(test_peer, "d-other")] == ["connected"]


@pytest.mark.peer_script({"e-busy": ["busy", "connected"], "e-new": ["connected"]}, duration_ms=30)
async def test_a_number_listed_after_the_plan_is_tried_when_another_fails(
    engine: Engine, test_peer: TestPeer
) -> None:
    add_test_organisations(engine, {"E": ["e-busy"]})
    clock = ScaledClock(datetime.now(UTC), FACTOR)
    start_test_campaign(engine, peer=test_peer.address, now=clock.now())
    add_test_organisations(engine, {"E": ["e-busy", "e-new"]})  # listed since the plan was made
    await run_until_done(engine, settings=Settings(), clock=clock)
    busy, new = _runs(test_peer, "e-busy"), _runs(test_peer, "e-new")
    assert [r.outcome for r in new] == ["connected"]
    assert new[0].start < busy[1].start  # right after the busy call, before its retry
    with Session(engine) as session:
        first = session.exec(select(Check).where(Check.id == new[0].check_id)).one()
        assert first.attempt == 1  # the number's own first attempt


@pytest.mark.peer_script({}, duration_ms=40)
async def test_limits_per_organisation_and_trunk_hold(engine: Engine, test_peer: TestPeer) -> None:
    add_test_organisations(engine, {f"org{i}": [f"o{i}-{n}" for n in range(3)] for i in range(6)})
    clock = ScaledClock(datetime.now(UTC), FACTOR)
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=clock.now(),
        limits={"quiet_minutes": 0.2, "calls_in_parallel": 3},
    )
    await run_until_done(engine, settings=Settings(), clock=clock)
    runs = test_peer.executions()
    assert len(runs) == 18
    edges = sorted(
        [(r.start, 1) for r in runs] + [(r.end or 0, -1) for r in runs], key=lambda e: (e[0], e[1])
    )
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    assert peak <= 3, f"{peak} calls at once on a trunk of 3 channels"
    assert peak >= 2, "the trunk's channels were not used in parallel"
    for org in {r.organisation_id for r in runs}:
        mine = sorted((r for r in runs if r.organisation_id == org), key=lambda r: r.start)
        for before, after in itertools.pairwise(mine):
            assert after.start >= (before.end or 0), f"two calls at once to organisation {org}"


@pytest.mark.peer_script({"x": ["busy"]}, duration_ms=20)
async def test_every_decision_is_in_the_timeline(engine: Engine, test_peer: TestPeer) -> None:
    add_test_organisations(engine, {"X": ["x"]})
    clock = ScaledClock(datetime.now(UTC), FACTOR)
    start_test_campaign(
        engine,
        peer=test_peer.address,
        now=clock.now(),
        calls={"per_contact": 2, "busy_retry_minutes": [1, 2]},
    )
    await run_until_done(engine, settings=Settings(), clock=clock)
    with Session(engine) as session:
        checks = session.exec(select(Check).order_by(Check.id)).all()  # type: ignore[arg-type]
        assert [(c.outcome, c.attempt) for c in checks] == [("busy", 1), ("busy", 2)]
        first = session.exec(select(CheckEvent).where(CheckEvent.check_id == checks[0].id)).all()
        messages = [e.message for e in first if e.kind == "decision"]
        assert messages and messages[0].startswith("busy: retry in ")
        assert f"check {checks[1].id} at" in messages[0]
        second = session.exec(select(CheckEvent).where(CheckEvent.check_id == checks[1].id)).all()
        assert any("2 attempts on this number reached" in e.message for e in second)

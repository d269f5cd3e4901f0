"""The sandbox's time warp: it skips nights and days of waiting while a campaign has something
left to happen, and leaves the clock alone once nothing is (the review UI stays up after the
run: a campaign created there starts from the sandbox's day, not from one an idle clock ran
ahead to)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from probe.clock import WarpClock
from probe.sandbox.run import TimeWarp
from probe.sandbox.staff import Staff

OMSK = ZoneInfo("Asia/Omsk")


def test_an_idle_sandbox_clock_does_not_jump(engine: Engine) -> None:
    clock = WarpClock(datetime(2026, 4, 6, 16, 0, tzinfo=OMSK), 1.0)
    warp = TimeWarp(clock, engine, Staff(mx_port=1))
    assert warp.next_event({}) is None
    assert warp.next_event({"done": 3, "cancelled": 1}) is None
    # A letter waiting for its reply: the night passes (a reply deadline ends at midnight).
    jump = warp.next_event({"done": 3, "waiting": 1})
    assert jump == datetime(2026, 4, 7, 0, 0, 1, tzinfo=OMSK)
    assert warp.next_event({"running": 1, "waiting": 1}) is None  # a call in flight
    assert clock.now() - datetime(2026, 4, 6, 16, 0, tzinfo=OMSK) < timedelta(minutes=1)

import time
from datetime import UTC, datetime, timedelta

import pytest

from probe.clock import ScaledClock, SystemClock, WarpClock, current_clock, set_clock
from probe.results import utc_now


def test_a_scaled_clock_runs_faster_from_its_start() -> None:
    start = datetime(2026, 4, 7, 3, 0, tzinfo=UTC)
    clock = ScaledClock(start, 3600)
    time.sleep(0.05)
    elapsed = clock.now() - start
    assert timedelta(minutes=2) < elapsed < timedelta(minutes=30)


async def test_a_scaled_clock_sleeps_scaled_time() -> None:
    clock = ScaledClock(datetime(2026, 4, 7, tzinfo=UTC), 600)
    began = time.monotonic()
    await clock.sleep(60)  # a minute of sandbox time
    assert time.monotonic() - began < 1.0


def test_the_process_clock_drives_utc_now() -> None:
    start = datetime(2026, 4, 7, 3, 0, tzinfo=UTC)
    previous = set_clock(ScaledClock(start, 1))
    try:
        assert abs(utc_now() - start) < timedelta(seconds=5)
    finally:
        set_clock(previous)
    assert isinstance(current_clock(), SystemClock)
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ScaledClock(datetime(2026, 4, 7), 10)


def test_a_warp_clock_jumps_forward_only_and_keeps_running() -> None:
    start = datetime(2026, 4, 6, 3, 0, tzinfo=UTC)
    clock = WarpClock(start, 60)
    target = start + timedelta(hours=20)
    assert clock.jump_to(target) > timedelta(hours=19)
    assert target <= clock.now() < target + timedelta(minutes=1)
    assert clock.jump_to(start) == timedelta(0)  # never backward
    assert clock.now() >= target
    assert clock.jumped >= timedelta(hours=19)

"""Clocks: the real one, and a compressed one for the sandbox (a campaign of days in minutes)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of this clock's time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScaledClock:
    """Starts at `start` and runs `factor` times faster than real time (monotonic based)."""

    def __init__(self, start: datetime, factor: float) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.start = start.astimezone(UTC)
        self.factor = factor
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.factor)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)


_CURRENT: Clock = SystemClock()


def current_clock() -> Clock:
    """The clock every timestamp of this process comes from (probe.results.utc_now)."""
    return _CURRENT


def set_clock(clock: Clock) -> Clock:
    """Make `clock` the process's clock (the sandbox compresses time); returns the previous."""
    global _CURRENT
    previous, _CURRENT = _CURRENT, clock
    return previous

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


class WarpClock(ScaledClock):
    """A ScaledClock that can also jump forward (the sandbox skips the nights and the days of
    waiting for replies when nothing is in flight); never backward."""

    def __init__(self, start: datetime, factor: float) -> None:
        super().__init__(start, factor)
        self.jumped = timedelta(0)

    def jump_to(self, instant: datetime) -> timedelta:
        """Move the clock forward to `instant` (no-op if it is not ahead); returns the jump."""
        ahead = instant.astimezone(UTC) - self.now()
        if ahead <= timedelta(0):
            return timedelta(0)
        self.start += ahead
        self.jumped += ahead
        return ahead


_CURRENT: Clock = SystemClock()


def current_clock() -> Clock:
    """The clock every timestamp of this process comes from (probe.results.utc_now)."""
    return _CURRENT


def set_clock(clock: Clock) -> Clock:
    """Make `clock` the process's clock (the sandbox compresses time); returns the previous."""
    global _CURRENT
    previous, _CURRENT = _CURRENT, clock
    return previous

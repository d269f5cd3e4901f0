"""When an organisation may be probed: its open hours, minus margins, as UTC epoch seconds.

Windows are computed once per (time zone, published hours, margins, dates) and shared by every
organisation with the same ones, which is what keeps planning 100,000 organisations fast.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from probe.calendar import open_windows_utc
from probe.hours import WeeklySchedule


@dataclass(frozen=True)
class Windows:
    """Sorted, disjoint [start, end) intervals in epoch seconds, with cumulative open time."""

    starts: tuple[float, ...]
    ends: tuple[float, ...]
    cumulative: tuple[float, ...]  # open seconds before each interval

    @property
    def total(self) -> float:
        return self.cumulative[-1] + (self.ends[-1] - self.starts[-1]) if self.starts else 0.0

    def at_offset(self, offset: float) -> float:
        """The instant `offset` open seconds into the windows (wrapping around the end)."""
        if not self.starts:
            raise ValueError("no open window")
        offset %= self.total
        index = bisect.bisect_right(self.cumulative, offset) - 1
        return self.starts[index] + (offset - self.cumulative[index])

    def first_open_at_or_after(self, instant: float) -> float | None:
        """The earliest open instant >= `instant`, or None after the last window."""
        index = bisect.bisect_right(self.ends, instant)
        if index >= len(self.starts):
            return None
        return max(instant, self.starts[index])

    def next_day_start_after(self, instant: float, tz: str) -> float | None:
        """The first open instant on a later local day than `instant`'s."""
        zone = ZoneInfo(tz)
        local = datetime.fromtimestamp(instant, zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
        return self.first_open_at_or_after(midnight.timestamp())

    def is_open(self, instant: float) -> bool:
        index = bisect.bisect_right(self.starts, instant) - 1
        return index >= 0 and instant < self.ends[index]


def _build(intervals: list[tuple[float, float]]) -> Windows:
    intervals = sorted((a, b) for a, b in intervals if b > a)
    cumulative, total = [], 0.0
    for a, b in intervals:
        cumulative.append(total)
        total += b - a
    return Windows(
        tuple(a for a, _ in intervals), tuple(b for _, b in intervals), tuple(cumulative)
    )


@lru_cache(maxsize=4096)
def _hours_windows(
    tz: str, hours_key: str, first: date, last: date, after_open: int, before_close: int
) -> Windows:
    schedule = _SCHEDULES[hours_key]
    margin_a, margin_b = timedelta(minutes=after_open), timedelta(minutes=before_close)
    intervals = []
    # Margins apply to the working day's opening and closing, not around the lunch break.
    by_day: dict[date, list[tuple[datetime, datetime]]] = {}
    zone = ZoneInfo(tz)
    for start, end in open_windows_utc(first, last, tz=tz, schedule=schedule):
        by_day.setdefault(start.astimezone(zone).date(), []).append((start, end))
    for day_intervals in by_day.values():
        day_intervals.sort()
        opening, closing = day_intervals[0][0] + margin_a, day_intervals[-1][1] - margin_b
        for start, end in day_intervals:
            a, b = max(start, opening), min(end, closing)
            if b > a:
                intervals.append((a.timestamp(), b.timestamp()))
    return _build(intervals)


# Schedules by key, so the lru_cache key stays hashable and small.
_SCHEDULES: dict[str, WeeklySchedule | None] = {}


def organisation_windows(
    *,
    tz: str,
    hours: dict[str, Any] | None,
    hours_key: str,
    first: date,
    last: date,
    after_open_minutes: int,
    before_close_minutes: int,
) -> Windows:
    """Open windows of one organisation. `hours_key` identifies `hours` (e.g. the raw text)."""
    key = f"{tz}|{hours_key}"
    if key not in _SCHEDULES:
        _SCHEDULES[key] = WeeklySchedule.model_validate(hours) if hours else None
    return _hours_windows(tz, key, first, last, after_open_minutes, before_close_minutes)


def always_windows(first: date, last: date) -> Windows:
    start = datetime.combine(first, time(0), UTC).timestamp()
    end = datetime.combine(last + timedelta(days=1), time(0), UTC).timestamp()
    return _build([(start, end)])

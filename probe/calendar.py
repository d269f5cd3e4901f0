"""The Russian production calendar and an organisation's working time.

Built on the `holidays` package, which lists the public holidays of the Labour Code art. 112 and
the government's transferred days off ("Выходной (перенесено с 27.04.2024)"). Two facts the
package does not state are derived from it:

- a working weekend day: the date a day off was transferred *from*, when that date is a Saturday
  or Sunday and not itself a holiday (27.04.2024, 01.11.2025). It is worked with the hours of the
  weekday it was swapped with (27.04.2024 is worked as Monday 29.04.2024);
- a shortened pre-holiday day (art. 95: one hour shorter): a working day followed directly by a
  public holiday of art. 112, or a working weekend day followed only by days off up to such a
  holiday (01.11.2025 before 04.11.2025). A day before a *transferred* day off is not shortened
  (30.12.2025 before 31.12.2025), nor a Friday before a weekend ending in a holiday (21.02.2025).
  For an organisation that works Saturdays, a Saturday before a holiday is shortened too.
  This reproduces the official calendars of 2024-2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from probe.hours import DaySchedule, WeeklySchedule, default_schedule

_TRANSFER = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")
_TRANSFER_MARKERS = ("Выходной", "(выходной)")


@dataclass(frozen=True)
class _Year:
    holidays: dict[date, str]  # every non-working holiday or transferred day off
    official: frozenset[date]  # art. 112 holidays only
    working_weekend: dict[date, date]  # working Saturday/Sunday -> the weekday it replaces


@cache
def _year(year: int) -> _Year:
    table = holidays.country_holidays("RU", years=[year - 1, year, year + 1], language="ru")
    days = {d: str(n) for d, n in table.items()}
    official = frozenset(d for d, n in days.items() if not any(m in n for m in _TRANSFER_MARKERS))
    swaps: dict[date, date] = {}
    for day_off, name in days.items():
        match = _TRANSFER.search(name)
        if not match:
            continue
        source = date(int(match[3]), int(match[2]), int(match[1]))
        if source.weekday() >= 5 and source not in days:
            swaps[source] = day_off
    return _Year(days, official, swaps)


def is_holiday(day: date) -> bool:
    """A public holiday or a transferred day off."""
    return day in _year(day.year).holidays


def working_weekend_swap(day: date) -> date | None:
    """For a working Saturday/Sunday, the weekday whose hours it is worked with."""
    return _year(day.year).working_weekend.get(day)


def is_working_day(day: date, schedule: WeeklySchedule | None = None) -> bool:
    """Whether the organisation works on `day` (default: a five-day week)."""
    return _day_schedule(day, schedule or default_schedule()) is not None


def is_pre_holiday(day: date) -> bool:
    """Art. 95: the day is one hour shorter (see the module docstring for the rule).

    Asked of an ordinary Saturday, it answers for those who work Saturdays (07.03.2026)."""
    if is_holiday(day):
        return False
    following = day + timedelta(days=1)
    if following in _year(following.year).official:
        return True
    if working_weekend_swap(day) is None:
        return False
    while _is_non_working_for_five_day_week(following):
        if following in _year(following.year).official:
            return True
        following += timedelta(days=1)
    return False


def _is_non_working_for_five_day_week(day: date) -> bool:
    return is_holiday(day) or (day.weekday() >= 5 and working_weekend_swap(day) is None)


def _day_schedule(day: date, schedule: WeeklySchedule) -> DaySchedule | None:
    if is_holiday(day):
        return None
    swap = working_weekend_swap(day)
    if swap is not None:
        # A working Saturday is worked only by those who work on the weekday it replaces.
        return schedule.for_weekday(swap.weekday())
    return schedule.for_weekday(day.weekday())


def open_intervals(day: date, schedule: WeeklySchedule | None = None) -> list[tuple[time, time]]:
    """The organisation's open hours on a local date: no holidays, breaks cut out, and the
    closing time one hour earlier on a pre-holiday day."""
    day_schedule = _day_schedule(day, schedule or default_schedule())
    if day_schedule is None:
        return []
    closes = day_schedule.closes
    if is_pre_holiday(day):
        closes = (datetime.combine(day, closes) - timedelta(hours=1)).time()
    intervals: list[tuple[time, time]] = []
    start = day_schedule.opens
    for brk in sorted(day_schedule.breaks, key=lambda b: b.start):
        if brk.start > start:
            intervals.append((start, min(brk.start, closes)))
        start = max(start, brk.end)
    if closes > start:
        intervals.append((start, closes))
    return [(a, b) for a, b in intervals if b > a]


def open_windows_utc(
    first: date, last: date, *, tz: str, schedule: WeeklySchedule | None
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals as UTC instants, for every local date from `first` to `last` inclusive."""
    zone = ZoneInfo(tz)
    day = first
    while day <= last:
        for opens, closes in open_intervals(day, schedule):
            yield (
                datetime.combine(day, opens, zone).astimezone(UTC),
                datetime.combine(day, closes, zone).astimezone(UTC),
            )
        day += timedelta(days=1)


def working_days_elapsed(
    start: datetime, end: datetime, *, tz: str, schedule: WeeklySchedule | None = None
) -> int:
    """Working days after the day of `start` up to and including the day of `end`, in the
    organisation's zone: a reply on the day the question arrived took 0 working days."""
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        count += is_working_day(day, schedule)
        day += timedelta(days=1)
    return count


def working_deadline(
    start: datetime, working_days: int, *, tz: str, schedule: WeeklySchedule | None = None
) -> datetime:
    """The end (local midnight) of the n-th working day after the day of `start`, in UTC.

    "Answered within 3 working days of receipt" counts from the next day, and a reply any time
    on the third working day is in time.
    """
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date()
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        remaining -= is_working_day(day, schedule)
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)

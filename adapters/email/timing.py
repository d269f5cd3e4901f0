"""Reply latency in hours and in the organisation's working days, and the reply deadline.

All calendar arithmetic is probe.calendar's (production calendar, transfers, working
Saturdays, shortened pre-holiday days); this module only applies it to an e-mail check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from probe.calendar import (
    is_holiday,
    open_windows_utc,
    working_days_elapsed,
    working_deadline,
)
from probe.hours import WeeklySchedule, default_schedule


@dataclass(frozen=True)
class ReplyTiming:
    latency_hours: float
    working_days: int  # working days after the day of receipt, up to the day of the reply
    working_hours: float  # the organisation's open hours between the two instants

    def as_json(self) -> dict[str, Any]:
        return {
            "latency_hours": self.latency_hours,
            "working_days": self.working_days,
            "working_hours": self.working_hours,
        }


def load_calendar() -> None:
    """Load the production calendar now: the `holidays` package takes about 0.2 s to import,
    better spent when the watcher starts than while it records the first reply."""
    is_holiday(date.today())


def schedule_of(hours: dict[str, Any] | None) -> WeeklySchedule:
    """An organisation's stored hours, or the calendar's default five-day week.

    Validated once per distinct value: the calendar asks for the schedule of every day it
    counts, and building one (or the default, which the calendar would build for each day
    itself) cost more than the rest of recording a reply. The instances are shared: not to be
    modified.
    """
    return _schedule(json.dumps(hours, sort_keys=True) if hours else "")


@lru_cache(maxsize=1024)
def _schedule(hours_json: str) -> WeeklySchedule:
    if not hours_json:
        return default_schedule()
    return WeeklySchedule.model_validate(json.loads(hours_json))


def reply_timing(
    *, sent_at: datetime, replied_at: datetime, tz: str, schedule: WeeklySchedule | None
) -> ReplyTiming:
    latency = max(replied_at - sent_at, timedelta(0))
    return ReplyTiming(
        latency_hours=round(latency.total_seconds() / 3600, 4),
        working_days=_working_days(sent_at, replied_at, tz=tz, schedule=schedule),
        working_hours=round(_open_hours(sent_at, replied_at, tz=tz, schedule=schedule), 2),
    )


# The calendar's answers by the dates they depend on: a batch of replies to one campaign asks
# the same few questions hundreds of times. An answer is kept with the schedule it was for and
# used only for that same (shared, unmodified: see `schedule_of`) schedule object.
_ANSWERS: dict[tuple[Any, ...], tuple[WeeklySchedule | None, Any]] = {}
_MAX_ANSWERS = 10_000


def _remembered(key: tuple[Any, ...], schedule: WeeklySchedule | None, compute: Any) -> Any:
    found = _ANSWERS.get(key)
    if found is not None and found[0] is schedule:
        return found[1]
    value = compute()
    if len(_ANSWERS) >= _MAX_ANSWERS:
        _ANSWERS.clear()
    _ANSWERS[key] = (schedule, value)
    return value


def _local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def _working_days(
    start: datetime, end: datetime, *, tz: str, schedule: WeeklySchedule | None
) -> int:
    """`working_days_elapsed`, which depends only on the two local dates."""
    key = ("days", _local_date(start, tz), _local_date(end, tz), tz, id(schedule))
    return int(
        _remembered(
            key, schedule, lambda: working_days_elapsed(start, end, tz=tz, schedule=schedule)
        )
    )


def _open_hours(
    start: datetime, end: datetime, *, tz: str, schedule: WeeklySchedule | None
) -> float:
    if end <= start:
        return 0.0
    first = (start - timedelta(days=1)).date()
    last = (end + timedelta(days=1)).date()
    windows = _remembered(
        ("windows", first, last, tz, id(schedule)),
        schedule,
        lambda: list(open_windows_utc(first, last, tz=tz, schedule=schedule)),
    )
    total = timedelta(0)
    for opens, closes in windows:
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total.total_seconds() / 3600


def reply_deadline(
    *, sent_at: datetime, working_days: int, tz: str, schedule: WeeklySchedule | None
) -> datetime:
    """After this instant (UTC) a check without a human reply is `no_reply`."""
    key = ("deadline", _local_date(sent_at, tz), working_days, tz, id(schedule))
    deadline: datetime = _remembered(
        key, schedule, lambda: working_deadline(sent_at, working_days, tz=tz, schedule=schedule)
    )
    return deadline


def reply_window_end(*, sent_at: datetime, days: int, tz: str) -> datetime:
    """The end (UTC) of the `days`-th calendar day after the day the letter was sent, in the
    organisation's zone (59-FZ counts days from registration); a letter still unanswered then
    is `no_reply`. Working days do not matter here: the window is the law's, the working-day
    norm only marks a reply late."""
    zone = ZoneInfo(tz)
    last = sent_at.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)

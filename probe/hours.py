"""An organisation's weekly working hours: the model the directory fills, the planner, the
calendar and the e-mail reply timing read.

Stored as JSON on the organisation (storage.models.Organisation.hours); the directory's parser
of the published Russian text is probe.directory.hours.
"""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, field_validator


class Interval(BaseModel):
    start: time
    end: time

    def contains(self, at: time) -> bool:
        return self.start <= at < self.end


class DaySchedule(BaseModel):
    weekday: int  # 0 = Monday .. 6 = Sunday
    opens: time
    closes: time
    breaks: list[Interval] = []

    @field_validator("weekday")
    @classmethod
    def _weekday_in_week(cls, value: int) -> int:
        if not 0 <= value <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {value}")
        return value


class WeeklySchedule(BaseModel):
    days: list[DaySchedule]  # working weekdays only, sorted
    # Set when the schedule is not the organisation's own published one: what it was built from
    # (its region's default hours, with the published break when only a break was given).
    assumed: str | None = None

    @field_validator("days")
    @classmethod
    def _sorted_and_unique(cls, days: list[DaySchedule]) -> list[DaySchedule]:
        weekdays = [d.weekday for d in days]
        if len(set(weekdays)) != len(weekdays):
            raise ValueError(f"a weekday appears twice: {weekdays}")
        return sorted(days, key=lambda d: d.weekday)

    def for_weekday(self, weekday: int) -> DaySchedule | None:
        return next((d for d in self.days if d.weekday == weekday), None)

    def is_open(self, weekday: int, at: time) -> bool:
        day = self.for_weekday(weekday)
        if day is None or not day.opens <= at < day.closes:
            return False
        return not any(b.contains(at) for b in day.breaks)


def default_schedule() -> WeeklySchedule:
    """Omsk ministry and territorial offices: Mon-Thu 8:30-17:45, Fri 8:30-16:30, lunch 13-14."""
    lunch = [Interval(start=time(13), end=time(14))]
    days = [
        DaySchedule(weekday=d, opens=time(8, 30), closes=time(17, 45), breaks=lunch)
        for d in range(4)
    ]
    days.append(DaySchedule(weekday=4, opens=time(8, 30), closes=time(16, 30), breaks=lunch))
    return WeeklySchedule(days=days)


def with_breaks(schedule: WeeklySchedule, breaks: list[Interval]) -> WeeklySchedule:
    """`schedule` with each day's breaks replaced by those of `breaks` that fall in its hours."""
    days = [
        day.model_copy(
            update={"breaks": [b for b in breaks if day.opens <= b.start and b.end <= day.closes]}
        )
        for day in schedule.days
    ]
    return schedule.model_copy(update={"days": days})

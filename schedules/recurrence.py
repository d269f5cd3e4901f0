"""Recurring campaigns: "the first working Tuesday of every quarter", and the like.

A campaign with `recurrence` is a template: on each occurrence the runner creates and starts a
copy named `<name>-<period>` (e.g. `omsk-phones-2026-q2`) spanning `duration_days`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from probe.calendar import is_working_day

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Recurrence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: Literal["month", "quarter", "year"]
    weekday: Weekday | None = None  # None: the first working day of the period
    duration_days: int = Field(14, ge=1, le=120)


def period_start(day: date, every: str) -> date:
    if every == "month":
        return day.replace(day=1)
    if every == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_period(start: date, every: str) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[every]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_label(day: date, every: str) -> str:
    if every == "month":
        return f"{day.year}-{day.month:02d}"
    if every == "quarter":
        return f"{day.year}-q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def occurrence_in_period(rule: Recurrence, start: date) -> date:
    """The first working day of the period that falls on `rule.weekday` (if given)."""
    day = start
    while True:
        if (rule.weekday is None or WEEKDAYS[day.weekday()] == rule.weekday) and is_working_day(
            day
        ):
            return day
        day += timedelta(days=1)


def next_occurrence(rule: Recurrence, on_or_after: date) -> date:
    start = period_start(on_or_after, rule.every)
    while True:
        day = occurrence_in_period(rule, start)
        if day >= on_or_after:
            return day
        start = _next_period(start, rule.every)

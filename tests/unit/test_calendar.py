"""The production calendar of 2024-2026: holidays, transfers, working Saturdays, short days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from probe.calendar import (
    is_holiday,
    is_pre_holiday,
    is_working_day,
    open_intervals,
    working_days_elapsed,
    working_deadline,
    working_weekend_swap,
)
from probe.directory.hours import parse_hours

OMSK = "Asia/Omsk"
FIVE_DAYS = parse_hours("пн-чт 8:30-17:45, пт 8:30-16:30, перерыв с 13.00 до 14.00")
WITH_SATURDAY = parse_hours(
    "понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, "
    "суббота с 9.00 до 14.00"
)


@pytest.mark.parametrize(
    "day",
    [date(2026, 1, d) for d in range(1, 10)]
    + [
        date(2024, 4, 29),
        date(2024, 4, 30),
        date(2024, 12, 30),
        date(2024, 12, 31),
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 12, 31),
        date(2026, 3, 9),
        date(2026, 5, 11),
        date(2026, 12, 31),
    ],
)
def test_holidays_and_transferred_days_off_are_not_worked(day: date) -> None:
    assert is_holiday(day)
    assert not is_working_day(day)
    assert not is_working_day(day, WITH_SATURDAY)


@pytest.mark.parametrize(
    ("saturday", "worked_as"),
    [
        (date(2024, 4, 27), date(2024, 4, 29)),
        (date(2024, 11, 2), date(2024, 4, 30)),
        (date(2024, 12, 28), date(2024, 12, 30)),
        (date(2025, 11, 1), date(2025, 11, 3)),
    ],
)
def test_working_saturdays_are_worked_with_the_swapped_weekdays_hours(
    saturday: date, worked_as: date
) -> None:
    assert working_weekend_swap(saturday) == worked_as
    assert is_working_day(saturday)
    assert open_intervals(saturday, FIVE_DAYS)


def test_an_ordinary_saturday_is_worked_only_by_those_who_work_saturdays() -> None:
    saturday = date(2026, 3, 14)
    assert not is_working_day(saturday, FIVE_DAYS)
    assert is_working_day(saturday, WITH_SATURDAY)
    assert open_intervals(saturday, WITH_SATURDAY) == [(time(9), time(14))]


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 2, 22),
        date(2024, 3, 7),
        date(2024, 4, 27),
        date(2024, 5, 8),
        date(2024, 6, 11),
        date(2024, 11, 2),
        date(2024, 12, 28),
        date(2025, 3, 7),
        date(2025, 4, 30),
        date(2025, 6, 11),
        date(2025, 11, 1),
        date(2026, 4, 30),
        date(2026, 5, 8),
        date(2026, 6, 11),
        date(2026, 11, 3),
    ],
)
def test_official_shortened_days_are_pre_holiday(day: date) -> None:
    assert is_pre_holiday(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 2, 21),  # Friday before a weekend whose Sunday is 23 February
        date(2025, 5, 7),  # before a transferred day off, not a holiday
        date(2025, 12, 30),  # before 31.12.2025, a transferred day off
        date(2026, 2, 20),  # 23.02.2026 is preceded by a weekend
        date(2026, 3, 6),  # 08.03.2026 is a Sunday
        date(2026, 3, 12),
    ],
)
def test_other_days_are_not_shortened(day: date) -> None:
    assert not is_pre_holiday(day)


def test_pre_holiday_day_closes_an_hour_earlier_and_breaks_are_cut_out() -> None:
    assert open_intervals(date(2026, 4, 29), FIVE_DAYS) == [
        (time(8, 30), time(13)),
        (time(14), time(17, 45)),
    ]
    assert open_intervals(date(2026, 4, 30), FIVE_DAYS) == [
        (time(8, 30), time(13)),
        (time(14), time(16, 45)),
    ]


def test_working_days_elapsed_skips_weekends_and_holidays() -> None:
    # Sent on Thursday 30.04.2026 (Omsk); 1-3 May and 9-11 May are off.
    sent = datetime(2026, 4, 30, 5, 0, tzinfo=UTC)  # 11:00 in Omsk
    assert working_days_elapsed(sent, datetime(2026, 4, 30, 10, 0, tzinfo=UTC), tz=OMSK) == 0
    assert working_days_elapsed(sent, datetime(2026, 5, 4, 3, 0, tzinfo=UTC), tz=OMSK) == 1
    assert working_days_elapsed(sent, datetime(2026, 5, 12, 3, 0, tzinfo=UTC), tz=OMSK) == 6


def test_three_working_day_deadline_crosses_the_new_year_holidays() -> None:
    # Sent on 30.12.2025; 31.12-11.01 are off: the third working day is 14.01.2026.
    sent = datetime(2025, 12, 30, 6, 0, tzinfo=UTC)
    deadline = working_deadline(sent, 3, tz=OMSK)
    assert deadline == datetime(2026, 1, 14, 18, 0, tzinfo=UTC)  # 15.01 00:00 in Omsk


def test_the_deadline_counts_a_working_saturday() -> None:
    # Sent Thursday 30.10.2025: Fri 31.10, Sat 01.11 (working), then 02-04.11 off, Wed 05.11.
    sent = datetime(2025, 10, 30, 6, 0, tzinfo=UTC)
    deadline = working_deadline(sent, 3, tz="Europe/Moscow")
    assert deadline == datetime(2025, 11, 5, 21, 0, tzinfo=UTC)  # 06.11 00:00 in Moscow

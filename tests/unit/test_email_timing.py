"""Reply timing in the organisation's working days over 2024-2026 calendar quirks, and the
deadline and grade that follow from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.email.timing import reply_deadline, reply_timing
from probe.directory.hours import parse_hours

OMSK = "Asia/Omsk"  # UTC+6
ROSTOV = "Europe/Moscow"  # UTC+3
WITH_SATURDAY = parse_hours(
    "понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, "
    "суббота с 9.00 до 14.00"
)


def omsk(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h - 6, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "replied", "working_days"),
    [
        # Same day: 0 working days.
        (omsk(2025, 3, 4), omsk(2025, 3, 4, 16), 0),
        # Friday -> Monday: the weekend does not count.
        (omsk(2025, 3, 7), omsk(2025, 3, 10), 1),
        # 2024 May holidays: 27 Apr (Sat) was worked, 29-30 Apr and 1 May off.
        (omsk(2024, 4, 26), omsk(2024, 5, 2), 2),  # 27 Apr (working Saturday) and 2 May
        # New Year 2025: 30 Dec 2024 - 8 Jan 2025 all off.
        (omsk(2024, 12, 27), omsk(2025, 1, 9), 2),  # 28 Dec (working Sat) and 9 Jan
        # 1 Nov 2025 is a working Saturday; 3-4 Nov are off.
        (omsk(2025, 10, 31), omsk(2025, 11, 5), 2),  # 1 Nov and 5 Nov
        # 2026: 9 Mar (a transferred day off after 8 Mar on Sunday).
        (omsk(2026, 3, 6), omsk(2026, 3, 11), 2),  # 10 and 11 Mar
    ],
)
def test_reply_latency_counts_only_the_organisations_working_days(
    sent: datetime, replied: datetime, working_days: int
) -> None:
    timing = reply_timing(sent_at=sent, replied_at=replied, tz=OMSK, schedule=None)
    assert timing.working_days == working_days
    assert timing.latency_hours == round((replied - sent).total_seconds() / 3600, 4)


def test_the_day_is_taken_in_the_organisations_zone_not_utc() -> None:
    # 23:30 UTC on Monday is already Tuesday 05:30 in Omsk.
    sent = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # Monday 18:00 Omsk
    replied = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)
    assert reply_timing(sent_at=sent, replied_at=replied, tz=OMSK, schedule=None).working_days == 1
    assert reply_timing(sent_at=sent, replied_at=replied, tz="UTC", schedule=None).working_days == 0


def test_working_hours_exclude_lunch_and_a_shortened_pre_holiday_day() -> None:
    # 30 Apr 2025, the Wednesday before 1 May, closes at 16:45 instead of 17:45.
    sent = omsk(2025, 4, 30, 8, 30)
    replied = omsk(2025, 4, 30, 23)
    timing = reply_timing(sent_at=sent, replied_at=replied, tz=OMSK, schedule=None)
    # 8:30-13:00 and 14:00-16:45 = 4.5 + 2.75 hours.
    assert timing.working_hours == 7.25


def test_a_saturday_working_organisation_counts_its_saturdays() -> None:
    sent, replied = omsk(2025, 3, 14), omsk(2025, 3, 17)  # Friday -> Monday
    six_days = reply_timing(sent_at=sent, replied_at=replied, tz=OMSK, schedule=WITH_SATURDAY)
    assert six_days.working_days == 2
    # ...but not a Saturday that is a public holiday (8 March 2025).
    holiday = reply_timing(
        sent_at=omsk(2025, 3, 7), replied_at=omsk(2025, 3, 10), tz=OMSK, schedule=WITH_SATURDAY
    )
    assert holiday.working_days == 1


@pytest.mark.parametrize(
    ("sent", "deadline_local"),
    [
        # Tuesday: three working days are Wed, Thu, Fri -> the end of Friday.
        (omsk(2025, 3, 4), datetime(2025, 3, 8, 0, 0)),
        # Wednesday 30 Apr 2025: 1-4 May off, then Mon 5, Tue 6, Wed 7 May.
        (omsk(2025, 4, 30), datetime(2025, 5, 8, 0, 0)),
        # 26 Dec 2025 (Fri): 29, 30 Dec worked, 31 Dec - 11 Jan off, 12 Jan.
        (omsk(2025, 12, 26), datetime(2026, 1, 13, 0, 0)),
    ],
)
def test_the_reply_deadline_is_the_end_of_the_third_working_day(
    sent: datetime, deadline_local: datetime
) -> None:
    from zoneinfo import ZoneInfo

    deadline = reply_deadline(sent_at=sent, working_days=3, tz=OMSK, schedule=None)
    assert deadline == deadline_local.replace(tzinfo=ZoneInfo(OMSK)).astimezone(UTC)


def test_the_servers_arrival_instant_is_taken_onto_the_probers_clock() -> None:
    from datetime import UTC, datetime, timedelta

    from adapters.email.ingest import on_our_clock

    wall = datetime.now(UTC)
    # The system clock: the server's own instant (give or take the test's run time).
    assert abs(on_our_clock(wall - timedelta(seconds=5), wall) - (wall - timedelta(seconds=5))) < (
        timedelta(seconds=1)
    )
    # A compressed clock in 2026-04: the reply is as old as the server says, not dated today.
    sandbox_now = datetime(2026, 4, 8, 5, 0, tzinfo=UTC)
    got = on_our_clock(wall - timedelta(seconds=2), sandbox_now)
    assert sandbox_now - timedelta(seconds=3) < got <= sandbox_now - timedelta(seconds=2)
    assert on_our_clock(None, sandbox_now) == sandbox_now
    assert on_our_clock(wall + timedelta(seconds=30), sandbox_now) == sandbox_now  # clock skew

"""Planning with fixed clocks: attempts only inside each organisation's own windows."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from probe.directory.hours import parse_hours
from schedules.planner import plan_campaign, windows_for
from schedules.spec import parse_campaign
from storage.planning import ContactInput, OrganisationInput

OMSK_HOURS = "пн-чт 8:30-17:45, пт 8:30-16:30, перерыв с 13.00 до 14.00"
ROSTOV_HOURS = (
    "понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, "
    "суббота с 9.00 до 14.00"
)


def _org(org_id: int, tz: str, hours: str, phones: int = 3) -> OrganisationInput:
    contacts = [ContactInput(org_id * 10 + n, "phone", n) for n in range(phones)]
    contacts.append(ContactInput(org_id * 10 + 9, "email", 0))
    return OrganisationInput(
        org_id, tz, parse_hours(hours).model_dump(mode="json"), hours, tuple(contacts)
    )


OMSK = _org(1, "Asia/Omsk", OMSK_HOURS)
ROSTOV = _org(2, "Europe/Moscow", ROSTOV_HOURS)


def _spec(start: str, end: str, **extra: object):  # type: ignore[no-untyped-def]
    return parse_campaign(
        {
            "name": "t",
            "organisations": {"all": True},
            "channels": ["phone", "email"],
            "start": start,
            "end": end,
            **extra,
        }
    )


def _local_windows(org: OrganisationInput, start: str, end: str) -> list[tuple[datetime, datetime]]:
    windows = windows_for(_spec(start, end), org)
    zone = ZoneInfo(org.timezone)
    return [
        (datetime.fromtimestamp(a, zone), datetime.fromtimestamp(b, zone))
        for a, b in zip(windows.starts, windows.ends, strict=True)
    ]


def test_no_window_on_the_new_year_holidays_and_the_transferred_day_off() -> None:
    for org in (OMSK, ROSTOV):
        days = {a.date() for a, _ in _local_windows(org, "2025-12-29", "2026-01-16")}
        assert days.isdisjoint({date(2026, 1, d) for d in range(1, 10)})
        assert date(2025, 12, 31) not in days  # transferred day off
        assert date(2025, 12, 30) in days and date(2026, 1, 12) in days
    # 10.01.2026 is an ordinary Saturday: only the Rostov centre works it.
    assert date(2026, 1, 10) in {
        a.date() for a, _ in _local_windows(ROSTOV, "2026-01-10", "2026-01-10")
    }
    assert not _local_windows(OMSK, "2026-01-10", "2026-01-11")


def test_windows_respect_each_organisations_hours_margins_and_lunch() -> None:
    for a, b in _local_windows(OMSK, "2026-03-02", "2026-03-13"):
        assert a.weekday() < 5
        assert time(9, 0) <= a.time() and b.time() <= time(17, 15)
        assert not (a.time() < time(14) and b.time() > time(13)), "inside the lunch break"
    rostov = _local_windows(ROSTOV, "2026-03-02", "2026-03-13")
    saturdays = [(a, b) for a, b in rostov if a.weekday() == 5]
    # Saturday 07.03.2026 is the eve of 8 March: 9:00-13:00, minus the margins.
    assert [(a.time(), b.time()) for a, b in saturdays] == [(time(9, 30), time(12, 30))]
    assert all(b.time() <= time(17, 30) for a, b in rostov if a.weekday() < 5)


def test_a_working_saturday_counts_only_for_whoever_works_the_swapped_day() -> None:
    omsk: dict[date, datetime] = {}
    for a, _ in _local_windows(OMSK, "2025-10-27", "2025-11-07"):
        omsk[a.date()] = min(omsk.get(a.date(), a), a)
    # 01.11.2025 is worked as Monday 03.11.2025: Monday's hours.
    assert date(2025, 11, 1) in omsk
    assert omsk[date(2025, 11, 1)].time() == time(9, 0)
    assert date(2025, 11, 3) not in omsk and date(2025, 11, 4) not in omsk
    assert date(2025, 10, 25) not in omsk  # an ordinary Saturday


def test_a_pre_holiday_day_ends_an_hour_early() -> None:
    omsk = _local_windows(OMSK, "2026-04-29", "2026-04-30")
    last_of = {}
    for a, b in omsk:
        last_of[a.date()] = max(last_of.get(a.date(), b), b)
    assert last_of[date(2026, 4, 29)].time() == time(17, 15)  # 17:45 - 30 min margin
    assert last_of[date(2026, 4, 30)].time() == time(16, 15)  # 16:45 on the eve of 1 May


def test_attempts_are_planned_only_inside_the_windows_and_in_order() -> None:
    spec = _spec("2026-03-02", "2026-03-13")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    result = plan_campaign(spec, [OMSK, ROSTOV], now=now)
    assert result.skipped == []
    for org in (OMSK, ROSTOV):
        windows = windows_for(spec, org)
        mine = [a for a in result.attempts if a.organisation_id == org.id]
        phones = [a for a in mine if a.channel == "phone"]
        assert [a.contact_id for a in phones] == [c.id for c in org.contacts[:3]]
        assert [a.channel for a in mine].count("email") == 1
        for attempt in mine:
            assert windows.is_open(attempt.planned_at.timestamp()), attempt
        gaps = [
            (b.planned_at - a.planned_at).total_seconds() for a, b in itertools.pairwise(phones)
        ]
        assert all(g >= spec.limits.quiet_minutes * 60 for g in gaps)


def test_a_campaign_over_several_days_spreads_the_load() -> None:
    orgs = [_org(i, "Asia/Omsk", OMSK_HOURS, phones=1) for i in range(1, 201)]
    spec = _spec("2026-03-02", "2026-03-13")
    result = plan_campaign(spec, orgs, now=datetime(2026, 3, 1, tzinfo=UTC))
    zone = ZoneInfo("Asia/Omsk")
    per_day = Counter(a.planned_at.astimezone(zone).date() for a in result.attempts)
    # Every working day of the two weeks; 09.03.2026 is a day off (8 March fell on a Sunday).
    assert len(per_day) == 9 and date(2026, 3, 9) not in per_day
    assert max(per_day.values()) <= 2 * min(per_day.values())
    openings = sum(1 for a in result.attempts if a.planned_at.astimezone(zone).time() == time(9, 0))
    assert openings <= 2


def test_nothing_is_planned_in_the_past() -> None:
    spec = _spec("2026-03-02", "2026-03-13")
    now = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)
    result = plan_campaign(spec, [OMSK], now=now)
    assert all(a.planned_at >= now for a in result.attempts)

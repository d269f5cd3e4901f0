from datetime import date

import pytest

from schedules.recurrence import Recurrence, next_occurrence, period_label

QUARTERLY = Recurrence(every="quarter", weekday="tuesday")


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # 06.01.2026 is a holiday: the first *working* Tuesday of Q1 is 13.01.
        (date(2026, 1, 1), date(2026, 1, 13)),
        (date(2026, 1, 14), date(2026, 4, 7)),
        (date(2026, 4, 7), date(2026, 4, 7)),
        (date(2026, 6, 30), date(2026, 7, 7)),
        (date(2026, 9, 1), date(2026, 10, 6)),
        (date(2026, 12, 1), date(2027, 1, 12)),
    ],
)
def test_first_working_tuesday_of_every_quarter(after: date, expected: date) -> None:
    assert next_occurrence(QUARTERLY, after) == expected


def test_first_working_day_of_the_month_skips_the_new_year_holidays() -> None:
    monthly = Recurrence(every="month")
    assert next_occurrence(monthly, date(2026, 1, 1)) == date(2026, 1, 12)
    assert next_occurrence(monthly, date(2026, 2, 1)) == date(2026, 2, 2)


def test_period_labels_name_the_copies() -> None:
    assert period_label(date(2026, 4, 7), "quarter") == "2026-q2"
    assert period_label(date(2026, 4, 7), "month") == "2026-04"


def test_a_recurring_template_starts_a_dated_copy_on_its_day(engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from schedules import campaigns as service
    from schedules.spec import parse_campaign
    from tests.campaign_helpers import add_test_organisations

    add_test_organisations(engine, {"A": ["a"]})
    spec = parse_campaign(
        {
            "name": "quarterly",
            "organisations": {"all": True},
            "channels": ["test"],
            "start": "2026-01-01",
            "end": "2026-12-31",
            "windows": "always",
            "options": {"test": {"peer": "127.0.0.1:9"}},
            "recurrence": {"every": "quarter", "weekday": "tuesday", "duration_days": 10},
        }
    )
    service.create(engine=engine, spec=spec, actor="t")
    report = service.transition(
        engine=engine,
        name="quarterly",
        action="start",
        actor="t",
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert report["status"] == "recurring" and "planned" not in report
    assert service.spawn_recurring(engine=engine, now=datetime(2026, 4, 6, 5, tzinfo=UTC)) == []
    started = service.spawn_recurring(engine=engine, now=datetime(2026, 4, 7, 5, tzinfo=UTC))
    assert started == ["quarterly-2026-q2"]
    copy = service.get(engine=engine, name="quarterly-2026-q2")
    assert (copy.status, str(copy.starts_on), str(copy.ends_on)) == (
        "running",
        "2026-04-07",
        "2026-04-16",
    )
    assert service.spawn_recurring(engine=engine, now=datetime(2026, 4, 7, 9, tzinfo=UTC)) == []

"""Working-hours free text from the seed documents (004 appendix 1, 001) and common web forms."""

from __future__ import annotations

from datetime import time

import pytest

from probe.directory.hours import HoursParseError, parse_hours, published_breaks
from probe.hours import DaySchedule, Interval, WeeklySchedule, default_schedule, with_breaks

Day = tuple[str, str, list[tuple[str, str]]]


def _t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _week(**days: Day) -> WeeklySchedule:
    index = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
    return WeeklySchedule(
        days=[
            DaySchedule(
                weekday=index[name],
                opens=_t(opens),
                closes=_t(closes),
                breaks=[Interval(start=_t(a), end=_t(b)) for a, b in breaks],
            )
            for name, (opens, closes, breaks) in days.items()
        ]
    )


def _same(opens: str, closes: str, breaks: list[tuple[str, str]], *names: str) -> dict[str, Day]:
    return {name: (opens, closes, breaks) for name in names}


MON_FRI = ("mon", "tue", "wed", "thu", "fri")
MON_THU = ("mon", "tue", "wed", "thu")

SEED_004 = [
    (
        "понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, "
        "суббота с 9.00 до 14.00",
        _week(
            **_same("9:00", "18:00", [], *MON_THU),
            fri=("9:00", "17:00", []),
            sat=("9:00", "14:00", []),
        ),
    ),
    (
        "понедельник, вторник, среда, четверг, пятница – с 8.00 до 17.00.",
        _week(**_same("8:00", "17:00", [], *MON_FRI)),
    ),
    (
        "понедельник, вторник, среда, четверг – с 08.00 до 17.00, пятница – с 8.00 до 16.00.",
        _week(**_same("8:00", "17:00", [], *MON_THU), fri=("8:00", "16:00", [])),
    ),
    (
        "понедельник, вторник, среда, четверг, пятница – с 8.00 до 17.00, перерыв с 12.00 до "
        "13.00.",
        _week(**_same("8:00", "17:00", [("12:00", "13:00")], *MON_FRI)),
    ),
    (
        "понедельник, вторник, среда, четверг -  с 8.00 до 17.00, пятница – c 8.00 до 16.00 "
        "перерыв с 12.00 до 12.48.",
        _week(
            **_same("8:00", "17:00", [("12:00", "12:48")], *MON_THU),
            fri=("8:00", "16:00", [("12:00", "12:48")]),
        ),
    ),
    (
        "понедельник, вторник, среда, четверг, пятница – с 8.00 до 16.30, перерыв с 12.30 до "
        "13.00.",
        _week(**_same("8:00", "16:30", [("12:30", "13:00")], *MON_FRI)),
    ),
    (
        "понедельник, вторник, среда, четверг – с 9.00 до 18.00; пятница с 9.00 до 16.45, "
        "перерыв 13.00 до 13.45",
        _week(
            **_same("9:00", "18:00", [("13:00", "13:45")], *MON_THU),
            fri=("9:00", "16:45", [("13:00", "13:45")]),
        ),
    ),
    (
        "понедельник, вторник, среда, четверг – с 9.00 до 18.00, пятница – с 9.00 до 16.30, "
        "перерыв с 13.00 до 13.42.",
        _week(
            **_same("9:00", "18:00", [("13:00", "13:42")], *MON_THU),
            fri=("9:00", "16:30", [("13:00", "13:42")]),
        ),
    ),
    (
        "понедельник, вторник, среда, четверг, пятница – с 9.00 до 17.12, перерыв с 13.00 до "
        "14.00.",
        _week(**_same("9:00", "17:12", [("13:00", "14:00")], *MON_FRI)),
    ),
    (
        "понедельник, вторник, среда, четверг – c 9.00 до 17.15, пятница – с 9.00 до 17.00, "
        "перерыв с 12.00 до 13.00.",
        _week(
            **_same("9:00", "17:15", [("12:00", "13:00")], *MON_THU),
            fri=("9:00", "17:00", [("12:00", "13:00")]),
        ),
    ),
    (
        "понедельник, вторник, среда, четверг, пятница – с 8.00 до 16.18.",
        _week(**_same("8:00", "16:18", [], *MON_FRI)),
    ),
    (
        "Понедельник  - с 8.00 до 17.00, вторник, среда, четверг, пятница – с 8.00 до 16.00, "
        "перерыв с 12.00 до 13.00.",
        _week(
            mon=("8:00", "17:00", [("12:00", "13:00")]),
            **_same("8:00", "16:00", [("12:00", "13:00")], "tue", "wed", "thu", "fri"),
        ),
    ),
    (
        "понедельник - с 8.00 до 17.00; вторник, среда, четверг, пятница – с 8.00 до 16.00. ",
        _week(mon=("8:00", "17:00", []), **_same("8:00", "16:00", [], "tue", "wed", "thu", "fri")),
    ),
    (
        "График работы: понедельник, вторник, среда, четверг – с 9.00 до 18.00; пятница с 9.00 "
        "до 16.45. \n\nПерерыв: с 13.00 до 13.45.\n\nВыходные дни: суббота, воскресенье.",
        _week(
            **_same("9:00", "18:00", [("13:00", "13:45")], *MON_THU),
            fri=("9:00", "16:45", [("13:00", "13:45")]),
        ),
    ),
]

SEED_001_AND_WEB = [
    (
        "понедельник – четверг: с 8 часов 30 минут до 17 часов 45 минут; пятница: с 8 часов 30 "
        "минут до 16 часов 30 минут; перерыв для отдыха и питания: с 13 часов 00 минут до 14 "
        "часов 00 минут",
        default_schedule(),
    ),
    (
        "понедельник – четверг: с 8 часов 30 минут до 17 часов 45 минут;\n\nпятница: с 8 часов "
        "30 минут до 16 часов 30 минут;\n\nсуббота, воскресенье – выходные дни;\n\nперерыв для "
        "отдыха и питания составляет 1 час, технический перерыв – 15 минут",
        _week(**_same("8:30", "17:45", [], *MON_THU), fri=("8:30", "16:30", [])),
    ),
    ("пн-пт 9:00-18:00", _week(**_same("9:00", "18:00", [], *MON_FRI))),
    (
        "ежедневно с 9-00 до 21-00",
        _week(**_same("9:00", "21:00", [], *MON_FRI, "sat", "sun")),
    ),
    (
        "ежедневно 10:00-20:00, выходной: воскресенье",
        _week(**_same("10:00", "20:00", [], *MON_FRI, "sat")),
    ),
    (
        "с понедельника по пятницу с 9 ч. 00 мин. до 18 ч. 00 мин., перерыв с 13 ч. до 14 ч.",
        _week(**_same("9:00", "18:00", [("13:00", "14:00")], *MON_FRI)),
    ),
    (
        "Пн.-Чт. с 9 до 18, Пт. с 9 до 17, Сб., Вс. - выходной",
        _week(**_same("9:00", "18:00", [], *MON_THU), fri=("9:00", "17:00", [])),
    ),
    (
        # Several breaks: each belongs to the day group it follows.
        "пн-чт 9:00-18:00, перерыв 13:00-14:00; пт 9:00-17:00, перерыв 12:00-12:30",
        _week(
            **_same("9:00", "18:00", [("13:00", "14:00")], *MON_THU),
            fri=("9:00", "17:00", [("12:00", "12:30")]),
        ),
    ),
    (
        "пн-пт с 9 до 18, сб 10-14 без перерыва, обед 13-14",
        _week(**_same("9:00", "18:00", [("13:00", "14:00")], *MON_FRI), sat=("10:00", "14:00", [])),
    ),
    (
        "понедельник-пятница 9.00-13.00 и 14.00-18.00",
        _week(**_same("9:00", "18:00", [("13:00", "14:00")], *MON_FRI)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), SEED_004 + SEED_001_AND_WEB)
def test_free_text_hours_give_the_full_weekly_schedule(text: str, expected: WeeklySchedule) -> None:
    assert parse_hours(text) == expected


UNPARSABLE = [
    ("перерыв с 12.00 до 12.45.", "no working days and hours found in 'перерыв с 12.00 до 12.45.'"),
    ("по предварительной записи", "no working days and hours found in 'по предварительной записи'"),
    (
        "выходной: суббота, воскресенье",
        "no working days and hours found in 'выходной: суббота, воскресенье'",
    ),
    ("9:00-18:00", "no days are given for the hours '9:00-18:00' in '9:00-18:00'"),
    ("пн-пт 9:00-18:00, сб", "no hours are given for 'сб'"),
    ("пн-пт с 18.00 до 9.00", "'18.00 до 9.00' ends before it starts"),
    ("пн-пт с 9.00 до 25.00", "'25.00' is not a time of day"),
]


@pytest.mark.parametrize(("text", "message"), UNPARSABLE)
def test_text_without_an_understandable_schedule_raises_with_the_fragment(
    text: str, message: str
) -> None:
    with pytest.raises(HoursParseError) as raised:
        parse_hours(text)
    assert str(raised.value) == message


def test_the_default_schedule_is_the_omsk_ministry_one() -> None:
    schedule = default_schedule()
    assert [d.weekday for d in schedule.days] == [0, 1, 2, 3, 4]
    assert schedule.for_weekday(3) == DaySchedule(
        weekday=3,
        opens=time(8, 30),
        closes=time(17, 45),
        breaks=[Interval(start=time(13), end=time(14))],
    )
    assert schedule.for_weekday(4) is not None
    assert schedule.for_weekday(4).closes == time(16, 30)  # type: ignore[union-attr]
    assert schedule.for_weekday(5) is None


@pytest.mark.parametrize(
    ("weekday", "at", "open_"),
    [
        (0, time(8, 29), False),
        (0, time(8, 30), True),
        (0, time(12, 59), True),
        (0, time(13, 0), False),
        (0, time(13, 59), False),
        (0, time(14, 0), True),
        (0, time(17, 44), True),
        (0, time(17, 45), False),
        (4, time(16, 45), False),
        (5, time(10, 0), False),
    ],
)
def test_is_open_respects_hours_and_lunch(weekday: int, at: time, open_: bool) -> None:
    assert default_schedule().is_open(weekday, at) is open_


def test_a_schedule_round_trips_through_json() -> None:
    schedule = parse_hours(SEED_004[4][0])
    assert WeeklySchedule.model_validate_json(schedule.model_dump_json()) == schedule


def test_days_are_kept_sorted_and_unique() -> None:
    monday = DaySchedule(weekday=0, opens=time(9), closes=time(18))
    friday = DaySchedule(weekday=4, opens=time(9), closes=time(17))
    assert [d.weekday for d in WeeklySchedule(days=[friday, monday]).days] == [0, 4]
    with pytest.raises(ValueError, match="a weekday appears twice"):
        WeeklySchedule(days=[monday, monday])


def test_the_pre_holiday_sentence_of_seed_001_is_left_to_the_calendar() -> None:
    text = (
        "понедельник – четверг: с 8 часов 30 минут до 17 часов 45 минут;\n"
        "пятница: с 8 часов 30 минут до 16 часов 30 минут;\n"
        "суббота, воскресенье – выходные дни;\n"
        "В день, непосредственно предшествующий нерабочему праздничному дню, время работы "
        "Министерства, территориальных органов сокращается на 1 час (понедельник – четверг – "
        "16 часов 45 минут, пятница – 15 часов 30 минут)."
    )
    schedule = parse_hours(text)
    assert [d.weekday for d in schedule.days] == [0, 1, 2, 3, 4]
    monday, friday = schedule.for_weekday(0), schedule.for_weekday(4)
    assert monday is not None and friday is not None
    assert (monday.opens, monday.closes) == (time(8, 30), time(17, 45))
    assert (friday.opens, friday.closes) == (time(8, 30), time(16, 30))


def test_a_text_giving_only_a_break_yields_the_break_and_nothing_else() -> None:
    # Seed 004, Rostov No. 37: the whole cell.
    assert published_breaks("перерыв с 12.00 до 12.45.") == [
        Interval(start=time(12), end=time(12, 45))
    ]
    assert published_breaks("пн-пт 9:00-18:00, перерыв с 13.00 до 14.00") == []
    assert published_breaks("по записи") == []
    with pytest.raises(HoursParseError, match="no working days and hours found"):
        parse_hours("перерыв с 12.00 до 12.45.")


def test_with_breaks_replaces_every_days_breaks_by_those_inside_its_hours() -> None:
    early = Interval(start=time(8), end=time(8, 20))  # before opening: dropped
    lunch = Interval(start=time(12), end=time(12, 45))
    schedule = with_breaks(default_schedule(), [early, lunch])
    assert [d.breaks for d in schedule.days] == [[lunch]] * 5
    assert [(d.opens, d.closes) for d in schedule.days] == [
        (d.opens, d.closes) for d in default_schedule().days
    ]


def test_each_region_with_a_source_gives_its_own_ministrys_default_hours() -> None:
    from probe.directory.regions import find_region

    # DOMAIN/seed 001 item 4: the Omsk ministry's week is the calendar's default.
    assert parse_hours(find_region("omsk").default_hours) == default_schedule()
    rostov = parse_hours(find_region("rostov").default_hours)  # seed 004 item 1.3.1
    assert [(d.weekday, d.opens, d.closes) for d in rostov.days] == [
        (0, time(9), time(18)),
        (1, time(9), time(18)),
        (2, time(9), time(18)),
        (3, time(9), time(18)),
        (4, time(9), time(16, 45)),
    ]
    assert {(b.start, b.end) for d in rostov.days for b in d.breaks} == {(time(13), time(13, 45))}
    assert find_region("moscow").default_hours == ""

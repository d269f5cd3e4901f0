"""Why the planner skips an organisation or a contact: a code and its values (schedules/skips.py),
English for the CLI and Russian for the web chosen by the code, never by the English words. Every
code is produced by a real plan here, and has one exact text in each language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from probe.directory.hours import parse_hours
from probe.web import import_text
from schedules.planner import plan_campaign
from schedules.skips import ENGLISH, Skip, skip_json, skipped
from schedules.spec import parse_campaign
from storage.planning import ContactInput, OrganisationInput

HOURS = "пн-пт 9:00-18:00"


def _org(org_id: int, phones: int) -> OrganisationInput:
    contacts = tuple(ContactInput(org_id * 100 + n, "phone", n) for n in range(phones))
    return OrganisationInput(
        org_id, "Asia/Omsk", parse_hours(HOURS).model_dump(mode="json"), HOURS, contacts
    )


def _skips(start: str, end: str, orgs: list[OrganisationInput]) -> list[tuple[int, Skip]]:
    spec = parse_campaign(
        {"name": "t", "organisations": {"all": True}, "channels": ["phone"], "start": start,
         "end": end}
    )  # fmt: skip
    return plan_campaign(spec, orgs, now=datetime(2026, 1, 1, tzinfo=UTC)).skipped


def test_the_planner_gives_each_code_for_its_case() -> None:
    # 1-8 January: the New Year holidays, no working day at all.
    assert _skips("2026-01-02", "2026-01-08", [_org(1, 2)]) == [(1, skipped("no_window"))]
    assert _skips("2026-03-13", "2026-03-13", [_org(2, 0)]) == [(2, skipped("no_contact"))]
    # One Friday, six numbers, four calls an organisation a day: the last two have no window.
    assert _skips("2026-03-13", "2026-03-13", [_org(3, 6)]) == [
        (3, skipped("contact_no_window", contact=304)),
        (3, skipped("contact_no_window", contact=305)),
    ]


CASES = [
    ("no_window", {}, "no open window between start and end",
     "нет рабочего времени организации между датами начала и окончания"),
    ("no_contact", {}, "no probeable contact on the campaign's channels",
     "нет контакта для выбранных каналов "
     "(не опубликован, неверен, только факс или ждёт подтверждения оператора)"),
    ("contact_no_window", {"contact": 304}, "contact 304: no window left",
     "контакт №304: до конца кампании не осталось рабочего времени"),
]  # fmt: skip


def test_every_code_has_an_english_and_a_russian_text_and_a_case_here() -> None:
    assert set(import_text.PLAN_RUSSIAN) == set(ENGLISH)
    assert {code for code, *_ in CASES} == set(ENGLISH)


@pytest.mark.parametrize(("code", "values", "english", "russian"), CASES)
def test_each_code_reads_in_its_exact_english_and_russian(
    code: str, values: dict[str, int], english: str, russian: str
) -> None:
    why = skipped(code, **values)
    assert str(why) == english
    assert import_text.plan_reason(why) == russian
    assert skip_json(7, why) == {"organisation_id": 7, "reason": english, "code": code, **values}


def test_an_unknown_code_is_refused_when_made() -> None:
    with pytest.raises(KeyError, match="no planner skip reason 'no_windows'"):
        skipped("no_windows")

"""A campaign's checks across fields refuse with a code and values (probe.policies.refusal):
the CLI's English is the code's text with the values, the campaign form's Russian and field are
chosen by the code (probe/web/campaign_form.py REFUSALS and the channels' FormField.errors), never
by the English words. Every code is produced here by a real spec, with its exact English and
Russian, and every code has a Russian text."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.email import campaign as email_campaign
from adapters.email import config as email_config
from adapters.sip import campaign as sip_campaign
from probe import policies
from probe.settings import _section
from probe.web import campaign_form
from schedules.campaigns import check_channels
from schedules.spec import CampaignSpecError, check_options, parse_campaign

BASE: dict[str, Any] = {
    "name": "t",
    "organisations": {"all": True},
    "channels": ["phone", "email"],
    "start": "2026-04-06",
    "end": "2026-04-17",
}
CODES = {
    **policies.REFUSALS,
    **sip_campaign.REFUSALS,
    **email_campaign.REFUSALS,
    **email_config.REFUSALS,
}

CASES = [
    ("end_before_start", {"end": "2026-04-01"},
     "campaign: end 2026-04-01 is before start 2026-04-06",
     "end", "Дата окончания раньше даты начала."),
    ("channel_twice", {"channels": ["phone", "phone"]},
     "campaign: a channel is listed twice",
     "channels", "Канал выбран дважды."),
    ("options_not_in_campaign",
     {"channels": ["phone"], "options": {"email": {"template": "disability"}}},
     "campaign: options for channels not in the campaign: ['email']",
     "channels", "Параметры указаны для канала, не выбранного в кампании."),
    ("no_selection", {"organisations": {}},
     "organisations: select organisations: all: true, or region, kind, ids or names",
     "organisations", "Выберите организации: все, по региону и виду или списком наименований."),
    ("per_contact_over_organisation", {"calls": {"per_contact": 7}},
     "calls: per_contact cannot exceed per_organisation",
     "calls.per_contact", "Попыток на номер не может быть больше, чем на организацию."),
    ("busy_retry_range", {"calls": {"busy_retry_minutes": [30, 20]}},
     "calls: busy_retry_minutes must be [low, high] with 0 < low <= high",
     "calls.busy_retry_minutes.0",
     "Интервал повтора: «не раньше» больше нуля и не больше «не позже»."),
    ("rejected_retry_range", {"calls": {"rejected_retry_minutes": [0, 20]}},
     "calls: rejected_retry_minutes must be [low, high] with 0 < low <= high",
     "calls.rejected_retry_minutes.0",
     "Интервал повтора: «не раньше» больше нуля и не больше «не позже»."),
    ("not_moving_on", {"calls": {"next_number_after": ["busy", "no_reply"]}},
     "calls.next_number_after.1: Input should be one of: busy, no_answer, unavailable, rejected, "
     "answering_machine",
     "calls.next_number_after", "Выберите из списка."),
    ("reply_window_short", {"email": {"deadline_working_days": 5, "reply_window_days": 2}},
     "email: reply_window_days (2) is shorter than deadline_working_days (5)",
     "email.reply_window_days", "Ждать ответа нужно не меньше нормы ответа."),
    ("unknown_template", {"options": {"email": {"template": "pension"}}},
     "options.email.template: unknown e-mail template 'pension'; one of: benefits, disability, "
     "home_care, large_family",
     "options.email.template", "Выберите письмо из списка."),
    ("negative_delay", {"options": {"email": {"retry_delays": [30, -1]}}},
     "options.email.retry_delays: retry_delays must not be negative",
     "options.email.retry_delays", "Паузы не могут быть отрицательными."),
]  # fmt: skip


def test_every_code_has_a_russian_text_and_a_case_here() -> None:
    assert set(campaign_form.refusals()) == set(CODES)
    assert [code for code, *_ in CASES] == list(dict.fromkeys(c for c, *_ in CASES))
    assert {code for code, *_ in CASES} == set(CODES)


def _english(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CampaignSpecError) as refused:
        check_options(parse_campaign(data))
    return refused.value.problems


@pytest.mark.parametrize(("code", "changes", "english", "field", "russian"), CASES)
def test_each_code_reads_in_its_exact_english_and_russian(
    code: str, changes: dict[str, Any], english: str, field: str, russian: str
) -> None:
    data = {**copy.deepcopy(BASE), **copy.deepcopy(changes)}
    assert _english(copy.deepcopy(data)) == [english]
    spec, errors = campaign_form.validate(data)
    assert spec is None and errors == {field: [russian]}
    assert campaign_form.refusals()[code] == (field, russian)


def test_a_refusal_carries_its_code_and_values_for_any_reader() -> None:
    refused = policies.refusal(policies.REFUSALS, "end_before_start", end=1, start=2)
    assert (refused.code, refused.values, str(refused)) == (
        "end_before_start",
        {"end": 1, "start": 2},
        "end 1 is before start 2",
    )
    with pytest.raises(KeyError):
        policies.refusal(policies.REFUSALS, "end_before_the_start")


def test_a_channel_the_registry_does_not_know_is_named_in_russian_by_its_name() -> None:
    # The spec refuses an unknown channel itself; the registry's own check at creation
    # (check_channels) names the channels it refuses, and the form shows each by that name.
    spec = parse_campaign(copy.deepcopy(BASE)).model_copy(update={"channels": ["phone", "fax"]})
    with pytest.raises(CampaignSpecError) as refused:
        check_channels(spec)
    assert refused.value.unknown_channels == ["fax"]
    assert refused.value.problems[0].startswith("channels: unknown channel 'fax'; available: ")
    assert campaign_form.unknown_channel_errors(refused.value.unknown_channels) == {
        "channels": ["Неизвестный канал: «fax»."]
    }
    assert campaign_form.unknown_channel_errors([]) == {"channels": ["Неверный канал."]}


def test_a_refusal_in_a_channels_settings_section_reads_as_before() -> None:
    # The same model reads the channel's settings section: its errors are rebuilt under the
    # section's name, which takes pydantic's own error types only (a refusal is a ValueError).
    with pytest.raises(ValidationError) as refused:
        _section("email", email_config.Config, {"template": "nope"})
    [error] = refused.value.errors()
    assert (error["loc"], error["msg"]) == (
        ("email", "template"),
        "Value error, unknown e-mail template 'nope'; one of: benefits, disability, home_care, "
        "large_family",
    )

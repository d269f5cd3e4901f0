"""The campaign form builds the spec a YAML file gives, validated by the same model, with each
error in Russian on its field."""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import FormData

from probe.web import campaign_form
from schedules.spec import load_campaign_file

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "omsk-quarterly.yaml"


def _form(**changes: str | list[str]) -> FormData:
    values: dict[str, str | list[str]] = {
        **campaign_form.defaults(),
        "name": "omsk-2026-q2",
        "title": "КЦСОН Омской области, II квартал 2026",
        "start": "2026-04-06",
        "end": "2026-04-17",
        "region": ["omsk"],
        "kind": ["КЦСОН"],
        "channels": ["phone", "email"],
        "calls.answering_machine_retry": "1",
        "email.next_address_on_bounce": "1",
        "limits.emails_per_minute": "20",
        **changes,
    }
    items = [
        (key, item)
        for key, value in values.items()
        for item in (value if isinstance(value, list) else [value])
        if not (key in dict(campaign_form.switches()) and not item)  # a box left unticked
    ]
    return FormData(items)


def test_the_form_gives_the_same_spec_as_the_documented_yaml() -> None:
    data, _shown = campaign_form.spec_data(_form())
    spec, errors = campaign_form.validate(data)
    assert errors == {} and spec is not None
    assert spec == load_campaign_file(EXAMPLE)


def test_organisations_by_name_list_or_all() -> None:
    data, _ = campaign_form.spec_data(_form(org_mode="names", names="Любава\n\n  Пенаты \n"))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and spec.organisations.names == ["Любава", "Пенаты"]
    data, _ = campaign_form.spec_data(_form(org_mode="all"))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and spec.organisations.all and not spec.organisations.region


def _errors(**changes: str | list[str]) -> dict[str, list[str]]:
    data, _ = campaign_form.spec_data(_form(**changes))
    spec, errors = campaign_form.validate(data)
    assert spec is None
    return errors


def test_each_error_in_russian_on_its_field() -> None:
    assert _errors(region=[], kind=[]) == {
        "organisations": ["Выберите организации: все, по региону и виду или списком наименований."]
    }
    assert _errors(channels=[]) == {"channels": ["Выберите хотя бы один канал."]}
    assert _errors(**{"calls.busy_retry_minutes.0": "30"}) == {
        "calls.busy_retry_minutes.0": [
            "Интервал повтора: «не раньше» больше нуля и не больше «не позже»."
        ]
    }
    assert _errors(**{"calls.per_contact": "7"}) == {
        "calls.per_contact": ["Попыток на номер не может быть больше, чем на организацию."]
    }
    assert _errors(**{"email.reply_window_days": "2"}) == {
        "email.reply_window_days": ["Ждать ответа нужно не меньше нормы ответа."]
    }
    assert _errors(start="", **{"limits.calls_in_parallel": "5000"}) == {
        "start": ["Укажите дату."],
        "limits.calls_in_parallel": ["Не больше 1000."],
    }


def test_the_channels_options_a_yaml_file_sets_are_offered_with_their_defaults() -> None:
    values = campaign_form.defaults()
    assert {k: v for k, v in values.items() if k.startswith("options.")} == {
        "options.email.template": "benefits",
        "options.phone.ring_timeout_seconds": "30",
        "options.phone.listen_seconds": "60",
        "options.phone.record": "1",
        "options.email.sender_name": "Ирина Петрова",
        "options.email.retry_delays": "30, 120, 600",
    }
    letters = dict(next(c for p, _l, c in campaign_form.selects() if p == "options.email.template"))
    assert letters["home_care"] == "Социальное обслуживание на дому для пожилой мамы"


def test_the_letter_and_the_calls_timings_reach_the_spec_as_a_yaml_file_gives_them() -> None:
    changes: dict[str, str | list[str]] = {
        "options.email.template": "home_care",
        "options.phone.ring_timeout_seconds": "20",
        "options.phone.listen_seconds": "90.5",
        "options.phone.record": "",
        "email.max_send_attempts": "2",
    }
    data, _ = campaign_form.spec_data(_form(**changes))
    spec, errors = campaign_form.validate(data)
    assert errors == {} and spec is not None
    assert spec.options == {
        "email": {"template": "home_care"},
        "phone": {"ring_timeout_seconds": 20.0, "listen_seconds": 90.5, "record": False},
    }
    assert spec.policy("email").max_send_attempts == 2  # type: ignore[attr-defined]
    yaml_spec = load_campaign_file(EXAMPLE).model_copy(
        update={"options": {"email": {"template": "home_care"}}}
    )
    data, _ = campaign_form.spec_data(_form(**{"options.email.template": "home_care"}))
    assert campaign_form.validate(data)[0] == yaml_spec
    # A channel left out of the campaign takes none of its options.
    data, _ = campaign_form.spec_data(_form(channels=["email"], **changes))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and set(spec.options) == {"email"}


def test_a_bad_option_is_shown_in_russian_on_its_field() -> None:
    assert _errors(
        **{
            "options.email.template": "question-1",
            "options.phone.ring_timeout_seconds": "0",
            "options.phone.listen_seconds": "минута",
        }
    ) == {
        "options.email.template": ["Выберите письмо из списка."],
        "options.phone.ring_timeout_seconds": ["Больше 0."],
        "options.phone.listen_seconds": ["Введите число."],
    }


def test_the_calls_other_rules_and_the_letters_sender_reach_the_spec() -> None:
    """The rest of the fields the channels declare: a dropped call's retry, our failure's
    retry, the outcomes after which the next number is rung, the letter's sender and the pauses
    after a temporary SMTP refusal."""
    changes: dict[str, str | list[str]] = {
        "calls.rejected_retry_minutes.0": "5",
        "calls.rejected_retry_minutes.1": "15",
        "calls.our_failure_retry_minutes": "7",
        "calls.next_number_after": ["busy", "rejected"],
        "options.email.sender_name": "Анна Смирнова",
        "options.email.retry_delays": "60, 300 900",
    }
    data, shown = campaign_form.spec_data(_form(**changes))
    spec, errors = campaign_form.validate(data)
    assert errors == {} and spec is not None
    dumped = spec.model_dump(mode="json")
    assert dumped["calls"]["rejected_retry_minutes"] == [5, 15]
    assert dumped["calls"]["our_failure_retry_minutes"] == 7
    assert dumped["calls"]["next_number_after"] == ["busy", "rejected"]
    assert spec.options == {
        "email": {"sender_name": "Анна Смирнова", "retry_delays": [60.0, 300.0, 900.0]}
    }
    assert shown["calls.next_number_after"] == ["busy", "rejected"]
    # At their defaults, as typed differently, the options are left out as a YAML file does.
    data, _ = campaign_form.spec_data(_form(**{"options.email.retry_delays": "30,120.0 600"}))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and spec.options == {}
    # Both ends of the dropped call's retry blank: never that number again (null in the YAML);
    # the busy retry cannot be null.
    blank = {"calls.rejected_retry_minutes.0": "", "calls.rejected_retry_minutes.1": " "}
    data, _ = campaign_form.spec_data(_form(**blank))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and spec.model_dump()["calls"]["rejected_retry_minutes"] is None
    assert _errors(**{"calls.busy_retry_minutes.0": "", "calls.busy_retry_minutes.1": ""}) == {
        "calls.busy_retry_minutes.0": ["Заполните поле."]
    }
    # No box ticked: never on to the next number at once.
    data, _ = campaign_form.spec_data(_form(**{"calls.next_number_after": []}))
    spec, _ = campaign_form.validate(data)
    assert spec is not None and spec.model_dump()["calls"]["next_number_after"] == []


def test_a_bad_value_of_the_other_fields_is_refused_in_russian() -> None:
    # The pair is checked once its fields are good (the model's check across fields).
    assert _errors(
        **{"calls.rejected_retry_minutes.0": "20", "calls.rejected_retry_minutes.1": "10"}
    ) == {
        "calls.rejected_retry_minutes.0": [
            "Интервал повтора: «не раньше» больше нуля и не больше «не позже»."
        ]
    }
    assert _errors(
        **{
            "calls.rejected_retry_minutes.1": "часа",
            "calls.our_failure_retry_minutes": "0",
            "calls.next_number_after": ["busy", "connected"],
            "options.email.sender_name": "",
            "options.email.retry_delays": "30, -5",
        }
    ) == {
        "calls.rejected_retry_minutes.1": ["Введите целое число."],
        "calls.our_failure_retry_minutes": ["Не меньше 1."],
        "calls.next_number_after": ["Выберите из списка."],
        "options.email.sender_name": ["Заполните поле."],
        "options.email.retry_delays": ["Паузы не могут быть отрицательными."],
    }
    assert _errors(**{"options.email.retry_delays": "30, минута"}) == {
        "options.email.retry_delays": ["Введите числа через запятую."]
    }


def test_the_letters_retry_after_our_failure_is_a_field_of_its_own() -> None:
    """`email.our_failure_retry_minutes`, in the e-mail section's model, set from the form."""
    fields = {n.path: n for group in campaign_form.numbers().values() for n in group}
    field = fields["email.our_failure_retry_minutes"]
    assert (field.label, field.unit) == ("Сбой на нашей стороне: повтор письма через", "мин")
    assert campaign_form.defaults()["email.our_failure_retry_minutes"] == "10"
    data, shown = campaign_form.spec_data(_form(**{"email.our_failure_retry_minutes": "25"}))
    spec, errors = campaign_form.validate(data)
    assert errors == {} and spec is not None
    assert spec.policy("email").our_failure_retry_minutes == 25
    assert spec.policy("phone").our_failure_retry_minutes == 5  # the calls' own, unchanged
    assert shown["email.our_failure_retry_minutes"] == "25"
    assert _errors(**{"email.our_failure_retry_minutes": "0"}) == {
        "email.our_failure_retry_minutes": ["Не меньше 1."]
    }
    assert _errors(**{"email.our_failure_retry_minutes": "полчаса"}) == {
        "email.our_failure_retry_minutes": ["Введите целое число."]
    }

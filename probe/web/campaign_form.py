"""The campaign form: the same spec a YAML file gives (schedules/spec.py), built from the
browser's fields and validated by the same model, each error in Russian beside its field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from schedules.spec import CampaignSpec

ORG_MODES = ("all", "filter", "names")


@dataclass(frozen=True)
class Number:
    path: str  # the spec's field, dotted: "calls.per_contact"
    label: str
    unit: str = ""


# The rules a ministry sets: hours margins, the protocol's retries, politeness. The rest of the
# spec (options, seed, recurrence) keeps its defaults, as a YAML file that leaves them out.
HOURS = (
    Number("margins.after_opening_minutes", "Не звонить после открытия", "мин"),
    Number("margins.before_closing_minutes", "Не звонить до закрытия", "мин"),
)
RETRIES = (
    Number("calls.per_contact", "Попыток на один номер"),
    Number("calls.per_organisation", "Попыток на организацию (все номера)"),
    Number("calls.per_organisation_per_day", "Звонков в организацию за день"),
    Number("calls.busy_retry_minutes.0", "«Занято»: повтор не раньше чем через", "мин"),
    Number("calls.busy_retry_minutes.1", "«Занято»: повтор не позже чем через", "мин"),
    Number("calls.no_answer_retry_minutes", "«Не отвечает»: повтор через", "мин"),
    Number("email.deadline_working_days", "Норма ответа на письмо", "раб. дн."),
    Number("email.reply_window_days", "Ждать ответа на письмо", "дн."),
)
LIMITS = (
    Number("limits.quiet_minutes", "Пауза между попытками к одной организации", "мин"),
    Number("limits.calls_in_parallel", "Одновременных звонков"),
    Number("limits.emails_per_minute", "Писем в минуту"),
)
SWITCHES = (
    ("calls.answering_machine_retry", "Перезванивать, если ответил автоответчик"),
    ("email.next_address_on_bounce", "При отказе в доставке писать на следующий адрес"),
)


def defaults() -> dict[str, str]:
    """The form's initial values: the spec's own defaults, the dates left to fill."""
    spec = CampaignSpec.model_validate(
        {
            "name": "x",
            "organisations": {"all": True},
            "channels": ["x"],
            "start": "2000-01-01",
            "end": "2000-01-01",
        }
    ).model_dump(mode="json")
    values = {n.path: str(_get(spec, n.path)) for n in HOURS + RETRIES + LIMITS}
    values.update({path: "1" if _get(spec, path) else "" for path, _ in SWITCHES})
    values.update({"org_mode": "filter", "spread": "even"})
    return values


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def spec_data(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec's mapping from the form, and the form's values to show again."""
    shown: dict[str, str] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    data: dict[str, Any] = {
        "name": shown.get("name", "").strip(),
        "title": shown.get("title", "").strip(),
        "channels": [str(c) for c in form.getlist("channels")],
        "start": shown.get("start", ""),
        "end": shown.get("end", ""),
        "windows": "hours",
        "spread": shown.get("spread", "even"),
    }
    mode = shown.get("org_mode", "")
    selection: dict[str, Any] = {}
    if mode == "all":
        selection["all"] = True
    elif mode == "names":
        selection["names"] = _lines(shown.get("names", ""))
    else:
        selection["region"] = [str(r) for r in form.getlist("region")]
        selection["kind"] = [str(k) for k in form.getlist("kind")]
    data["organisations"] = selection
    for number in HOURS + RETRIES + LIMITS:
        path = number.path
        value = shown.get(path, "").strip()
        if path.endswith((".0", ".1")):
            pair = data.setdefault("calls", {}).setdefault("busy_retry_minutes", ["", ""])
            pair[int(path[-1])] = value
        else:
            _put(data, path, value)
    for path, _ in SWITCHES:
        _put(data, path, path in shown)
    return data, shown


def validate(data: dict[str, Any]) -> tuple[CampaignSpec | None, dict[str, list[str]]]:
    """The spec, or the Russian errors by form field ("" for the form as a whole)."""
    try:
        return CampaignSpec.model_validate(data), {}
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            field, message = russian(item)
            errors.setdefault(field, []).append(message)
        return None, errors


_CUSTOM = (
    # (words in the model's own message, the form field, the Russian text)
    ("is before start", "end", "Дата окончания раньше даты начала."),
    ("listed twice", "channels", "Канал выбран дважды."),
    (
        "select organisations",
        "organisations",
        "Выберите организации: все, по региону и виду или списком наименований.",
    ),
    (
        "busy_retry_minutes",
        "calls.busy_retry_minutes.0",
        "Интервал повтора: «не раньше» больше нуля и не больше «не позже».",
    ),
    (
        "per_contact cannot exceed",
        "calls.per_contact",
        "Попыток на номер не может быть больше, чем на организацию.",
    ),
    ("reply_window_days", "email.reply_window_days", "Ждать ответа нужно не меньше нормы ответа."),
)


def russian(item: Any) -> tuple[str, str]:
    """One pydantic error as (form field, Russian message)."""
    loc = [str(p) for p in item["loc"]]
    field = ".".join(loc)
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "value_error":
        text = str(item["msg"])
        for words, target, message in _CUSTOM:
            if words in text:
                return target, message
        return field, "Неверное значение."
    if field.startswith("organisations"):
        field = "organisations"
    if field.startswith("channels"):
        return "channels", "Выберите хотя бы один канал."
    messages = {
        "missing": "Заполните поле.",
        "string_too_short": "Заполните поле.",
        "string_too_long": f"Не длиннее {ctx.get('max_length')} символов.",
        "string_pattern_mismatch": "Только латинские буквы, цифры и знаки . _ - (без пробелов).",
        "greater_than_equal": f"Не меньше {ctx.get('ge')}.",
        "greater_than": f"Больше {ctx.get('gt')}.",
        "less_than_equal": f"Не больше {ctx.get('le')}.",
        "int_parsing": "Введите целое число.",
        "int_from_float": "Введите целое число.",
        "float_parsing": "Введите число.",
        "date_from_datetime_parsing": "Укажите дату.",
        "date_parsing": "Укажите дату.",
        "bool_parsing": "Неверное значение.",
    }
    return field, messages.get(kind, "Неверное значение.")


def unknown_channel_errors(problems: list[str]) -> dict[str, list[str]]:
    """The registry's refusal of a channel (schedules.campaigns.check_channels), in Russian."""
    names = [p.split("'")[1] for p in problems if "unknown channel" in p and "'" in p]
    return {"channels": [f"Неизвестный канал: «{n}»." for n in names] or ["Неверный канал."]}

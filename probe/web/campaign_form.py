"""The campaign form: the same spec a YAML file gives (schedules/spec.py), built from the
browser's fields and validated by the same model, each error in Russian beside its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from probe.channels import channel_spec
from probe.policies import FormField, Refusal, channel_sections
from schedules.spec import CampaignSpec, read_options

ORG_MODES = ("all", "filter", "names")


@dataclass(frozen=True)
class Number:
    path: str  # the spec's field, dotted: "margins.after_opening_minutes"
    label: str
    unit: str = ""
    text: bool = False  # a line of text, not a number
    items: bool = False  # numbers on one line, a list in the spec


# The rules a ministry sets: hours margins, the channels' retries, politeness, and the channel
# options their plugins declare (the letter, the call's timings). The rest of the spec (seed,
# recurrence) keeps its defaults, as a YAML file that leaves them out; an option left at its
# channel's default is left out as well.
HOURS = (
    Number("margins.after_opening_minutes", "Не звонить после открытия", "мин"),
    Number("margins.before_closing_minutes", "Не звонить до закрытия", "мин"),
)
QUIET = Number("limits.quiet_minutes", "Пауза между попытками к одной организации", "мин")


def _declared() -> list[FormField]:
    """The fields the channels bring (their campaign sections' `form`), calls first; a path
    two channels declare is shown once."""
    fields: dict[str, FormField] = {}
    for channel, section in channel_sections():
        if channel.listed:
            for item in section.form:
                fields.setdefault(item.path, item)
    return list(fields.values())


def numbers() -> dict[str, tuple[Number, ...]]:
    """The form's number fields by fieldset: hours, retries, limits, options."""
    declared = [f for f in _declared() if not f.switch and f.choices is None]

    def group(name: str) -> tuple[Number, ...]:
        found = [f for f in declared if f.group == name]
        return tuple(Number(f.path, f.label, f.unit, f.text, f.items) for f in found)

    limits = (QUIET, *group("limits"))
    return {
        "hours": HOURS,
        "retries": group("retries"),
        "limits": limits,
        "options": group("options"),
    }


def switches(group: str | None = None) -> tuple[tuple[str, str], ...]:
    """The yes/no fields of a fieldset (all of them without one): (path, label)."""
    found = [f for f in _declared() if f.switch and (group is None or f.group == group)]
    return tuple((f.path, f.label) for f in found)


def selects() -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """The fields chosen from a list: (path, label, ((value, label), ...))."""
    found = [f for f in _declared() if f.choices is not None and not f.items]
    return tuple((f.path, f.label, f.choices()) for f in found if f.choices is not None)


def checklists() -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """The lists chosen with a box for each item: (path, label, ((value, label), ...))."""
    found = [f for f in _declared() if f.choices is not None and f.items]
    return tuple((f.path, f.label, f.choices()) for f in found if f.choices is not None)


def _option(path: str) -> tuple[str, str] | None:
    """(channel, key) of a channel option's path (`options.email.template`)."""
    parts = path.split(".")
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "options" else None


def _option_default(channel: str, key: str) -> Any:
    return (
        channel_spec(channel).config_model.model_fields[key].get_default(call_default_factory=True)
    )


def _shown_default(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_shown_default(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _all_numbers() -> tuple[Number, ...]:
    return tuple(n for group in numbers().values() for n in group)


def defaults() -> dict[str, str | list[str]]:
    """The form's initial values: the spec's own defaults (the page adds the dates)."""
    spec = CampaignSpec.model_validate(
        {
            "name": "x",
            "organisations": {"all": True},
            "channels": ["x"],
            "start": "2000-01-01",
            "end": "2000-01-01",
        }
    )
    dumped = spec.model_dump(mode="json")
    values: dict[str, str | list[str]] = {
        n.path: _text(_default(spec, dumped, n.path)) for n in _all_numbers()
    }
    values.update({path: "1" if _switch_default(dumped, path) else "" for path, _ in switches()})
    values.update({path: str(_default(spec, dumped, path)) for path, _l, _c in selects()})
    values.update({path: list(_default(spec, dumped, path)) for path, _l, _c in checklists()})
    values.update({"org_mode": "filter", "spread": "even"})
    return values


def _default(spec: CampaignSpec, dumped: dict[str, Any], path: str) -> Any:
    """A field's default: a channel's limit key or option is the channel's own default."""
    group, _, key = path.partition(".")
    if group == "limits" and key not in dumped["limits"]:
        return spec.limits.value(key)
    option = _option(path)
    if option is not None:
        return _shown_default(_option_default(*option))
    return _get(dumped, path)


def _text(value: Any) -> str:
    return _shown_default(value) if isinstance(value, list | tuple) else str(value)


def _switch_default(dumped: dict[str, Any], path: str) -> bool:
    option = _option(path)
    return bool(_option_default(*option) if option else _get(dumped, path))


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path; a last part that is a number is an item of a pair (`x.0`, `x.1`)."""
    *parents, last = path.split(".")
    if last.isdigit():
        *parents, name = parents
    for part in parents:
        data = data.setdefault(part, {})
    if last.isdigit():
        items = data.setdefault(name, [])
        items.extend([""] * (int(last) + 1 - len(items)))
        items[int(last)] = value
    else:
        data[last] = value


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _items(text: str) -> list[str]:
    """Numbers typed on one line: «30, 120, 600» or «30 120 600»."""
    return [item for item in re.split(r"[\s,;]+", text) if item]


def spec_data(form: FormData) -> tuple[dict[str, Any], dict[str, str | list[str]]]:
    """The spec's mapping from the form, and the form's values to show again."""
    typed = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    shown: dict[str, str | list[str]] = dict(typed)
    data: dict[str, Any] = {
        "name": typed.get("name", "").strip(),
        "title": typed.get("title", "").strip(),
        "channels": [str(c) for c in form.getlist("channels")],
        "start": typed.get("start", ""),
        "end": typed.get("end", ""),
        "windows": "hours",
        "spread": typed.get("spread", "even"),
    }
    mode = typed.get("org_mode", "")
    selection: dict[str, Any] = {}
    if mode == "all":
        selection["all"] = True
    elif mode == "names":
        selection["names"] = _lines(typed.get("names", ""))
    else:
        selection["region"] = [str(r) for r in form.getlist("region")]
        selection["kind"] = [str(k) for k in form.getlist("kind")]
    data["organisations"] = selection
    for number in _all_numbers():
        value = typed.get(number.path, "").strip()
        _put_field(data, number.path, _items(value) if number.items else value)
    for path, _ in switches():
        _put_field(data, path, path in typed)
    for path, _label, _choices in selects():
        _put_field(data, path, typed.get(path, ""))
    for path, _label, _choices in checklists():
        shown[path] = [str(v) for v in form.getlist(path)]
        _put_field(data, path, shown[path])
    for pair in _pairs():  # both ends left blank: null (a dropped call: never that number again)
        if not any(typed.get(f"{pair}.{end}", "").strip() for end in (0, 1)):
            _put(data, pair, None)
    return data, shown


def _pairs() -> list[str]:
    """The [low, high] pairs typed as two numbers (`calls.busy_retry_minutes`)."""
    return [n.path.removesuffix(".0") for n in _all_numbers() if n.path.endswith(".0")]


def _put_field(data: dict[str, Any], path: str, value: Any) -> None:
    """A field into the spec; a channel's option only for a channel of the campaign, and only
    when it is not the channel's default (a YAML file leaves those out)."""
    option = _option(path)
    if option is not None:
        channel, key = option
        default = _option_default(channel, key)
        if channel not in data["channels"] or value == default or value == _shown_default(default):
            return
    _put(data, path, value)


def validate(data: dict[str, Any]) -> tuple[CampaignSpec | None, dict[str, list[str]]]:
    """The spec, or the Russian errors by form field ("" for the form as a whole)."""
    errors: dict[str, list[str]] = {}
    # The channels' options read by their models, as every creation of a campaign reads them
    # (schedules.spec.read_options); kept as a YAML file has them: numbers as numbers.
    read, problems = read_options(data.get("options", {}))
    for problem in problems:
        field, message = russian(problem)
        errors.setdefault(field, []).append(message)
    for channel, options in read.items():
        # As a YAML file leaves them out: an option the channel's model reads as its default.
        given = {k: v for k, v in options.items() if v != _option_default(channel, k)}
        if given:
            data["options"][channel] = given
        else:
            del data["options"][channel]
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            field, message = russian(item)
            errors.setdefault(field, []).append(message)
        return None, errors
    return (None, errors) if errors else (spec, {})


# The checks across fields by their code (probe.policies.REFUSALS): the form field and the
# Russian text; the channels' fields bring theirs (FormField.errors).
REFUSALS: dict[str, tuple[str, str]] = {
    "end_before_start": ("end", "Дата окончания раньше даты начала."),
    "channel_twice": ("channels", "Канал выбран дважды."),
    "no_selection": (
        "organisations",
        "Выберите организации: все, по региону и виду или списком наименований.",
    ),
    "options_not_in_campaign": (
        "channels",
        "Параметры указаны для канала, не выбранного в кампании.",
    ),
}


def refusals() -> dict[str, tuple[str, str]]:
    """Every code the form words: the campaign's own and the channels' (FormField.errors)."""
    declared = {code: (f.path, text) for f in _declared() for code, text in f.errors}
    return {**REFUSALS, **declared}


def russian(item: Any) -> tuple[str, str]:
    """One pydantic error as (form field, Russian message)."""
    loc = [str(p) for p in item["loc"]]
    field = ".".join(loc)
    kind, ctx = item["type"], item.get("ctx") or {}
    listed = field.rpartition(".")[0]
    if listed in {f.path for f in _declared() if f.items}:  # an item of a list: the list's field
        field = listed
        if kind.endswith("_parsing"):
            return field, "Введите числа через запятую."
    if field in _pairs():  # a pair that cannot be null, left blank: shown on its first end
        return f"{field}.0", "Заполните поле."
    if kind == "value_error":
        refused = ctx.get("error")
        if isinstance(refused, Refusal) and refused.code in refusals():
            return refusals()[refused.code]
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
        "greater_than_equal": f"Не меньше {_shown_default(ctx.get('ge'))}.",
        "greater_than": f"Больше {_shown_default(ctx.get('gt'))}.",
        "less_than_equal": f"Не больше {_shown_default(ctx.get('le'))}.",
        "int_parsing": "Введите целое число.",
        "int_from_float": "Введите целое число.",
        "float_parsing": "Введите число.",
        "date_from_datetime_parsing": "Укажите дату.",
        "date_parsing": "Укажите дату.",
        "bool_parsing": "Неверное значение.",
    }
    return field, messages.get(kind, "Неверное значение.")


def unknown_channel_errors(names: list[str]) -> dict[str, list[str]]:
    """The registry's refusal of channels (schedules.campaigns.check_channels: the
    CampaignSpecError's `unknown_channels`), in Russian."""
    return {"channels": [f"Неизвестный канал: «{n}»." for n in names] or ["Неверный канал."]}

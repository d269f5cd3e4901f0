"""The directory importer's and the planner's reasons as the ministry's staff read them.

The importer (probe/directory) reports in English for the CLI; the web page shows the same
reports in Russian, chosen by the importer's reason code (probe/directory/reasons.py) with its
values; the planner's skip reasons (schedules/skips.py) and a held contact's stored reason
(`Contact.held`, a code with `held_values`) likewise by their code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from probe.directory.reasons import Publisher, Reason, held_publishers
from schedules.skips import Skip

FIELDS = {
    "name": "Наименование",
    "short_name": "Краткое наименование",
    "region": "Регион",
    "kind": "Вид",
    "address": "Адрес",
    "website": "Сайт",
    "phones": "Телефоны",
    "emails": "Электронная почта",
    "hours": "Режим работы",
    "timezone": "Часовой пояс",
    "area_code": "Код города",
    "protocol_row": "Номер строки протокола",
}
# The import summary's word for the contacts read from a column («телефонов — 3»); a column not
# listed (one a channel declares later) is shown by its heading («Сайт» — 3).
COUNTED = {"phones": "телефонов", "emails": "адресов", "website": "сайтов"}


def contact_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """ImportReport.contact_counts() as the summary's (word, number) pairs, in its order."""
    return [(COUNTED.get(c) or f"«{FIELDS.get(c, c)}»", n) for c, n in counts.items()]


def _how(values: Mapping[str, Any]) -> str:
    if values["how"] == "country":
        return "код страны +7 и 10 цифр"
    if values["how"] == "trunk":
        return f"префикс {values['trunk']} и 10 цифр"
    return "код города и местный номер"


def _publisher(p: Publisher) -> str:
    if p.source is None:
        return f"строка {p.row} ({p.name})"
    return f"{p.name} ({p.source}, строка {p.row})"


def _publishers(values: Mapping[str, Any]) -> str:
    return ", ".join(_publisher(p) for p in values["by"])


def _held_by(values: Mapping[str, Any]) -> str:
    return ", ".join(_publisher(p) for p in held_publishers(values))


def _header(values: Mapping[str, Any]) -> str:
    return ", ".join(repr(h) for h in values["header"]) or "пусто"


_Text = str | Callable[[Mapping[str, Any]], str]
# By the importer's reason codes (probe/directory/reasons.py); values named in braces.
RUSSIAN: dict[str, _Text] = {
    "unsupported_type": "{name}: файлы «{suffix}» не принимаются — загрузите .xlsx, .csv или .yaml",
    "missing_columns": lambda v: (
        f"{v['name']}: нет обязательного столбца «Наименование» (name); в первой строке: "
        f"{_header(v)}"
    ),
    "file_empty": "{name}: файл пуст",
    "sheet_empty": "{name}: первый лист пуст",
    "not_xlsx": "{name}: файл не читается как таблица XLSX",
    "not_yaml": "{name}: файл не читается как YAML",
    "no_list": "{name}: в файле нет списка организаций",
    "not_utf8": "строка не в кодировке UTF-8, в отличие от остального файла (вставлена из файла "
    "в cp1251?): сохраните файл в UTF-8 и загрузите снова",
    "too_many_cells": "в строке {cells} ячеек, а в заголовке {columns} столбцов (разделитель "
    "внутри ячейки без кавычек?)",
    "not_a_mapping": "запись — не набор полей организации",
    "missing_name": "не указано наименование организации",
    "missing_region": "не указан регион (заполните столбец «Регион» или выберите регион по "
    "умолчанию)",
    "unknown_region": "неизвестный регион «{text}»: укажите название (например, «Омская "
    "область») или код (omsk)",
    "unknown_timezone": "неизвестный часовой пояс «{zone}»: укажите его как Asia/Omsk",
    "not_whole_number": "«{text}» — не целое число",
    "duplicate": "организация повторяется: то же наименование и регион, что в строке {first}",
    "no_usable_contact": "нет ни одного пригодного телефона или адреса",
    "fax_only": lambda v: (
        f"опубликован только факс ({', '.join(f'«{r}»' for r in v['published'])}): сохранён, "
        "но не вызывается"
    ),
    # A value of a channel's own column (a website): the channel's message is staff's already.
    "column_value": "{message}",
    "held_shared": lambda v: (
        f"«{v['raw']}» указан и другой организацией ({_publishers(v)}): не вызывается, пока "
        "оператор не подтвердит, что он этой организации"
    ),
    "no_hours_no_default": "режим работы не указан, а для региона «{region}» нет графика по "
    "умолчанию: загружено без режима работы",
    "hours_unknown": "режим работы не разобран ({cause}): загружено без режима работы",
    "hours_default": "режим работы не разобран ({cause}): взят режим по умолчанию ({region})",
    "break_only": "в «{text}» указан только перерыв: взяты дни и часы по умолчанию ({region}) с "
    "перерывом {breaks}",
    "not_a_time": "«{fragment}» — не время суток",
    "ends_before_start": "«{fragment}» заканчивается раньше, чем начинается",
    "no_days": "для часов «{fragment}» в «{text}» не указаны дни",
    "overlaps": "«{fragment}» пересекается с указанными ранее часами",
    "no_hours_for": "для «{fragment}» не указаны часы",
    "no_hours_found": "в «{text}» не найдены рабочие дни и часы",
    "phone_not_russian": "номер «{raw}» — не российский (+7)",
    "phone_digits": lambda v: (
        f"номер «{v['raw']}»: {v['count']} цифр, нужно {v['needed']} ({_how(v)})"
    ),
    "local_digits": "местный номер «{raw}»: {count} цифр, а в местном номере от 5 до 7",
    "local_no_code": "местный номер «{raw}» без кода города: в ячейке нет другого номера с "
    "кодом и не указан код города (столбец «Код города»)",
    "local_misfit": lambda v: (
        f"местный номер «{v['raw']}» не подходит к коду города {v['code']} "
        f"({'взят у соседнего номера' if v['sibling'] else 'из столбца «Код города»'}): в "
        "российском номере 10 цифр"
    ),
    "phone_invalid": "«{raw}» (+7{national}) — такого российского номера не существует",
    "local_invalid": "местный номер «{raw}» с кодом {code} (+7{code}{digits}) — такого номера "
    "не существует",
    "no_phone": "в «{text}» не найден номер телефона",
    "cyrillic_letter": "русская буква «{letter}» в латинском адресе «{address}» (позиция "
    "{position})",
    "cyrillic_letter_suggested": "русская буква «{letter}» в латинском адресе «{address}» "
    "(позиция {position}); возможно, «{suggestion}»",
    "space_inside": "пробел внутри адреса «{raw}»: «{joined}» или «{underscored}»? Проверьте "
    "по источнику",
    "no_at": "адрес «{address}» без «@»",
    "invalid_address": "неверный адрес «{address}» ({detail})",
    "no_email": "в «{text}» не найден адрес электронной почты",
}
# By the codes of a held contact (`Contact.held`, probe/directory/reasons.py HELD).
HELD: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "shared": lambda v: (
        f"указан и другой организацией: {_held_by(v)}; ждёт подтверждения оператора"
    ),
    # A sentence stored before the codes that did not parse (migration 0014), as it was written.
    "noted": lambda v: f"ждёт подтверждения оператора: {v['text']}",
}
# By the planner's skip codes (schedules/skips.py); values named in braces.
PLAN_RUSSIAN: dict[str, str] = {
    "no_window": "нет рабочего времени организации между датами начала и окончания",
    "no_contact": "нет контакта для выбранных каналов "
    "(не опубликован, неверен, только факс или ждёт подтверждения оператора)",
    "contact_no_window": "контакт №{contact}: до конца кампании не осталось рабочего времени",
}


def reason(why: Reason) -> str:
    """One problem of a file, a row or a contact in Russian, chosen by its code."""
    text = RUSSIAN[why.code]
    values = {k: reason(v) if isinstance(v, Reason) else v for k, v in why.values.items()}
    return text.format(**values) if isinstance(text, str) else text(values)


def held(code: str, values: Mapping[str, Any] | None) -> str:
    """Why a contact is held (`Contact.held`, a code, and `held_values`), in Russian."""
    return HELD[code](values or {})


def file_error(why: Reason) -> str:
    """Why a whole file was refused, in Russian."""
    return reason(why)


def plan_reason(why: Skip) -> str:
    """Why the planner skipped an organisation or a contact, in Russian, chosen by its code."""
    return PLAN_RUSSIAN[why.code].format(**why.values)

"""The directory importer's and the planner's English reasons as the ministry's staff read them.

The importer (probe/directory) reports in English for the CLI; the web page shows the same
reports in Russian. Each pattern below is one reason the importer gives; a reason no pattern
knows is shown as it is, marked, rather than hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rules(*pairs: tuple[str, str | Callable[[re.Match[str]], str]]) -> list[_Rule]:
    rules: list[_Rule] = []
    for pattern, template in pairs:
        make = _formatter(template) if isinstance(template, str) else template
        rules.append((re.compile(pattern, re.S), make))
    return rules


def _formatter(template: str) -> Callable[[re.Match[str]], str]:
    def make(match: re.Match[str]) -> str:
        return template.format(*match.groups())

    return make


def _digits(m: re.Match[str]) -> str:
    raw, count, needed, how = m.groups()
    how = {
        "country code +7 + 10 digits": "код страны +7 и 10 цифр",
        "area code + local number": "код города и местный номер",
    }.get(how, how.replace("trunk prefix", "префикс").replace("+ 10 digits", "и 10 цифр"))
    return f"номер «{raw}»: {count} цифр, нужно {needed} ({how})"


def _fit(m: re.Match[str]) -> str:
    where = {
        "from a sibling number": "взят у соседнего номера",
        "the default area code": "из столбца «Код города»",
    }.get(m[3], m[3])
    return (
        f"местный номер «{m[1]}» не подходит к коду города {m[2]} ({where}): в российском "
        "номере 10 цифр"
    )


_PHONE = _rules(
    (r"^phone number '(.*)' is not a Russian \(\+7\) number$", "номер «{}» — не российский (+7)"),
    (r"^phone number '(.*)' has (\d+) digits, expected (\d+) \((.*)\)$", _digits),
    (
        r"^local number '(.*)' has (\d+) digits: a local number has 5 to 7$",
        "местный номер «{}»: {} цифр, а в местном номере от 5 до 7",
    ),
    (
        r"^local number '(.*)' has no area code: .*$",
        "местный номер «{}» без кода города: в ячейке нет другого номера с кодом и не указан "
        "код города (столбец «Код города»)",
    ),
    (r"^local number '(.*)' does not fit area code (\d+) \((.*)\): .*$", _fit),
    (
        r"^'(.*)' \(from '(.*)'\) is not a valid Russian phone number$",
        "«{1}» ({0}) — такого российского номера не существует",
    ),
    (
        r"^'(.*)' \(local number '(.*)' with area code (\d+)\) is not valid$",
        "местный номер «{1}» с кодом {2} ({0}) — такого номера не существует",
    ),
    (r"^cannot find a phone number in '(.*)'$", "в «{}» не найден номер телефона"),
    (
        r"^only a fax number is published \((.*)\): kept, never called$",
        lambda m: f"опубликован только факс ({_quoted(m[1])}): сохранён, но не вызывается",
    ),
)
_EMAIL = _rules(
    (
        r"^Cyrillic letter '(.)' in a Latin address '(.*)' \(position (\d+)\); did you mean "
        r"'(.*)'\?$",
        "русская буква «{}» в латинском адресе «{}» (позиция {}); возможно, «{}»",
    ),
    (
        r"^Cyrillic letter '(.)' in a Latin address '(.*)' \(position (\d+)\)$",
        "русская буква «{}» в латинском адресе «{}» (позиция {})",
    ),
    (
        r"^address '(.*)' has a space inside: could be '(.*)' or '(.*)'; .*$",
        "пробел внутри адреса «{}»: «{}» или «{}»? Проверьте по источнику",
    ),
    (r"^invalid address '(.*)': there is no '@'$", "адрес «{}» без «@»"),
    (r"^invalid address '(.*)': (.*)$", "неверный адрес «{}» ({})"),
    (r"^cannot find an e-mail address in '(.*)'$", "в «{}» не найден адрес электронной почты"),
)
_HOURS_CAUSE = _rules(
    (r"^'(.*)' is not a time of day$", "«{}» — не время суток"),
    (r"^'(.*)' ends before it starts$", "«{}» заканчивается раньше, чем начинается"),
    (r"^no days are given for the hours '(.*)' in '(.*)'$", "для часов «{}» в «{}» не указаны дни"),
    (r"^'(.*)' overlaps the hours given before it$", "«{}» пересекается с указанными ранее часами"),
    (r"^no hours are given for '(.*)'$", "для «{}» не указаны часы"),
    (r"^no working days and hours found in '(.*)'$", "в «{}» не найдены рабочие дни и часы"),
)
_ROW = _rules(
    (r"^missing organisation name$", "не указано наименование организации"),
    (
        r"^missing region \(give a 'region' column or --region\)$",
        "не указан регион (заполните столбец «Регион» или выберите регион по умолчанию)",
    ),
    (
        r"^unknown region '(.*)'; .*$",
        "неизвестный регион «{}»: укажите название (например, «Омская область») или код (omsk)",
    ),
    (
        r"^unknown time zone '(.*)'; use an IANA name \(Asia/Omsk\)$",
        "неизвестный часовой пояс «{}»: укажите его как Asia/Omsk",
    ),
    (
        r"^duplicate organisation: same name and region as row (\d+)$",
        "организация повторяется: то же наименование и регион, что в строке {}",
    ),
    (
        r"^row is not valid UTF-8 while the rest of the file is .*$",
        "строка не в кодировке UTF-8, в отличие от остального файла (вставлена из файла в "
        "cp1251?): сохраните файл в UTF-8 и загрузите снова",
    ),
    (
        r"^row has (\d+) cells but the header has (\d+) columns .*$",
        "в строке {} ячеек, а в заголовке {} столбцов (разделитель внутри ячейки без кавычек?)",
    ),
    (r"^not a whole number: '(.*)'$", "«{}» — не целое число"),
    # A value of a channel's own column (a website): the channel's message is staff's already.
    (r"^cannot read '.*' in the \w+ column: (.*)$", "{}"),
    (r"^entry is not a mapping$", "запись — не набор полей организации"),
    (r"^no usable phone number or e-mail address$", "нет ни одного пригодного телефона или адреса"),
    (
        r"^working hours not given and (.*) has no default schedule: .*$",
        "режим работы не указан, а для региона «{}» нет графика по умолчанию: загружено без "
        "режима работы",
    ),
    (
        r"^only a break is given in '(.*)': (.*) default days and hours are used with the "
        r"published break (.*)$",
        "в «{}» указан только перерыв: взяты дни и часы по умолчанию ({}) с перерывом {}",
    ),
    (
        r"^'(.*)' also published by (.*): not called until an operator confirms it is this "
        r"organisation's$",
        lambda m: (
            f"«{m[1]}» указан и другой организацией ({_rows(m[2])}): не "
            "вызывается, пока оператор не подтвердит, что он этой организации"
        ),
    ),
)
_FILE = _rules(
    (
        r"^(.*): unsupported file type '(.*)'; .*$",
        "{}: файлы «{}» не принимаются — загрузите .xlsx, .csv или .yaml",
    ),
    (
        r"^(.*): missing required column\(s\) (.*); the header row has (.*)$",
        "{0}: нет обязательного столбца «Наименование» (name); в первой строке: {2}",
    ),
    (r"^(.*): the file is empty$", "{}: файл пуст"),
    (r"^(.*): the first sheet is empty$", "{}: первый лист пуст"),
    (r"^(.*): not a readable XLSX file .*$", "{}: файл не читается как таблица XLSX"),
    (r"^(.*): not valid YAML .*$", "{}: файл не читается как YAML"),
    (r"^(.*): expected a list of organisations .*$", "{}: в файле нет списка организаций"),
)
PLAN = _rules(
    (
        r"^no open window between start and end$",
        "нет рабочего времени организации между датами начала и окончания",
    ),
    (
        r"^no probeable contact on the campaign's channels$",
        "нет контакта для выбранных каналов "
        "(не опубликован, неверен, только факс или ждёт подтверждения оператора)",
    ),
    (
        r"^contact (\d+): no window left$",
        "контакт №{}: до конца кампании не осталось рабочего времени",
    ),
)


def _quoted(text: str) -> str:
    return re.sub(r"'([^']*)'", r"«\1»", text)


def _rows(text: str) -> str:
    return re.sub(r"\brow (\d+)", r"строка \1", text).replace(", row ", ", строка ")


def _apply(rules: list[_Rule], text: str) -> str | None:
    for pattern, make in rules:
        match = pattern.match(text)
        if match:
            return make(match)
    return None


def _hours(text: str) -> str | None:
    match = re.match(r"^(.*); (.*) default hours are used$", text) or re.match(
        r"^(.*); imported with working hours unknown$", text
    )
    if match is None:
        return None
    cause = _apply(_HOURS_CAUSE, match[1]) or match[1]
    if match.lastindex == 2:
        return f"режим работы не разобран ({cause}): взят режим по умолчанию ({match[2]})"
    return f"режим работы не разобран ({cause}): загружено без режима работы"


def reason(text: str) -> str:
    """One problem of a row in Russian."""
    for rules in (_ROW, _PHONE, _EMAIL):
        found = _apply(rules, text)
        if found is not None:
            return found
    return _hours(text) or f"{text} (описание на английском)"


def held(text: str) -> str:
    """Why a contact is held (`Contact.held`), in Russian."""
    match = re.match(r"^also published by (.*): not called until an operator confirms", text)
    if match is None:
        return text
    return f"указан и другой организацией: {_rows(match[1])}; ждёт подтверждения оператора"


def file_error(text: str) -> str:
    """Why a whole file was refused, in Russian."""
    return _apply(_FILE, text) or f"Файл не принят: {text}"


def plan_reason(text: str) -> str:
    """Why the planner skipped an organisation or a contact, in Russian."""
    return _apply(PLAN, text) or text

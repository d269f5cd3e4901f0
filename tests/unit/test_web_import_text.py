"""Every problem the directory importer reports reads in Russian on the web page, the text chosen
by the importer's reason code (probe/directory/reasons.py), never by the English words: one
exact text per reason, the bundled directories' real defects, and files refused whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from probe.directory.importer import apply_import, bundled_names, bundled_path, plan_import
from probe.directory.reasons import ENGLISH, Reason
from probe.directory.sources import (
    DirectoryFileError,
    RowProblem,
    read_csv,
    read_directory_file,
    read_yaml,
)
from probe.web import import_text
from tests.unit.test_directory_import import _broken_file

HEADER = "name;region;phones;emails;hours;area_code;protocol_row;timezone;website\n"
PHONE = "8 (3812) 23-45-67"


def _row(
    name: str = "ЦСО",
    region: str = "omsk",
    phones: str = PHONE,
    emails: str = "",
    hours: str = "пн-пт 9-18",
    area: str = "",
    protocol_row: str = "",
    zone: str = "",
    site: str = "",
) -> str:
    return f"{name};{region};{phones};{emails};{hours};{area};{protocol_row};{zone};{site}\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode()


def _hours(cause: str, region: str = "Омская область") -> str:
    return f"режим работы не разобран ({cause}): взят режим по умолчанию ({region})"


# (code, the file's bytes, the exact Russian text of that problem on the page)
ROW_CASES: list[tuple[str, bytes, str]] = [
    ("not_utf8", _csv(_row()) + _row(name="ЦСО Шербакуль").encode("cp1251"),
     "строка не в кодировке UTF-8, в отличие от остального файла (вставлена из файла в "
     "cp1251?): сохраните файл в UTF-8 и загрузите снова"),
    ("too_many_cells", _csv("ЦСО;omsk;;;;;;;;;;\n"),
     "в строке 12 ячеек, а в заголовке 9 столбцов (разделитель внутри ячейки без кавычек?)"),
    ("missing_name", _csv(_row(name="")), "не указано наименование организации"),
    ("missing_region", _csv(_row(region="")),
     "не указан регион (заполните столбец «Регион» или выберите регион по умолчанию)"),
    ("unknown_region", _csv(_row(region="Марс")),
     "неизвестный регион «Марс»: укажите название (например, «Омская область») или код (omsk)"),
    ("unknown_timezone", _csv(_row(zone="Mars/Base")),
     "неизвестный часовой пояс «Mars/Base»: укажите его как Asia/Omsk"),
    ("not_whole_number", _csv(_row(protocol_row="x")), "«x» — не целое число"),
    ("duplicate", _csv(_row(), _row(phones="8 (3812) 23-45-68")),
     "организация повторяется: то же наименование и регион, что в строке 2"),
    ("no_usable_contact", _csv(_row(phones="")), "нет ни одного пригодного телефона или адреса"),
    ("fax_only", _csv(_row(phones="факс: 8 (3812) 23-45-67")),
     "опубликован только факс («8 (3812) 23-45-67»): сохранён, но не вызывается"),
    ("column_value", _csv(_row(site="ftp://tara.ru")),
     "Не удалось распознать адрес сайта: «ftp://tara.ru»."),
    ("held_shared", _csv(_row(), _row(name="ЦСО 2")),
     "«8 (3812) 23-45-67» указан и другой организацией (строка 3 (ЦСО 2)): не вызывается, пока "
     "оператор не подтвердит, что он этой организации"),
    ("no_hours_no_default", _csv(_row(region="tomsk", phones="8 (3822) 23-45-67", hours="")),
     "режим работы не указан, а для региона «Томская область» нет графика по умолчанию: "
     "загружено без режима работы"),
    ("hours_unknown", _csv(_row(region="tomsk", phones="8 (3822) 23-45-67", hours="абв")),
     "режим работы не разобран (в «абв» не найдены рабочие дни и часы): загружено без режима "
     "работы"),
    ("hours_default", _csv(_row(region="rostov", phones="8 (86342) 4-03-61", hours="абв")),
     _hours("в «абв» не найдены рабочие дни и часы", "Ростовская область")),
    ("break_only", _csv(_row(hours="перерыв с 12.00 до 12.45")),
     "в «перерыв с 12.00 до 12.45» указан только перерыв: взяты дни и часы по умолчанию "
     "(Омская область) с перерывом 12:00-12:45"),
    ("not_a_time", _csv(_row(hours="пн-пт 25:00-26:00")), _hours("«25:00» — не время суток")),
    ("ends_before_start", _csv(_row(hours="пн-пт 18:00-9:00")),
     _hours("«18:00-9:00» заканчивается раньше, чем начинается")),
    ("no_days", _csv(_row(hours="9:00-18:00")),
     _hours("для часов «9:00-18:00» в «9:00-18:00» не указаны дни")),
    ("overlaps", _csv(_row(hours="пн-пт 9:00-13:00 12:00-18:00")),
     _hours("«12:00-18:00» пересекается с указанными ранее часами")),
    ("no_hours_for", _csv(_row(hours="пн-пт")), _hours("для «пн-пт» не указаны часы")),
    ("no_hours_found", _csv(_row(hours="абв")), _hours("в «абв» не найдены рабочие дни и часы")),
    ("phone_not_russian", _csv(_row(phones="+1 212 555 0100")),
     "номер «+1 212 555 0100» — не российский (+7)"),
    ("phone_digits", _csv(_row(phones="8 (3812) 2-3")),
     "номер «8 (3812) 2-3»: 7 цифр, нужно 11 (префикс 8 и 10 цифр)"),
    ("phone_digits", _csv(_row(phones="+7 3812 23")),
     "номер «+7 3812 23»: 7 цифр, нужно 11 (код страны +7 и 10 цифр)"),
    ("phone_digits", _csv(_row(phones="(3812) 23-45-6")),
     "номер «(3812) 23-45-6»: 9 цифр, нужно 10 (код города и местный номер)"),
    ("local_digits", _csv(_row(phones="12345678")),
     "местный номер «12345678»: 8 цифр, а в местном номере от 5 до 7"),
    ("local_no_code", _csv(_row(phones="5-63-19")),
     "местный номер «5-63-19» без кода города: в ячейке нет другого номера с кодом и не указан "
     "код города (столбец «Код города»)"),
    ("local_misfit", _csv(_row(phones="8 (38171) 2-25-21, 63-19-100")),
     "местный номер «63-19-100» не подходит к коду города 38171 (взят у соседнего номера): в "
     "российском номере 10 цифр"),
    ("local_misfit", _csv(_row(phones="563-19", area="38")),
     "местный номер «563-19» не подходит к коду города 38 (из столбца «Код города»): в "
     "российском номере 10 цифр"),
    ("phone_invalid", _csv(_row(phones="+7 (000) 123-45-67")),
     "«+7 (000) 123-45-67» (+70001234567) — такого российского номера не существует"),
    ("local_invalid", _csv(_row(phones="123-45-67", area="000")),
     "местный номер «123-45-67» с кодом 000 (+70001234567) — такого номера не существует"),
    ("no_phone", _csv(_row(phones="нет")), "в «нет» не найден номер телефона"),
    ("cyrillic_letter", _csv(_row(emails="tarа@mail..ru")),
     "русская буква «а» в латинском адресе «tarа@mail..ru» (позиция 4)"),
    ("cyrillic_letter_suggested", _csv(_row(emails="vдох_tara@mail.ru")),
     "русская буква «д» в латинском адресе «vдох_tara@mail.ru» (позиция 2); возможно, "
     "«vdoh_tara@mail.ru»"),
    ("space_inside", _csv(_row(emails="a b@mail.ru")),
     "пробел внутри адреса «a b@mail.ru»: «ab@mail.ru» или «a_b@mail.ru»? Проверьте по "
     "источнику"),
    ("no_at", _csv(_row(emails="e-mail: omsk.ru")), "адрес «omsk.ru» без «@»"),
    ("invalid_address", _csv(_row(emails="tara@@mail.ru")),
     "неверный адрес «tara@@mail.ru» (The part after the @-sign contains invalid characters: "
     "'@'.)"),
    ("no_email", _csv(_row(emails="нет адреса")),
     "в «нет адреса» не найден адрес электронной почты"),
]  # fmt: skip


def _codes(problem: RowProblem) -> set[str]:
    return {problem.why.code} | {
        v.code for v in problem.why.values.values() if isinstance(v, Reason)
    }


def shown(data: bytes, code: str) -> list[str]:
    """The Russian texts of the problems of `code` (or with it as their cause) in a file."""
    report = plan_import(read_csv(data, name="a.csv"))
    return [
        import_text.reason(p.why) for p in report.rejected + report.warnings if code in _codes(p)
    ]


def test_every_reason_the_importer_gives_has_a_russian_text() -> None:
    assert set(import_text.RUSSIAN) == set(ENGLISH)
    row_and_cause_codes = {code for code, _data, _text in ROW_CASES}
    file_codes = {code for code, *_ in FILE_CASES} | {"not_a_mapping"}
    assert row_and_cause_codes | file_codes == set(ENGLISH)


@pytest.mark.parametrize(
    ("code", "data", "expected"),
    ROW_CASES,
    ids=[f"{c}-{i}" for i, (c, *_r) in enumerate(ROW_CASES)],
)
def test_each_reason_shows_its_exact_russian_text(code: str, data: bytes, expected: str) -> None:
    assert expected in shown(data, code)


def test_an_entry_of_a_yaml_file_that_is_not_an_organisation() -> None:
    problems = read_yaml("organisations:\n  - just text\n", name="a.yaml").problems
    assert [import_text.reason(p.why) for p in problems] == ["запись — не набор полей организации"]


def test_a_contact_published_by_an_organisation_already_in_the_database(engine: Engine) -> None:
    first = plan_import(read_csv(_csv(_row(name="ЦСО Азова")), name="a.csv"))
    apply_import(first, engine=engine, actor="test")
    second = plan_import(read_csv(_csv(_row(name="ЦСО Азовского района")), name="b.csv"))
    apply_import(second, engine=engine, actor="test")
    assert [import_text.reason(w.why) for w in second.warnings] == [
        "«8 (3812) 23-45-67» указан и другой организацией (ЦСО Азова (a.csv, строка 2)): не "
        "вызывается, пока оператор не подтвердит, что он этой организации"
    ]


def _reasons(paths: list[Path]) -> list[RowProblem]:
    found: list[RowProblem] = []
    for path in paths:
        report = plan_import(read_directory_file(path))
        found += report.rejected + report.warnings
    return found


def test_the_bundled_directories_and_a_broken_file_read_in_russian(tmp_path: Path) -> None:
    problems = _reasons([bundled_path(n) for n in bundled_names()] + [_broken_file(tmp_path)])
    assert len(problems) > 15
    shown = [import_text.reason(p.why) for p in problems]
    english = re.compile(r"\b(the|is|not|no|number|address|row|missing|unknown|default|hours)\b")
    # Quoted values («…») are the file's own text; the words around them are Russian.
    assert [s for s in shown if english.search(re.sub(r"«[^»]*»", "", s))] == []


FILE_CASES = [
    ("file_empty", "a.csv", b"", "a.csv: файл пуст"),
    ("missing_columns", "a.csv", "Адрес\nОмск\n".encode(),
     "a.csv: нет обязательного столбца «Наименование» (name); в первой строке: 'Адрес'"),
    ("missing_columns", "a.csv", "\nОмск\n".encode(),
     "a.csv: нет обязательного столбца «Наименование» (name); в первой строке: пусто"),
    ("unsupported_type", "a.pdf", b"%PDF",
     "a.pdf: файлы «.pdf» не принимаются — загрузите .xlsx, .csv или .yaml"),
    ("not_xlsx", "a.xlsx", b"not a zip", "a.xlsx: файл не читается как таблица XLSX"),
    ("no_list", "a.yaml", b"just text", "a.yaml: в файле нет списка организаций"),
    ("not_yaml", "a.yaml", b"a: [", "a.yaml: файл не читается как YAML"),
    ("sheet_empty", "a.xlsx", None, "a.xlsx: первый лист пуст"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "name", "data", "expected"), FILE_CASES)
def test_a_refused_file_says_why_in_russian(
    tmp_path: Path, code: str, name: str, data: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if data is None:
        Workbook().save(path)  # one sheet, no cell
    else:
        path.write_bytes(data)
    with pytest.raises(DirectoryFileError) as error:
        read_directory_file(path)
    assert error.value.why.code == code
    assert import_text.file_error(error.value.why) == expected

"""Every problem the directory importer reports reads in Russian on the web page: the bundled
directories' real defects and a file broken in every way the importer knows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from probe.directory.importer import bundled_names, bundled_path, plan_import
from probe.directory.sources import DirectoryFileError, read_csv, read_directory_file
from probe.web import import_text
from tests.unit.test_directory_import import _broken_file

BROKEN_MORE = (
    "name;region;phones;emails;hours;area_code;protocol_row\n"
    "ЦСО 1;omsk;5-63-19;a b@mail.ru;перерыв с 12.00 до 12.45;;x\n"
    "ЦСО 2;omsk;факс: 8 (3812) 23-45-67;нет адреса;круглосуточно без выходных;;\n"
    "ЦСО 3;omsk;+1 212 555 0100;e-mail: omsk.ru;пн-пт 18:00-9:00;;\n"
    "ЦСО 4;omsk;8 (3812) 2-3;;;;\n"
    "ЦСО 5;ростов;563-19;;;38;\n"
    "ЦСО 6;omsk;;;;;;;;\n"
)


def _reasons(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        report = plan_import(read_directory_file(path))
        found += [p.reason for p in report.rejected + report.warnings]
    report = plan_import(read_csv(BROKEN_MORE.encode(), name="more.csv"))
    return found + [p.reason for p in report.rejected + report.warnings]


def test_every_reported_problem_has_its_russian_text(tmp_path: Path) -> None:
    reasons = _reasons([bundled_path(n) for n in bundled_names()] + [_broken_file(tmp_path)])
    assert len(reasons) > 30
    untranslated = [r for r in reasons if import_text.reason(r).endswith("(на английском)")]
    assert untranslated == []
    shown = [import_text.reason(r) for r in reasons]
    english = re.compile(r"\b(the|is|not|no|number|address|row|missing|unknown|default|hours)\b")
    # Quoted values («…») are the file's own text; the words around them are Russian.
    assert [s for s in shown if english.search(re.sub(r"«[^»]*»", "", s))] == []


def test_exact_texts_of_the_common_problems() -> None:
    assert import_text.reason("duplicate organisation: same name and region as row 2") == (
        "организация повторяется: то же наименование и регион, что в строке 2"
    )
    assert import_text.reason("local number '5-63-19' has no area code: no sibling number") == (
        "местный номер «5-63-19» без кода города: в ячейке нет другого номера с кодом и не "
        "указан код города (столбец «Код города»)"
    )
    assert import_text.reason("something new") == "something new (описание на английском)"
    assert import_text.plan_reason("no open window between start and end") == (
        "нет рабочего времени организации между датами начала и окончания"
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.csv", b"", "a.csv: файл пуст"),
        ("a.csv", "Адрес\nОмск\n".encode(), "a.csv: нет обязательного столбца «Наименование» "
         "(name); в первой строке: 'Адрес'"),
        ("a.pdf", b"%PDF", "a.pdf: файлы «.pdf» не принимаются — загрузите .xlsx, .csv или .yaml"),
        ("a.xlsx", b"not a zip", "a.xlsx: файл не читается как таблица XLSX"),
        ("a.yaml", b"just text", "a.yaml: в файле нет списка организаций"),
    ],
)  # fmt: skip
def test_a_refused_file_says_why_in_russian(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DirectoryFileError) as error:
        read_directory_file(path)
    assert import_text.file_error(str(error.value)) == expected

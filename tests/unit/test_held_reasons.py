"""Why a contact is held (`Contact.held`): a code and values, worded in English for the CLI and
the API (probe/directory/reasons.py HELD) and in Russian for the web (probe/web/import_text.py
HELD), both chosen by the code, never by matching English words. Every code has one exact text in
each language; the sentences stored before the codes parse back to the same code and values
(migration 0014) and are written again unchanged on a downgrade."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from probe.directory import reasons
from probe.directory.reasons import Publisher, held_english, held_shared, held_text
from probe.web import import_text

IN_FILE = (Publisher("ЦСО Азова", None, 4), Publisher("МБУ «ЦСО» (филиал), Азов", None, 7))
ELSEWHERE = (Publisher("МБУ «ЦСО» Красносулинского района", "krasnosulin.csv", 2),)
UNKNOWN_ROW = (Publisher("ЦСО", "", None),)

CASES = [
    ("shared", held_shared(IN_FILE)[1],
     "also published by row 4 (ЦСО Азова), row 7 (МБУ «ЦСО» (филиал), Азов): not called until "
     "an operator confirms it is this organisation's",
     "указан и другой организацией: строка 4 (ЦСО Азова), строка 7 (МБУ «ЦСО» (филиал), Азов); "
     "ждёт подтверждения оператора"),
    ("shared", held_shared(ELSEWHERE)[1],
     "also published by МБУ «ЦСО» Красносулинского района (krasnosulin.csv, row 2): not called "
     "until an operator confirms it is this organisation's",
     "указан и другой организацией: МБУ «ЦСО» Красносулинского района (krasnosulin.csv, "
     "строка 2); ждёт подтверждения оператора"),
    ("noted", {"text": "held by hand"}, "held by hand",
     "ждёт подтверждения оператора: held by hand"),
]  # fmt: skip


def test_every_held_code_has_an_english_and_a_russian_text_and_a_case_here() -> None:
    assert set(import_text.HELD) == set(reasons.HELD)
    assert {code for code, *_ in CASES} == set(reasons.HELD)


@pytest.mark.parametrize(("code", "values", "english", "russian"), CASES)
def test_each_held_code_reads_in_its_exact_english_and_russian(
    code: str, values: dict[str, Any], english: str, russian: str
) -> None:
    assert held_english(code, values) == english
    assert import_text.held(code, values) == russian


def test_the_stored_values_are_plain_json() -> None:
    assert held_shared(ELSEWHERE) == (
        "shared",
        {"by": [{"name": "МБУ «ЦСО» Красносулинского района", "source": "krasnosulin.csv",
                 "row": 2}]},
    )  # fmt: skip


def _migration() -> ModuleType:
    root = Path(__file__).resolve().parents[2]
    path = root / "storage/migrations/versions/0014_contact_held_code.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("by", [IN_FILE, ELSEWHERE, UNKNOWN_ROW, IN_FILE[:1]])
def test_an_old_sentence_parses_to_the_code_and_values_and_back(
    by: tuple[Publisher, ...],
) -> None:
    migration = _migration()
    old = held_text(by)
    assert migration.held_values(old) == held_shared(by)
    assert migration.sentence(*migration.held_values(old)) == old


def test_an_old_sentence_that_does_not_parse_is_kept_whole() -> None:
    migration = _migration()
    text = "also published by row 46 (ЦСО): not called until an operator confirms it"
    assert migration.held_values(text) == ("noted", {"text": text})
    assert migration.sentence("noted", {"text": text}) == text
    assert held_english("noted", {"text": text}) == text

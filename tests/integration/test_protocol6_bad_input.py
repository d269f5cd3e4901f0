"""A protocol the importer cannot read imports nothing; a row it cannot read is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from probe.history.document import Protocol6FormatError
from probe.history.importer import import_protocol6
from storage.checks import list_campaigns
from storage.engine import session_scope

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_4f0d44af83f0814c.txt"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "protocol.txt"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _no_campaign(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return not list_campaigns(session=session)


def test_a_file_without_protocol_6_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = _variant(tmp_path, "Протокол № 6", "Протокол № 7")
    with pytest.raises(Protocol6FormatError) as error:
        import_protocol6(path, engine=engine)
    assert str(error.value) == f"{path}: no line 'Протокол № 6' after line 1"
    assert _no_campaign(engine)


def test_a_file_that_is_not_utf8_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "protocol.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("cp1251"))
    with pytest.raises(Protocol6FormatError) as error:
        import_protocol6(path, engine=engine)
    assert str(error.value) == f"{path}: not UTF-8 text (invalid continuation byte)"
    assert _no_campaign(engine)


def test_a_table_1_line_with_a_missing_cell_is_refused(engine: Engine, tmp_path: Path) -> None:
    row_3 = "(3812) 32-48-55\t1\t1\t\t+\t\t+\t\t\t\t+\t\t\n"
    path = _variant(tmp_path, row_3, row_3.replace("\t\t\n", "\t\n"))
    with pytest.raises(Protocol6FormatError) as error:
        import_protocol6(path, engine=engine)
    assert str(error.value) == "line 85: table 1 has 16 columns, this line has 15"
    assert _no_campaign(engine)


def test_a_call_that_cannot_be_read_is_reported_and_its_row_left_out(
    engine: Engine, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "13.05.2020, 15.13, (3812) 32-48-55", "вечером, (3812) 32-48-55")
    report = import_protocol6(path, engine=engine)
    messages = [p.message for p in report.problems]
    assert (
        "row 3, call 1: expected 'DD.MM.YYYY, HH.MM, number' in 'вечером, (3812) 32-48-55'; "
        "the row's calls are not imported"
    ) in messages
    assert report.calls == 85


def test_a_note_not_understood_is_imported_as_unknown_and_not_counted(
    engine: Engine, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "– вызов сброшен", "– играла музыка")
    report = import_protocol6(path, engine=engine)
    messages = [p.message for p in report.problems]
    assert (
        "row 6, call 1: note 'играла музыка' is not understood; imported with outcome "
        "'unknown', not counted"
    ) in messages
    assert "row 6: the log gives 2 for column 5, the document says '3'" in messages

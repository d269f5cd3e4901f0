"""A protocol the importer cannot read imports nothing; a row it cannot read is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from probe.export import export_campaign
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


def _table1(engine: Engine, campaign: str, tmp_path: Path) -> dict[int, dict]:
    out = export_campaign(engine=engine, campaign=campaign, fmt="json", out=tmp_path / "t.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    return {r["protocol_row"]: r for r in data["protocol6_table1"]} | {0: data}


def test_etiquette_marks_that_fit_no_call_become_the_organisations_and_are_reported(
    engine: Engine, tmp_path: Path
) -> None:
    # Row 1: four connected calls; columns 8 and 9 marked (the document marks only 8).
    path = _variant(tmp_path, "\t6\t4\t\t+\t\t", "\t6\t4\t\t+\t+\t")
    report = import_protocol6(path, engine=engine)
    messages = [p.message for p in report.problems]
    assert (
        "row 1: etiquette marked in columns 8, 9 over 4 connected calls; read as the "
        "organisation's marks, not tied to calls"
    ) in messages
    rows = _table1(engine, report.campaign, tmp_path)
    assert rows[1]["etiquette_marks"] == {"7": 0, "8": 1, "9": 1}
    assert rows[1]["sources"]["etiquette"].endswith("организация")
    assert not [
        p for p in rows[0]["pending"]
        if p["columns"] == "7-9" and p["organisation_id"] == rows[1]["organisation_id"]
    ]  # fmt: skip


def test_an_etiquette_cell_other_than_a_plus_is_reported_and_not_read(
    engine: Engine, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "\t6\t4\t\t+\t\t", "\t6\t4\t\tда\t\t")
    report = import_protocol6(path, engine=engine)
    messages = [p.message for p in report.problems]
    assert "row 1: etiquette: columns [8] hold something other than '+'; not read" in messages
    rows = _table1(engine, report.campaign, tmp_path)
    assert rows[1]["etiquette_marks"] == {"7": 0, "8": 0, "9": 0}
    assert rows[1]["calls"][0]["etiquette"] == [None]


# --- Protocol No. 5, table 1 --------------------------------------------------------------------

_P5_ROW_5 = 'Рябинушка" Центрального административного округа"' + "\tда" * 10 + "\n"
_P5_ROW_27 = 'Павлоградского района"\tда\tнет\tда'


def _protocol5(engine: Engine, report_campaign: str, tmp_path: Path) -> dict[int, dict]:
    out = export_campaign(engine=engine, campaign=report_campaign, fmt="json", out=tmp_path / "j")
    data = json.loads(out.read_text(encoding="utf-8"))
    return {r["protocol_row"]: r for r in data["protocol5_table1"]}


def test_a_protocol_5_cell_that_is_not_yes_or_no_leaves_that_channel_pending(
    engine: Engine, tmp_path: Path
) -> None:
    # Columns 3-12: column 7 (web form present) «есть»; FAQ (9-10) present «нет», working «да».
    cells = ["да", "да", "да", "да", "есть", "да", "нет", "да", "да", "да"]
    row_5 = _P5_ROW_5.replace("\tда" * 10, "".join(f"\t{c}" for c in cells))
    path = _variant(tmp_path, _P5_ROW_5, row_5)
    report = import_protocol6(path, engine=engine)
    messages = [p.message for p in report.problems if p.protocol == 5]
    assert messages == [
        "Protocol No. 5, row 5, column 7: 'есть' is neither 'да' nor 'нет'; not read",
        "Protocol No. 5, row 5: web form not imported, left pending",
        "Protocol No. 5, row 5: FAQ section (columns 9-10) reads present 'нет', working 'да'; "
        "not imported, left pending",
    ]
    rows = _protocol5(engine, report.campaign, tmp_path)
    assert rows[5]["web_form"] == rows[5]["faq"] == {"present": None, "working": None}
    assert rows[5]["survey"] == {"present": True, "working": True}
    assert rows[4]["web_form"] == {"present": True, "working": True}
    assert report.protocol5_rows == 38


def test_protocol_5_phone_column_against_the_calls_is_reported_and_the_calls_kept(
    engine: Engine, tmp_path: Path
) -> None:
    # Row 27: 4 calls, none connected; this variant's document says the phone works.
    path = _variant(tmp_path, _P5_ROW_27, _P5_ROW_27.replace("\tнет\t", "\tда\t"))
    report = import_protocol6(path, engine=engine)
    assert [p.message for p in report.problems if p.protocol == 5] == [
        "Protocol No. 5, row 27: phone working (column 4): the document says 'да', "
        "the imported calls give 'нет'; the imported calls are kept"
    ]
    assert _protocol5(engine, report.campaign, tmp_path)[27]["phone"] == {
        "present": True,
        "working": False,
    }


def test_a_protocol_5_line_with_a_missing_cell_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = _variant(tmp_path, _P5_ROW_5, _P5_ROW_5.replace("\tда\n", "\n"))
    with pytest.raises(Protocol6FormatError) as error:
        import_protocol6(path, engine=engine)
    assert str(error.value) == "line 24: Protocol No. 5 table 1 has 12 columns, this line has 11"
    assert _no_campaign(engine)


def test_a_protocol_5_row_without_its_number_and_name_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    row_5 = '5\tБУ "КЦСОН "Рябинушка" Центрального административного округа"\t'
    path = _variant(tmp_path, row_5, "\t\t")
    with pytest.raises(Protocol6FormatError) as error:
        import_protocol6(path, engine=engine)
    assert str(error.value) == (
        "line 24: Protocol No. 5 table 1: neither a numbered row nor the rest of the name of "
        "the row before"
    )
    assert _no_campaign(engine)


def test_a_file_without_protocol_5_imports_protocol_6_and_says_so(
    engine: Engine, tmp_path: Path
) -> None:
    text = SEED.read_text(encoding="utf-8")
    path = tmp_path / "protocol6-only.txt"
    path.write_text(text[text.index("Протокол регистрации") :], encoding="utf-8")
    report = import_protocol6(path, engine=engine)
    assert [(p.protocol, p.message) for p in report.problems if p.protocol == 5] == [
        (
            5,
            "the file has no Protocol No. 5 before Protocol No. 6; web form, FAQ and survey "
            "are left pending",
        )
    ]
    assert report.calls == 86 and report.protocol5_rows == 0
    assert _protocol5(engine, report.campaign, tmp_path)[1]["faq"] == {
        "present": None,
        "working": None,
    }

"""The three export formats carry the same results; bad requests fail exactly and write nothing."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Engine

from probe.export import ExportError, export_campaign, neutralise
from probe.scoring.names import Outcome
from probe.scoring.rules import RULES, RULES_VERSION
from tests.scoring_helpers import world


@pytest.fixture
def campaign(engine: Engine) -> str:
    session, w = world(engine)
    _org, (phone, first, second) = w.organisation(row=1)
    w.check(phone, Outcome.BUSY)
    answered = w.check(phone, Outcome.CONNECTED, minutes=3, details={"transfers": 2})
    w.review("etiquette", "full", check=answered)
    w.check(first, Outcome.BOUNCED, finished_after=timedelta(minutes=1))
    w.check(second, Outcome.REPLIED, finished_after=timedelta(days=1))
    w.organisation(row=2)  # neither checked nor reviewed: not part of the campaign
    session.commit()
    session.close()
    return w.campaign.name


def _first_row(sheet: Worksheet) -> int:
    """The first organisation's row: the one after the row of column numbers 1, 2, 3..."""
    for row in sheet.iter_rows():
        if [c.value for c in row[:3]] == [1, 2, 3]:
            return row[0].row + 1
    raise AssertionError(f"{sheet.title}: no row of column numbers")


def _merged(sheet: Worksheet) -> set[str]:
    return {str(r) for r in sheet.merged_cells.ranges}


def test_the_xlsx_has_the_protocol_layout_notes_and_audit(
    engine: Engine, campaign: str, tmp_path: Path
) -> None:
    path = export_campaign(engine=engine, campaign=campaign, fmt="xlsx", out=tmp_path / "p.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == [
        "Протокол 6 табл. 1",
        "Протокол 6 табл. 2",
        "Протокол 5 табл. 1",
        "Ожидают оценки",
        "Примечания",
        "Аудит проверок",
    ]
    table1 = book["Протокол 6 табл. 1"]
    assert [table1.cell(r, 1).value for r in range(1, 6)] == [
        'Протокол регистрации итогов эксперимента "Взаимодействие организации с гражданами"',
        "Протокол № 6",
        "Таблица 1",
        "Оценка доступности консультационных услуг с использованием телефонной связи",
        "Кампания «Весна» (автоматическая проверка); правила подсчёта, версия "
        f"{RULES_VERSION} (лист «Примечания»)",
    ]
    assert "G6:I6" in _merged(table1)
    assert table1["G6"].value == "Этикет ведения телефонных переговоров"
    at = _first_row(table1)
    assert [c.value for c in table1[at - 1]] == list(range(1, 17))
    first = [c.value for c in table1[at]]
    assert first[4:7] == [2, 1, "+"]  # two calls, one connected, full etiquette
    assert first[11] == "+"  # measured: transferred several times
    # Nobody graded the consultation: the four grade columns say so, merged into one.
    assert first[12:16] == ["ожидает оценки", None, None, None]
    assert f"M{at}:P{at}" in _merged(table1)
    assert first[3].splitlines() == [
        "1. 03.03.2025, 10.00, 8 (3812) 20-00-01 – занято",
        "2. 03.03.2025, 10.03, 8 (3812) 20-00-01",
    ]
    protocol5 = book["Протокол 5 табл. 1"]
    at5 = next(r[0].row for r in protocol5.iter_rows() if r[0].value == 1)
    # Web form, FAQ and survey nobody has looked at: each pair of columns awaits, merged.
    assert [c.value for c in protocol5[at5]][6:13] == ["ожидает оценки", None] * 3 + [
        "ожидает оценки"
    ]
    assert {f"G{at5}:H{at5}", f"I{at5}:J{at5}", f"K{at5}:L{at5}"} <= _merged(protocol5)
    table2 = book["Протокол 6 табл. 2"]
    letters = [[c.value for c in row] for row in table2.iter_rows(min_row=8, max_row=9)]
    assert letters[0][2:6] == ["box0.1@example.org", "3.03.2025", "нет ответа", "ожидает оценки"]
    assert letters[1][2:6] == ["box1.1@example.org", "3.03.2025", "4.03.2025", None]
    notes = "\n".join(
        str(c.value) for row in book["Примечания"].iter_rows() for c in row if c.value
    )
    assert all(rule.ru in notes for rule in RULES)
    assert "П = min(100; 30 × N)" in notes
    audit = list(book["Аудит проверок"].iter_rows(min_row=2, values_only=True))
    assert len(audit) == 4
    assert sorted(row[2] for row in audit) == ["телефон"] * 2 + ["электронная почта"] * 2
    assert {row[5] for row in audit} == {"завершена"}
    outcomes = {row[6]: row for row in audit}
    assert sorted(outcomes) == ["занято", "ответили", "письмо не доставлено", "соединение"]
    assert outcomes["соединение"][13] == (
        "Этикет: назвал(а) организацию, ФИО и должность (графа 7) (operator)"
    )


def test_the_table_2_footnote_names_the_address_the_letters_were_sent_from(
    engine: Engine, tmp_path: Path
) -> None:
    session, w = world(engine)
    _org, (_phone, mail, _) = w.organisation(row=1)
    w.check(mail, Outcome.NO_REPLY, details={"sender": "prober@minsoc.example"})
    session.commit()
    session.close()
    path = export_campaign(engine=engine, campaign="spring", fmt="xlsx", out=tmp_path / "p.xlsx")
    last = list(load_workbook(path)["Протокол 6 табл. 2"].iter_rows(values_only=True))[-1]
    assert last[0] == (
        "*Отправка писем на электронные адреса организаций социального обслуживания "
        "осуществлялась с электронного адреса prober@minsoc.example"
    )


def test_json_and_csv_carry_the_same_numbers(engine: Engine, campaign: str, tmp_path: Path) -> None:
    data = json.loads(
        export_campaign(engine=engine, campaign=campaign, fmt="json", out=tmp_path / "p.json")
        .read_text(encoding="utf-8")
    )  # fmt: skip
    phone = data["protocol6_table1"][0]
    assert {"number", "name", "numbers_called", "calls", "total_calls", "connected_calls"} <= set(
        phone
    )
    mail = data["protocol6_table2"][0]
    assert {"number", "name", "addresses", "sent", "replied", "grade"} <= set(mail)
    assert mail["replied"] == "2025-03-04"
    path = export_campaign(engine=engine, campaign=campaign, fmt="csv", out=tmp_path / "p.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(data["protocol6_table1"]) == 1
    row = rows[0]
    assert row["Протокол 6, табл. 1, гр. 5: общее количество звонков"] == str(phone["total_calls"])
    assert row["Протокол 6, табл. 1, гр. 6: звонки, завершившиеся соединением с ОСО"] == str(
        phone["connected_calls"]
    )
    assert row["Протокол 6, табл. 2, гр. 5: дата получения ответов на запрос"] == (
        "нет ответа\n4.03.2025"
    )


def test_csv_headers_and_values_are_in_russian_and_pending_columns_say_so(
    engine: Engine, campaign: str, tmp_path: Path
) -> None:
    path = export_campaign(engine=engine, campaign=campaign, fmt="csv", out=tmp_path / "p.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = dict(zip(header, row, strict=True))
    latin = re.compile(r"[A-Za-z]{2,}")
    assert [h for h in header if latin.search(h)] == []
    assert cells["Протокол 6, табл. 1, гр. 10-12: актуальность телефонов (перевод вызова)"] == (
        "многократные переводы вызовов (гр. 12)"
    )
    assert cells["Протокол 6, табл. 1, гр. 13-16: качество консультации"] == "ожидает оценки"
    assert cells["Протокол 6, табл. 2, гр. 6-9: оценка результатов эксперимента"] == (
        "ожидает оценки"
    )
    assert cells["Протокол 5, гр. 3: телефон, наличие"] == "да"
    assert cells["Протокол 5, гр. 6: электронная почта, функционирование"] == "да"
    assert cells["Протокол 5, гр. 7: электронные сервисы, наличие"] == "ожидает оценки"
    assert cells["Показатель 1.2 (приказ № 344н), баллы"] == "ожидает оценки"
    # Nothing else in Latin letters but the e-mail addresses as published.
    addresses = re.compile(r"[\w.+-]+@[\w.-]+")
    assert [v for v in row if latin.search(addresses.sub("", v))] == []


def test_the_json_summary_of_table_2_takes_both_dates_from_one_letter(
    engine: Engine, tmp_path: Path
) -> None:
    session, w = world(engine)
    _org, (_phone, first, second) = w.organisation(row=12)
    w.check(first, Outcome.NO_REPLY, finished_after=timedelta(days=3))
    w.check(second, Outcome.REPLIED, minutes=60 * 24 * 30, finished_after=timedelta(days=2))
    session.commit()
    session.close()
    path = export_campaign(engine=engine, campaign="spring", fmt="json", out=tmp_path / "p.json")
    mail = json.loads(path.read_text(encoding="utf-8"))["protocol6_table2"][0]
    # The second letter's own dates: not the first letter's send date beside its reply.
    assert (mail["sent"], mail["replied"]) == ("2025-04-02", "2025-04-04")
    assert mail["summary_check_id"] == mail["letters"][1]["check_id"]


def test_an_unknown_format_is_refused(engine: Engine, campaign: str, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as error:
        export_campaign(engine=engine, campaign=campaign, fmt="pdf", out=tmp_path / "p.pdf")
    assert str(error.value) == "unknown format 'pdf'; one of: xlsx, csv, json"
    assert not (tmp_path / "p.pdf").exists()


def test_an_unknown_campaign_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as error:
        export_campaign(engine=engine, campaign="autumn", fmt="json", out=tmp_path / "p.json")
    assert str(error.value) == "no campaign named 'autumn' (see `probe campaign list`)"
    assert not (tmp_path / "p.json").exists()


def test_a_missing_directory_or_a_directory_as_target_is_refused(
    engine: Engine, campaign: str, tmp_path: Path
) -> None:
    with pytest.raises(ExportError) as error:
        export_campaign(engine=engine, campaign=campaign, fmt="csv", out=tmp_path / "no" / "p.csv")
    assert str(error.value) == f"{tmp_path / 'no'}: no such directory"
    with pytest.raises(ExportError) as error:
        export_campaign(engine=engine, campaign=campaign, fmt="csv", out=tmp_path)
    assert str(error.value) == f"{tmp_path} is a directory; give a file name"


def test_a_failed_write_leaves_the_previous_file_untouched(
    engine: Engine, campaign: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "p.json"
    target.write_text("previous", encoding="utf-8")

    def broken(score: object, out: Path) -> Path:
        out.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(__import__("probe.export", fromlist=["_WRITERS"])._WRITERS, "json", broken)
    with pytest.raises(OSError, match="disk full"):
        export_campaign(engine=engine, campaign=campaign, fmt="json", out=target)
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".p.json")) == []


def test_the_cli_refuses_an_unknown_format_with_the_exact_error(cli, campaign: str) -> None:
    from probe.cli.main import app

    result = cli.invoke(app, ["export", campaign, "--format", "ods"])
    assert result.exit_code == 1
    assert "unknown format 'ods'; one of: xlsx, csv, json" in result.output


HOSTILE_NAME = '=HYPERLINK("http://evil.example/";"Нажмите")'
HOSTILE_PHONE = "+1+cmd|' /C calc'!A0"
HOSTILE_MAIL = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def hostile(engine: Engine) -> str:
    """An organisation whose name and contacts, as published, read as formulas."""
    session, w = world(engine)
    org, (phone, mail, _) = w.organisation(row=1)
    org.name = HOSTILE_NAME
    phone.raw = HOSTILE_PHONE
    mail.raw = mail.value = HOSTILE_MAIL
    session.add_all([org, phone, mail])
    session.flush()
    answered = w.check(phone, Outcome.CONNECTED, details={"note": "-1+1"})
    w.review("note", "=1+1", check=answered)
    w.check(mail, Outcome.NO_REPLY, finished_after=timedelta(days=3))
    session.commit()
    session.close()
    return w.campaign.name


@pytest.mark.parametrize("own_rows", [True, False], ids=["row-xml", "openpyxl-cells"])
def test_no_xlsx_cell_is_a_formula_however_the_text_begins(
    engine: Engine, hostile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_rows: bool
) -> None:
    if not own_rows:  # the path taken when openpyxl writes through lxml
        monkeypatch.setattr("probe.export.rowxml.supported", lambda: False)
    path = export_campaign(engine=engine, campaign=hostile, fmt="xlsx", out=tmp_path / "h.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 6
        for name in sheets:
            assert "<f>" not in archive.read(name).decode("utf-8"), name
    book = load_workbook(path)
    seen = {"name": 0, "phone": 0, "mail": 0}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    seen["name"] += HOSTILE_NAME in cell.value
                    seen["phone"] += cell.value.startswith(HOSTILE_PHONE)
                    seen["mail"] += cell.value.startswith(HOSTILE_MAIL)
    # The name on the two protocol 6 tables, protocol 5 and the pending sheet; the contacts as
    # published on table 1 (numbers called), table 2 and the audit sheet.
    assert seen["name"] >= 4 and seen["phone"] >= 2 and seen["mail"] >= 2, seen


def test_csv_text_cells_that_read_as_formulas_are_quoted_and_neutralised(
    engine: Engine, hostile: str, tmp_path: Path
) -> None:
    path = export_campaign(engine=engine, campaign=hostile, fmt="csv", out=tmp_path / "h.csv")
    text = path.read_text(encoding="utf-8-sig")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = dict(zip(header, row, strict=True))
    assert HOSTILE_NAME.replace('"', '""') in text
    assert "'" + HOSTILE_NAME in row
    assert "'" + HOSTILE_PHONE in row
    assert "'" + HOSTILE_MAIL in row
    for value in row:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # Every text cell is in quotes, numbers are not.
    line = text.splitlines()[1]
    assert line.startswith('1,1,1,"\'=HYPERLINK(""http://')
    assert list(cells.values())[:3] == ["1", "1", "1"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+7 (3812) 20-00-01", "'+7 (3812) 20-00-01"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("КЦСОН =1", "КЦСОН =1"),
        (-2, -2),
        (100, 100),
        ("", ""),
    ],
)
def test_neutralise_follows_the_owasp_recipe(value: object, written: object) -> None:
    assert neutralise(value) == written


def test_every_person_judged_in_a_transferred_call_is_in_every_format(
    engine: Engine, tmp_path: Path
) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation(row=1)
    first = w.check(phone, Outcome.CONNECTED, details={"transfers": 1})
    second = w.check(phone, Outcome.CONNECTED, minutes=5)
    w.review("etiquette", "organisation_only,none", check=first)
    w.review("etiquette", "organisation_only", check=second)
    session.commit()
    session.close()
    name = w.campaign.name
    data = json.loads(
        export_campaign(engine=engine, campaign=name, fmt="json", out=tmp_path / "p.json")
        .read_text(encoding="utf-8")
    )  # fmt: skip
    row = data["protocol6_table1"][0]
    assert [c["etiquette"] for c in row["calls"]] == [["organisation_only", "none"],
                                                      ["organisation_only"]]  # fmt: skip
    assert row["etiquette_marks"] == {"7": 0, "8": 2, "9": 1}
    assert row["etiquette"] == ["organisation_only", "none", "organisation_only"]
    path = export_campaign(engine=engine, campaign=name, fmt="csv", out=tmp_path / "p.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        flat = next(csv.DictReader(handle))
    assert [
        flat["Протокол 6, табл. 1, гр. 7: назвал ФИО, должность и ОСО (число лиц)"],
        flat["Протокол 6, табл. 1, гр. 8: назвал только ОСО (число лиц)"],
        flat["Протокол 6, табл. 1, гр. 9: не представился и не назвал ОСО (число лиц)"],
    ] == ["0", "2", "1"]
    book = load_workbook(
        export_campaign(engine=engine, campaign=name, fmt="xlsx", out=tmp_path / "p.xlsx")
    )
    sheet = book["Протокол 6 табл. 1"]
    cells = [c.value for c in sheet[_first_row(sheet)]]
    assert cells[6:9] == [None, "+", "+"]  # as the document writes it: a "+" per column


def test_a_control_character_xlsx_cannot_hold_is_refused_exactly_and_csv_keeps_it(
    engine: Engine, tmp_path: Path
) -> None:
    session, w = world(engine)
    org, (phone, *_) = w.organisation(row=1)
    org.name = "КЦСОН\x07 Надежда"
    session.add(org)
    session.flush()
    w.check(phone, Outcome.BUSY)
    session.commit()
    session.close()
    with pytest.raises(ExportError) as error:
        export_campaign(engine=engine, campaign="spring", fmt="xlsx", out=tmp_path / "p.xlsx")
    assert str(error.value) == (
        "XLSX cannot hold the control character U+0007 in 'КЦСОН\\x07 Надежда' "
        "(sheet «Протокол 6 табл. 1», row 9); correct the source (the directory) or export "
        "as csv or json"
    )
    assert [p.name for p in tmp_path.iterdir() if "xlsx" in p.name] == []  # nothing half-written
    path = export_campaign(engine=engine, campaign="spring", fmt="csv", out=tmp_path / "p.csv")
    assert "КЦСОН\x07 Надежда" in path.read_text(encoding="utf-8-sig")


def test_a_late_reply_is_marked_with_the_campaigns_norm_in_every_format(
    engine: Engine, tmp_path: Path
) -> None:
    session, w = world(engine)
    w.campaign.spec = {"email": {"deadline_working_days": 4}}
    _org, (_phone, first, second) = w.organisation(row=1)
    timing = {"replied_at": "2025-03-13T05:00:00+00:00", "working_days": 8}
    w.check(first, Outcome.REPLIED, details={**timing, "late": True})
    w.check(
        second,
        Outcome.REPLIED,
        details={"working_days": 0, "late": False},
        finished_after=timedelta(hours=1),
    )
    session.commit()
    session.close()
    out = tmp_path / "p"
    data = json.loads(
        export_campaign(engine=engine, campaign="spring", fmt="json", out=out.with_suffix(".json"))
        .read_text(encoding="utf-8")
    )  # fmt: skip
    assert data["campaign"]["deadline_working_days"] == 4
    letters = data["protocol6_table2"][0]["letters"]
    assert [(x["late"], x["working_days"]) for x in letters] == [(True, 8), (False, 0)]
    assert [x["reply_text"] for x in letters] == [
        "13.03.2025 (позже нормы в 4 раб. дн.)",
        "3.03.2025",
    ]
    path = export_campaign(engine=engine, campaign="spring", fmt="csv", out=out.with_suffix(".csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["Протокол 6, табл. 2, гр. 5: дата получения ответов на запрос"] == (
        "13.03.2025 (позже нормы в 4 раб. дн.)\n3.03.2025"
    )
    path = export_campaign(
        engine=engine, campaign="spring", fmt="xlsx", out=out.with_suffix(".xlsx")
    )
    book = load_workbook(path)
    table2 = [
        [c.value for c in row] for row in book["Протокол 6 табл. 2"].iter_rows(min_row=8, max_row=9)
    ]
    assert [line[4] for line in table2] == ["13.03.2025 (позже нормы в 4 раб. дн.)", "3.03.2025"]
    notes = {row[0]: row[1] for row in book["Примечания"].iter_rows(values_only=True)}
    assert notes["Табл. 2, графа 5"].startswith(
        "Отметка «(позже нормы в 4 раб. дн.)» при дате получения ответа (таблица 2 протокола № 6, "
        "графа 5): ответ получен позже нормы кампании — 4 раб. дн. после дня отправки письма"
    )

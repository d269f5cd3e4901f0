"""Seed 000's manual Protocol No. 6, imported and exported again, row by row against the text.

The expected values are read here straight from the document's cells (columns 5 and 6, the
dates of table 2, Protocol 5's yes/no columns) with a reader that shares nothing with the
importer: the importer computes its numbers from the hand-written call log of column 4.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from probe.cli.main import app
from probe.export import export_campaign
from probe.history.context import HistoryImportError
from probe.history.importer import import_protocol6
from storage.checks import add_review, list_campaigns, list_reviews
from storage.engine import session_scope

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "000_4f0d44af83f0814c.txt"
DATE = r"\d{1,2}\.\d{2}\.\d{4}"


def _cells(part: str) -> list[list[str]]:
    return [line.split("\t") for line in part.splitlines() if "\t" in line]


def _document_table1() -> dict[int, tuple[int, int]]:
    text = SEED.read_text(encoding="utf-8")
    part = text[text.index("Протокол № 6") : text.index("Таблица 2")]
    return {
        int(c[0]): (int(c[4]), int(c[5]))
        for c in _cells(part)
        if c[0].strip().isdigit() and c[1].strip() != "2"
    }


def _document_table2() -> dict[int, dict[str, list[str]]]:
    text = SEED.read_text(encoding="utf-8")
    rows: dict[int, dict[str, list[str]]] = {}
    current = None
    for c in _cells(text[text.index("Таблица 2") :]):
        if c[0].strip().isdigit():
            current = rows.setdefault(int(c[0]), {"addresses": [], "sent": [], "replied": []})
        elif c[0].strip() or not c[2].strip() or current is None:
            continue
        current["addresses"] += [a.strip(",") for a in c[2].split()]
        current["sent"] += re.findall(DATE, c[3])
        current["replied"] += re.findall(rf"нет ответа|{DATE}", c[4])
    return rows


def _document_protocol5() -> dict[int, tuple[str, str]]:
    text = SEED.read_text(encoding="utf-8")
    part = text[: text.index("Протокол № 6")]
    return {int(c[0]): (c[3], c[5]) for c in _cells(part) if c[0].strip().isdigit()}


def _ru(iso: str | None) -> str:
    if iso is None:
        return "нет ответа"
    year, month, day = iso.split("-")
    return f"{int(day)}.{month}.{year}"


def _same_day(written: str, ours: str) -> bool:
    return written == "нет ответа" == ours or (
        written != "нет ответа"
        and [int(x) for x in written.split(".")] == [int(x) for x in ours.split(".")]
    )


@pytest.fixture
def exported(engine: Engine, tmp_path: Path) -> tuple[dict, object]:
    report = import_protocol6(SEED, engine=engine)
    out = export_campaign(
        engine=engine, campaign=report.campaign, fmt="json", out=tmp_path / "p.json"
    )
    return json.loads(out.read_text(encoding="utf-8")), report


def test_all_38_rows_of_table_1_have_the_documents_columns_5_and_6(exported) -> None:
    data, _ = exported
    document = _document_table1()
    assert len(document) == 38
    ours = {r["protocol_row"]: r for r in data["protocol6_table1"]}
    assert sorted(ours) == sorted(document)
    for number, (total, connected) in document.items():
        row = ours[number]
        assert (row["number"], row["total_calls"], row["connected_calls"]) == (
            number,
            total,
            connected,
        ), f"row {number}"
        assert len(row["calls"]) == total


def test_table_2_send_and_reply_dates_equal_the_documents_row_by_row(exported) -> None:
    data, _ = exported
    document = _document_table2()
    assert len(document) == 38
    for row in data["protocol6_table2"]:
        expected = document[row["protocol_row"]]
        letters = row["letters"]
        addresses = [a for letter in letters for a in letter["addresses"]]
        sent = [_ru(letter["sent"]) for letter in letters]
        replied = [_ru(letter["replied"]) for letter in letters]
        where = f"row {row['protocol_row']}"
        assert addresses == expected["addresses"], where
        assert len(sent) == len(expected["sent"]), where
        assert all(_same_day(w, o) for w, o in zip(expected["sent"], sent, strict=True)), where
        assert all(_same_day(w, o) for w, o in zip(expected["replied"], replied, strict=True)), (
            where
        )


def test_protocol_5_phone_and_email_columns_follow_from_the_imported_checks(exported) -> None:
    data, _ = exported
    document = _document_protocol5()
    for row in data["protocol5_table1"]:
        phone_working, email_working = document[row["protocol_row"]]
        assert row["phone"]["working"] is (phone_working == "да"), row["protocol_row"]
        assert row["email"]["working"] is (email_working == "да"), row["protocol_row"]
    assert data["protocol5_table1"][26]["phone"] == {"present": True, "working": False}


def _document_protocol5_web_channels() -> dict[int, list[str]]:
    """Columns 7-12 (web form, FAQ, survey: present, working) of each numbered row."""
    text = SEED.read_text(encoding="utf-8")
    part = text[: text.index("Протокол № 6")]
    return {int(c[0]): c[6:12] for c in _cells(part) if c[0].strip().isdigit()}


def test_protocol_5_web_form_faq_and_survey_are_imported_and_indicator_1_2_computed(
    exported,
) -> None:
    # By hand: columns 7-12 of Protocol No. 5 table 1 read «да» in all 38 rows (rows 1-38,
    # lines 16-67 of the file); with phone and e-mail the centres have 4 or 5 working
    # channels, so indicator 1.2 is min(100, 30 × N) = 100 for every row, row 27 included
    # (phone not working: 4 × 30 = 120, capped).
    data, report = exported
    document = _document_protocol5_web_channels()
    assert len(document) == 38 and all(cells == ["да"] * 6 for cells in document.values())
    rows = data["protocol5_table1"]
    assert sorted(r["protocol_row"] for r in rows) == list(range(1, 39))
    for row in rows:
        for channel in ("web_form", "faq", "survey"):
            assert row[channel] == {"present": True, "working": True}, (
                row["protocol_row"],
                channel,
            )
        assert row["indicator_1_2"] == 100, row["protocol_row"]
    assert rows[26]["phone"] == {"present": True, "working": False}
    assert not [p for p in data["pending"] if p["table"] == "Протокол 5, таблица 1"]
    assert report.protocol5_rows == 38
    # The seed's phone and e-mail columns 3-6 agree with the imported checks: nothing to report.
    assert not [p for p in report.problems if p.protocol == 5]


def test_the_pending_sheet_of_the_import_lists_no_protocol_5_item(
    engine: Engine, exported, tmp_path: Path
) -> None:
    # Was: all 38 centres listed for columns 7-8, 9-10 and 11-12 (rule R13), 118 items.
    data, report = exported
    out = export_campaign(
        engine=engine, campaign=report.campaign, fmt="xlsx", out=tmp_path / "p.xlsx"
    )
    sheet = load_workbook(out, read_only=True)["Ожидают оценки"]
    lines = [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert not [line for line in lines if "R13" in str(line[3])]
    assert {line[0] for line in lines} == {p["number"] for p in data["pending"]}
    assert not [p for p in data["pending"] if p["rule"] == "R13"]


def test_the_web_channels_are_organisation_reviews_by_the_importer(
    engine: Engine, exported
) -> None:
    _, report = exported
    with session_scope(engine) as session:
        reviews = list_reviews(session=session, campaign_id=report.campaign_id)
    web = [r for r in reviews if r.field in ("web_form", "faq", "survey")]
    assert len(web) == 3 * 38
    assert {(r.author, r.value, r.check_id) for r in web} == {
        ("history:protocol6", "working", None)
    }
    assert {r.reason for r in web if r.field == "faq"} >= {"Protocol No. 5, row 27, columns 9-10"}


def test_the_call_log_keeps_the_operators_notes_in_column_4(exported) -> None:
    data, _ = exported
    rows = {r["protocol_row"]: r for r in data["protocol6_table1"]}
    assert rows[1]["call_log"].splitlines()[1] == "2. 13.05.2020, 14.20, 8 (3812) 46-61-21 – занят"
    assert "попросили перезвонить" in rows[4]["call_log"].splitlines()[1]
    first_of_27 = rows[27]["calls"][0]
    assert [d["outcome"] for d in first_of_27["dials"]] == [
        "answering_machine",
        "answering_machine",
        "busy",
    ]
    assert rows[15]["call_log"].startswith("1. 14.05.2020, 11.45, ")


def test_column_4_shows_each_note_as_the_document_writes_it_and_scores_its_outcome(
    exported,
) -> None:
    # By hand, table 1 column 4: row 1 call 2 «занят» (busy); row 4 call 2 and row 36 call 2
    # «попросили перезвонить ...» (connected: columns 6 of rows 4 and 36 count them); row 5
    # call 1 «занято»; row 27 call 1 «не отвечает, автоответчик» on two numbers, then «занято».
    data, _ = exported
    rows = {r["protocol_row"]: r for r in data["protocol6_table1"]}

    def dial(row: int, call: int, index: int = 0) -> tuple[str, str | None]:
        found = rows[row]["calls"][call - 1]["dials"][index]
        return found["outcome"], found["note"]

    assert dial(1, 2) == ("busy", "занят")
    assert dial(4, 2) == (
        "connected",
        "попросили перезвонить на след. день, когда будет заведующая",
    )
    assert dial(36, 2) == (
        "connected",
        "попросили перезвонить через некоторое время, уточнят информацию",
    )
    assert dial(5, 1) == ("busy", "занято")
    assert [dial(27, 1, i) for i in range(3)] == [
        ("answering_machine", "не отвечает, автоответчик"),
        ("answering_machine", "не отвечает, автоответчик"),
        ("busy", "занято"),
    ]
    assert dial(4, 1) == ("connected", None)
    assert rows[4]["call_log"].splitlines()[1] == (
        "2. 13.05.2020, 15.27, 46-38-37 – попросили перезвонить на след. день, когда будет "
        "заведующая"
    )
    assert rows[27]["call_log"].splitlines()[0] == (
        "1. 14.05.2020, 16.12, 8 (381 72) 2-30-89 – не отвечает, автоответчик; 16.12, "
        "8 (381 72) 3-16-02 – не отвечает, автоответчик; 16.17, 8(381 72) 3-14-08 – занято"
    )
    assert (rows[27]["total_calls"], rows[27]["connected_calls"]) == (4, 0)


def test_a_verdict_that_changes_an_imported_outcome_drops_the_written_note(
    engine: Engine, exported, tmp_path: Path
) -> None:
    data, report = exported
    rows = {r["protocol_row"]: r for r in data["protocol6_table1"]}
    busy = rows[1]["calls"][1]["dials"][0]
    with session_scope(engine) as session:
        add_review(
            session=session,
            author="anna",
            field="verdict",
            value="no_answer",
            check_id=busy["check_id"],
        )
    out = export_campaign(
        engine=engine, campaign=report.campaign, fmt="json", out=tmp_path / "again.json"
    )
    again = {r["protocol_row"]: r for r in json.loads(out.read_text())["protocol6_table1"]}
    assert again[1]["calls"][1]["dials"][0] == {
        **busy,
        "outcome": "no_answer",
        "note": "не отвечает",
    }


def test_ambiguities_are_reported_and_left_unjudged_not_guessed(exported) -> None:
    data, report = exported
    messages = [p.message for p in report.problems]
    assert "row 15, call 1: year '20220' read as 2020 (the year of the other calls)" in messages
    assert (
        "row 2: etiquette marked in columns 7, 9 over 2 connected calls; read as one person per "
        "call in the order of the columns (the document does not say which call had which)"
    ) in messages
    assert (
        "table 2, row 34: 2 addresses share one send date and one reply date; "
        "read as one letter to all of them"
    ) in messages
    rows = {r["protocol_row"]: r for r in data["protocol6_table1"]}
    assert rows[27]["etiquette"] == [] and rows[27]["grade"] == "unsatisfactory"


def _document_etiquette_columns() -> dict[int, list[str]]:
    """The columns among 7, 8, 9 that hold a "+" in each row of the document."""
    text = SEED.read_text(encoding="utf-8")
    part = text[text.index("Протокол № 6") : text.index("Таблица 2")]
    return {
        int(c[0]): [str(7 + i) for i, mark in enumerate(c[6:9]) if mark.strip() == "+"]
        for c in _cells(part)
        if c[0].strip().isdigit() and c[1].strip() != "2"
    }


def test_etiquette_is_judged_per_person_answered_as_the_document_marks_it(exported) -> None:
    data, _ = exported
    rows = {r["protocol_row"]: r for r in data["protocol6_table1"]}
    # Checked by hand against the document: rows 11 and 12 had one call, transferred once (the
    # one who picked up named only the centre, the specialist did not introduce themselves);
    # rows 2 and 10 had two connected calls and two marks.
    calls = {n: [c["etiquette"] for c in rows[n]["calls"]] for n in (2, 10, 11, 12, 1, 27)}
    assert calls[11] == calls[12] == [["organisation_only", "none"]]
    assert calls[2] == [["full"], ["none"]]
    assert calls[10] == [["organisation_only"], ["none"]]
    # Row 1: six calls, four connected, column 8 marked; a call without connection has nobody.
    org_only = ["organisation_only"]
    assert calls[1] == [org_only, [], org_only, [], org_only, org_only]
    assert calls[27] == [[], [], [], []]
    assert rows[2]["etiquette_marks"] == {"7": 1, "8": 0, "9": 1}
    assert rows[10]["etiquette_marks"] == rows[11]["etiquette_marks"] == {"7": 0, "8": 1, "9": 1}
    assert rows[12]["etiquette_marks"] == {"7": 0, "8": 1, "9": 1}
    assert rows[4]["etiquette_marks"] == {"7": 0, "8": 4, "9": 0}  # four calls, all connected
    # Every row: the columns marked are the document's, and nothing waits for etiquette.
    document = _document_etiquette_columns()
    for number, row in rows.items():
        marked = [column for column, count in row["etiquette_marks"].items() if count]
        assert marked == document[number], f"row {number}"
        for call in row["calls"]:
            assert (len(call["etiquette"]) > 0) is call["connected"], f"row {number}"
            assert None not in call["etiquette"], f"row {number}"
    assert not [p for p in data["pending"] if p["columns"] == "7-9"]


def test_the_xlsx_marks_columns_7_to_9_as_the_document_does(
    engine: Engine, exported, tmp_path: Path
) -> None:
    _, report = exported
    out = export_campaign(
        engine=engine, campaign=report.campaign, fmt="xlsx", out=tmp_path / "p.xlsx"
    )
    sheet = load_workbook(out)["Протокол 6 табл. 1"]
    ours = {
        row[0]: [str(7 + i) for i, cell in enumerate(row[6:9]) if cell == "+"]
        for row in sheet.iter_rows(values_only=True)
        if isinstance(row[0], int) and isinstance(row[4], int)
    }
    assert ours == _document_etiquette_columns()
    assert ours[2] == ["7", "9"] and ours[11] == ["8", "9"]


def test_the_import_is_a_historical_campaign_listed_by_name(engine: Engine, exported) -> None:
    _, report = exported
    with session_scope(engine) as session:
        campaigns = list_campaigns(session=session)
    assert [(c.name, c.historical) for c in campaigns] == [("protocol6-2020-omsk", True)]
    assert report.calls == 86 and report.letters == 44


def test_importing_twice_under_one_name_is_refused_and_changes_nothing(
    engine: Engine, exported
) -> None:
    with pytest.raises(HistoryImportError) as error:
        import_protocol6(SEED, engine=engine)
    assert str(error.value) == (
        "campaign 'protocol6-2020-omsk' already exists; give the import another name with --name"
    )
    with session_scope(engine) as session:
        assert len(list_campaigns(session=session)) == 1


def test_the_cli_imports_and_exports_the_seed(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["history", "import-protocol6", str(SEED), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["campaign"] == "protocol6-2020-omsk"
    out = tmp_path / "t.csv"
    result = cli.invoke(
        app, ["export", "protocol6-2020-omsk", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").count("\n") > 38


def test_the_campaigns_dates_cover_every_letter_call_and_reply(exported) -> None:
    # By hand: the first letters went out on 6.05.2020 (table 2, rows 1-4), the calls were made
    # on 13-15.05.2020 (table 1), and the last reply came on 08.06.2020 (table 2, row 12, to the
    # second letter sent on 06.06.2020).
    data, _ = exported
    assert (data["campaign"]["starts_on"], data["campaign"]["ends_on"]) == (
        "2020-05-06",
        "2020-06-08",
    )


# --- the exported documents against the document's own words ------------------------------


@pytest.fixture
def workbook(engine: Engine, exported, tmp_path: Path) -> Workbook:
    _, report = exported
    path = export_campaign(
        engine=engine, campaign=report.campaign, fmt="xlsx", out=tmp_path / "p.xlsx"
    )
    return load_workbook(path)


def _document_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").splitlines()


def _document_header(starts: str) -> list[list[str]]:
    """The header lines of a table, from the first line that starts with `starts` up to the
    row of column numbers or the first organisation: each line's non-empty cells."""
    lines = _document_lines()
    first = next(i for i, line in enumerate(lines) if line.startswith(starts))
    header = []
    for line in lines[first:]:
        if line.split("\t")[0].strip() in {"1"}:
            break
        header.append([cell for cell in line.split("\t") if cell.strip()])
    return header


def _exported_header(sheet: Worksheet) -> list[list[str]]:
    rows = []
    for row in sheet.iter_rows(values_only=True):
        if row[0] == "№ п/п" or (rows and row[0] is None):
            rows.append([v for v in row if isinstance(v, str)])
        elif rows:
            break
    return rows


@pytest.mark.parametrize(
    ("sheet", "starts", "ours_only"),
    [
        ("Протокол 6 табл. 1", "№ п/п\tОрганизация социального обслуживания (далее – ОСО)", []),
        ("Протокол 6 табл. 2", "№ п/п\tОрганизация социального обслуживания\tАдрес", []),
        # Protocol 5's last column is ours: the indicator computed from the other twelve.
        (
            "Протокол 5 табл. 1",
            "№ п/п\tОрганизация социального обслуживания\tДистанционные",
            ["Показатель 1.2 (приказ № 344н), баллы"],
        ),
    ],
)
def test_every_header_cell_is_the_documents_text_word_for_word(
    workbook: Workbook, sheet: str, starts: str, ours_only: list[str]
) -> None:
    ours = _exported_header(workbook[sheet])
    ours[0] = [cell for cell in ours[0] if cell not in ours_only]
    assert ours == _document_header(starts)


def test_the_titles_are_the_documents_lines(workbook: Workbook) -> None:
    lines = set(_document_lines())
    expected = {
        "Протокол 6 табл. 1": [
            'Протокол регистрации итогов эксперимента "Взаимодействие организации с гражданами"',
            "Протокол № 6",
            "Таблица 1",
            "Оценка доступности консультационных услуг с использованием телефонной связи",
        ],
        "Протокол 6 табл. 2": [
            'Протокол регистрации итогов эксперимента "Взаимодействие организации с гражданами"',
            "Протокол № 6",
            "Таблица 2",
            "Оценка доступности консультационных услуг с использованием адресов электронной почты",
        ],
        "Протокол 5 табл. 1": [
            "Протокол № 5",
            "Критерий «Открытость и доступность информации об организации»",
            "Таблица 1",
            "Наличие на официальном сайте организации социального обслуживания информации о "
            "дистанционных способах обратной связи и взаимодействия с получателями услуг и их "
            "функционирование",
        ],
    }
    for name, titles in expected.items():
        sheet = workbook[name]
        assert [sheet.cell(row, 1).value for row in range(1, 5)] == titles, name
        assert set(titles) <= lines, name


def test_table_2_ends_with_the_documents_footnote(workbook: Workbook) -> None:
    footnote = _document_lines()[-1]
    assert footnote.startswith("*Отправка писем")
    last = list(workbook["Протокол 6 табл. 2"].iter_rows(values_only=True))[-1]
    assert last[0] == footnote


def test_names_are_exported_as_the_document_writes_them(workbook: Workbook, exported) -> None:
    data, _ = exported
    row1 = (
        'Бюджетное учреждение Омской области "Комплексный центр социального обслуживания '
        'населения (далее – БУ КЦСОН) "Вдохновение" Октябрьского административного округа"'
    )
    assert data["protocol6_table1"][0]["name"] == row1
    for name in ("Протокол 6 табл. 1", "Протокол 6 табл. 2", "Протокол 5 табл. 1"):
        sheet = workbook[name]
        assert sheet.cell(_first_row(sheet), 2).value == row1, name


def _first_row(sheet: Worksheet) -> int:
    for row in sheet.iter_rows():
        if row[0].value == 1 and row[1].value != 2:
            return row[0].row
    raise AssertionError(sheet.title)


def test_row_12_of_table_2_summarises_one_letter_with_its_own_dates(exported) -> None:
    data, _ = exported
    row = next(r for r in data["protocol6_table2"] if r["protocol_row"] == 12)
    # The document: sent 7.05 (no answer) and 06.06 (answered 08.06); not 7.05 beside 08.06.
    assert (row["sent"], row["replied"]) == ("2020-06-06", "2020-06-08")


# Latin words a reader may meet: the zone of the export time, the audit's JSON column name,
# the formula's "min"; e-mail addresses are as published.
_ALLOWED_LATIN = {"UTC", "JSON", "min"}
_ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def _english(text: str) -> list[str]:
    return [w for w in _LATIN.findall(_ADDRESS.sub("", text)) if w not in _ALLOWED_LATIN]


def test_nothing_english_in_what_a_ministry_reader_opens(
    engine: Engine, exported, workbook: Workbook, tmp_path: Path
) -> None:
    found = []
    for sheet in workbook.worksheets:
        details = None
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == "Подробности (технические данные, JSON)":
                    details = cell.column  # the audit's raw details: technical, as recorded
                if isinstance(cell.value, str) and cell.column != details:
                    found += [(sheet.title, cell.coordinate, w) for w in _english(cell.value)]
    assert found == []
    _, report = exported
    path = export_campaign(
        engine=engine, campaign=report.campaign, fmt="csv", out=tmp_path / "p.csv"
    )
    text = path.read_text(encoding="utf-8-sig")
    assert _english(text) == []


def test_a_finished_import_has_no_pending_cell_in_its_tables(workbook: Workbook) -> None:
    cells = [
        c
        for name in ("Протокол 6 табл. 1", "Протокол 6 табл. 2", "Протокол 5 табл. 1")
        for row in workbook[name].iter_rows(values_only=True)
        for c in row
    ]
    assert "ожидает оценки" not in cells and "ожидает проверки" not in cells
    assert list(workbook["Ожидают оценки"].iter_rows(values_only=True))[-1][0] == (
        "Все графы заполнены."
    )


# Working days after the day a letter was sent up to the day of its reply, counted by hand on
# the 2020 production calendar (days off in May: 1-3, 4-5, 9-11, and the weekends) for every
# (sent, replied) pair of the document's table 2.
_WORKING_DAYS_BY_HAND = {
    ("2020-05-06", "2020-05-06"): 0,
    ("2020-05-06", "2020-05-08"): 2,  # rows 1, 4: Thu 7, Fri 8
    ("2020-05-07", "2020-05-07"): 0,
    ("2020-05-07", "2020-05-08"): 1,
    ("2020-05-10", "2020-05-12"): 1,  # row 6: sent on a Sunday; Mon 11 a holiday, Tue 12
    ("2020-06-06", "2020-06-08"): 1,  # row 12: sent on a Saturday, answered on Monday
    ("2020-05-07", "2020-05-13"): 3,  # row 28: Fri 8, Tue 12, Wed 13: on the norm, not late
    ("2020-05-07", "2020-05-18"): 6,  # row 24: 8, 12-15, 18
    ("2020-05-07", "2020-05-20"): 8,  # row 35: 8, 12-15, 18-20
}


def test_only_rows_24_and_35_replied_after_the_norm_of_3_working_days(
    engine: Engine, exported, workbook: Workbook, tmp_path: Path
) -> None:
    data, report = exported
    assert data["campaign"]["deadline_working_days"] == 3
    late = set()
    for row in data["protocol6_table2"]:
        for letter in row["letters"]:
            if letter["replied"] is None:
                assert (letter["late"], letter["working_days"]) == (False, None)
                continue
            expected = _WORKING_DAYS_BY_HAND[(letter["sent"], letter["replied"])]
            assert letter["working_days"] == expected, row["protocol_row"]
            assert letter["late"] is (expected > 3), row["protocol_row"]
            if letter["late"]:
                late.add(row["protocol_row"])
    assert late == {24, 35}
    # Late, and counted as 2020 counted them: Protocol 5 e-mail «да», graded «удовлетворительно».
    p5 = {r["protocol_row"]: r for r in data["protocol5_table1"]}
    grades = {r["protocol_row"]: r["grade"] for r in data["protocol6_table2"]}
    for number in (24, 35):
        assert p5[number]["email"]["working"] is True and grades[number] == "satisfactory"
    # The reply cell of table 2 carries the mark; the others stay as the document writes them.
    marked = {
        row[0]: row[4]
        for row in workbook["Протокол 6 табл. 2"].iter_rows(values_only=True)
        if isinstance(row[0], int) and isinstance(row[4], str) and "позже нормы" in row[4]
    }
    assert marked == {
        24: "18.05.2020 (позже нормы в 3 раб. дн.)",
        35: "20.05.2020 (позже нормы в 3 раб. дн.)",
    }
    path = export_campaign(
        engine=engine, campaign=report.campaign, fmt="csv", out=tmp_path / "late.csv"
    )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {int(r["№ строки протокола"]): r for r in csv.DictReader(handle)}
    column = "Протокол 6, табл. 2, гр. 5: дата получения ответов на запрос"
    assert rows[35][column] == "20.05.2020 (позже нормы в 3 раб. дн.)"
    assert [n for n, r in rows.items() if "позже нормы" in r[column]] == [24, 35]

"""The XLSX export opens in LibreOffice and prints with the protocol's Russian headers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from probe.export import export_campaign
from probe.export.render import convert, pdf_page_png, pdf_text, xlsx_to_pdf
from probe.history.importer import import_protocol6
from probe.scoring.names import Outcome
from tests.scoring_helpers import world

pytestmark = pytest.mark.integration

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_4f0d44af83f0814c.txt"


def test_the_seed_export_renders_with_its_headers_and_rows(engine: Engine, tmp_path: Path) -> None:
    if not (shutil.which("libreoffice") and shutil.which("pdftoppm")):
        pytest.fail("LibreOffice or poppler is missing: run `scripts/setup.sh --test`")
    report = import_protocol6(SEED, engine=engine)
    xlsx = export_campaign(
        engine=engine, campaign=report.campaign, fmt="xlsx", out=tmp_path / "protocol.xlsx"
    )
    pdf = xlsx_to_pdf(xlsx, tmp_path)
    text = " ".join(pdf_text(pdf, page=1).split())
    for header in (
        'Протокол регистрации итогов эксперимента "Взаимодействие организации с гражданами"',
        "Протокол № 6",
        "Таблица 1",
        "Оценка доступности консультационных услуг с использованием телефонной связи",
        "Этикет ведения телефонных переговоров",
        "Актуальность телефонов",
        "Качество консультации",
        "Дата и время телефонных звонков",
    ):
        assert header in text
    # Row 1, call 2: the note as the document writes it («занят», not our «занято»).
    assert re.search(r"13\.05\.2020, 14\.20, 8 \(3812\) 46-61-21 – занят(?!о)", text)
    png = pdf_page_png(pdf, tmp_path / "page.png", dpi=40)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


HOSTILE_NAME = '=HYPERLINK("http://evil.example/";"Нажмите")'
# LibreOffice's CSV import as a reader opening the file would set it: comma, double quotes,
# UTF-8, from line 1, and "evaluate formulas" on (the 13th option).
CSV_AS_OPENED = "CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"


@pytest.fixture
def hostile(engine: Engine) -> str:
    session, w = world(engine)
    org, (phone, _) = w.organisation(row=1, emails=1)
    org.name = HOSTILE_NAME
    phone.raw = "=1+41"
    session.add_all([org, phone])
    session.flush()
    w.check(phone, Outcome.CONNECTED)
    session.commit()
    session.close()
    return w.campaign.name


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_name_that_reads_as_a_formula_opens_as_text_in_libreoffice(
    engine: Engine, hostile: str, tmp_path: Path, fmt: str
) -> None:
    if not shutil.which("libreoffice"):
        pytest.fail("LibreOffice is missing: run `scripts/setup.sh --test`")
    exported = export_campaign(
        engine=engine, campaign=hostile, fmt=fmt, out=tmp_path / f"hostile.{fmt}"
    )
    # What LibreOffice made of the file, saved again: a formula it ran would be saved as one.
    (tmp_path / "lo").mkdir()
    infilter = CSV_AS_OPENED if fmt == "csv" else None
    opened = load_workbook(convert(exported, tmp_path / "lo", to="xlsx", infilter=infilter))
    formulas, texts = [], []
    for sheet in opened.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                (formulas if cell.data_type == "f" else texts).append(cell.value)
    assert formulas == []
    quote = "'" if fmt == "csv" else ""
    assert f"{quote}{HOSTILE_NAME}" in texts
    assert f"{quote}=1+41" in texts or any(str(t).startswith(f"{quote}=1+41") for t in texts)

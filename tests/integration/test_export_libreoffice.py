"""The XLSX export opens in LibreOffice and prints with the protocol's Russian headers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from probe.export import export_campaign
from probe.export.render import pdf_page_png, pdf_text, xlsx_to_pdf
from probe.history.importer import import_protocol6

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
        "Протокол № 6. Таблица 1",
        "Оценка доступности консультационных услуг с использованием телефонной связи",
        "Этикет ведения телефонных переговоров",
        "Актуальность телефонов",
        "Качество консультации",
        "Дата и время телефонных звонков",
    ):
        assert header in text
    assert "13.05.2020, 14.20, 8 (3812) 46-61-21 – занято" in text
    png = pdf_page_png(pdf, tmp_path / "page.png", dpi=40)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

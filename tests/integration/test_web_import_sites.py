"""The import page with a `Сайт` column: each site becomes the organisation's web contact, and a
value that is no site's address is shown on its row in Russian, imported with a warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.engine import session_scope
from storage.models import Contact
from tests.integration.test_web_support import (
    WebServer,
    _accounts,
    logged_in,
    make_settings,
    running_server,
)
from tests.unit.test_web_import_text import FILE_CASES, ROW_CASES

pytestmark = pytest.mark.integration

CSV = (
    "Наименование;Регион;Телефоны;Сайт\n"
    "БУ «КЦСОН «Любава»;Омская область;+7(3812)63-19-10;Lubava.omskportal.ru\n"
    "ЦСО Тары;Омская область;8-381-71-2-25-21;ftp://tara.ru\n"
)


@pytest.fixture
def server(engine: Engine, sqlite_url: str, tmp_path: Path) -> Iterator[WebServer]:
    with session_scope(engine) as db:
        _accounts(db)
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=engine, settings=settings)


def test_the_import_page_makes_web_contacts_and_shows_a_bad_site_in_russian(
    server: WebServer, engine: Engine
) -> None:
    admin, token = logged_in(server, "admin")
    answer = admin.post(
        "/directory/import",
        data={"csrf_token": token},
        files={"file": ("справочник.csv", CSV.encode(), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    page = LexborHTMLParser(answer.text)
    summary = " ".join(page.css_first("#import-summary").text().split())
    assert summary.startswith("Загружено организаций — 2, телефонов — 2, адресов — 0, сайтов — 2.")
    rows = [
        [" ".join(td.text().split()) for td in tr.css("td")]
        for tr in page.css("#import-problems tbody tr")
    ]
    assert rows == [
        [
            "3",
            "Сайт",
            "ftp://tara.ru",
            "Не удалось распознать адрес сайта: «ftp://tara.ru».",
            "загружено с предупреждением",
        ]
    ]
    with session_scope(engine) as db:
        sites = db.exec(select(Contact).where(Contact.channel == "web")).all()
        assert sorted((c.raw, c.value) for c in sites) == [
            ("Lubava.omskportal.ru", "https://lubava.omskportal.ru/"),
            ("ftp://tara.ru", None),
        ]


def test_every_problem_the_importer_reports_shows_its_exact_russian_text_on_the_page(
    server: WebServer, tmp_path: Path
) -> None:
    admin, token = logged_in(server, "admin")

    def upload(name: str, data: bytes) -> LexborHTMLParser:
        answer = admin.post(
            "/directory/import",
            data={"csrf_token": token, "check_only": "1"},
            files={"file": (name, data, "application/octet-stream")},
        )
        assert answer.status_code in (200, 400), answer.text
        return LexborHTMLParser(answer.text)

    for code, data, expected in ROW_CASES:
        page = upload("справочник.csv", data)
        reasons = [" ".join(td.text().split()) for td in page.css("#import-problems td.reason")]
        assert expected in reasons, (code, reasons)
    for code, name, data, expected in FILE_CASES:
        if code in ("unsupported_type", "file_empty"):
            continue  # the page refuses these itself, before the importer
        if data is None:
            Workbook().save(tmp_path / name)
            data = (tmp_path / name).read_bytes()
        error = upload(name, data).css_first("#directory-error")
        assert error is not None and error.text().strip() == expected, code

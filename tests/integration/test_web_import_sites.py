"""The import page with a `Сайт` column: each site becomes the organisation's web contact, and a
value that is no site's address is shown on its row in Russian, imported with a warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
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

"""Migration 0014 on both backends: the held contacts' English sentences become a code and values
(`contact.held`, `contact.held_values`), and a downgrade writes the sentences back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from probe.directory.reasons import Publisher, held_english, held_text
from probe.web import import_text
from storage.engine import make_engine, session_scope
from storage.migrate import downgrade, upgrade
from storage.models import Contact

pytestmark = pytest.mark.integration

OLD = {
    1: held_text((Publisher("ЦСО Азова", None, 4), Publisher("ЦСО «Пенаты»", None, 7))),
    2: held_text((Publisher("МБУ «ЦСО» Красносулинского района", "krasnosulin.csv", 2),)),
    3: "held by hand",
    4: None,
}


def _at_0013(url: str) -> None:
    upgrade(url, "0013")
    engine = make_engine(url)
    t = {"t": "2026-03-02 04:00:00"}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisation (id, key, name, short_name, region, kind, address, website,"
            " timezone, hours_raw, area_code, source, active, created_at, updated_at) VALUES"
            " (1, 'o', 'Центр', '', 'omsk', '', '', '', 'Asia/Omsk', '', '', '', true, :t, :t)"
        ), t)  # fmt: skip
        for contact_id, held in OLD.items():
            connection.execute(text(
                "INSERT INTO contact (id, organisation_id, channel, key, raw, is_fax, inferred,"
                " position, source, active, held, created_at, updated_at) VALUES"
                " (:id, 1, 'phone', :k, 'r', false, false, 0, '', true, :h, :t, :t)"
            ), {**t, "id": contact_id, "k": f"k{contact_id}", "h": held})  # fmt: skip
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0014_turns_the_held_sentences_into_codes_and_back(
    backend: str, sqlite_url: str, request: Any
) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    _at_0013(url)
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as db:
        held = {c.id: (c.held, c.held_values) for c in db.exec(select(Contact))}
    assert held == {
        1: ("shared", {"by": [{"name": "ЦСО Азова", "source": None, "row": 4},
                              {"name": "ЦСО «Пенаты»", "source": None, "row": 7}]}),
        2: ("shared", {"by": [{"name": "МБУ «ЦСО» Красносулинского района",
                               "source": "krasnosulin.csv", "row": 2}]}),
        3: ("noted", {"text": "held by hand"}),
        4: (None, None),
    }  # fmt: skip
    assert {i: held_english(*h) for i, h in held.items() if h[0]} == {
        i: s for i, s in OLD.items() if s
    }
    assert import_text.held(*held[1]) == (
        "указан и другой организацией: строка 4 (ЦСО Азова), строка 7 (ЦСО «Пенаты»); "
        "ждёт подтверждения оператора"
    )
    engine.dispose()
    downgrade(url, "0013")
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, held FROM contact ORDER BY id")).all()
        assert dict(rows) == OLD
        columns = connection.execute(text("SELECT * FROM contact")).keys()
        assert "held_values" not in columns
    engine.dispose()
    upgrade(url)
    with session_scope(make_engine(url)) as db:
        again = db.exec(select(Contact.id, Contact.held).where(col(Contact.held).is_not(None)))
        assert dict(again.all()) == {1: "shared", 2: "shared", 3: "noted"}

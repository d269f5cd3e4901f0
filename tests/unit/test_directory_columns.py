"""Contacts read from a directory column of their own (`ContactKind.column`): the web channel's
`website`, and any kind a channel declares with a column, made, updated and reported by the
importer through the registry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from probe.channels import (
    ChannelSpec,
    ContactKind,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    add_plugin,
)
from probe.directory.importer import ImportReport, import_directory
from probe.directory.reasons import held_english
from probe.results import CheckResult
from probe.web import import_text
from storage.directory import list_contacts, list_organisations
from storage.engine import session_scope
from storage.models import Contact

HEADER = "name;region;kind;address;website;phones;emails\n"


def _row(name: str, website: str, phone: str = "", address: str = "") -> str:
    return f"{name};Омская область;КЦСОН;{address};{website};{phone};\n"


def _import(tmp_path: Path, engine: Engine | None, *rows: str, name: str = "d.csv") -> ImportReport:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return import_directory(path, engine=engine, display_name=name, dry_run=engine is None)


def _contacts(engine: Engine, channel: str) -> dict[str, list[Contact]]:
    with session_scope(engine) as session:
        found: dict[str, list[Contact]] = {}
        for org in list_organisations(session=session):
            assert org.id is not None
            contacts = list_contacts(session=session, organisation_id=org.id)
            found[org.name] = [c for c in contacts if c.channel == channel]
        return found


def test_the_website_column_makes_a_web_contact_normalised_by_the_channel(
    tmp_path: Path, engine: Engine
) -> None:
    report = _import(
        tmp_path,
        engine,
        _row("ЦСО Любава", "Lubava.OmskPortal.ru", "+7(3812)63-19-10"),
        _row("Министерство", "www.mtsr.omskportal.ru, www.omskmintrud.ru"),
        _row("ЦСО Пенаты", "—", "+7 (3812) 32-49-46"),  # a dash: no website, no warning
    )
    assert [w for w in report.warnings if w.field == "website"] == []
    web = _contacts(engine, "web")
    assert [(c.raw, c.value, c.position, c.probeable) for c in web["ЦСО Любава"]] == [
        ("Lubava.OmskPortal.ru", "https://lubava.omskportal.ru/", 0, True)
    ]
    assert [c.value for c in web["Министерство"]] == [
        "https://www.mtsr.omskportal.ru/",
        "https://www.omskmintrud.ru/",
    ]
    assert web["ЦСО Пенаты"] == []
    # The phones are still the phones: a website adds a contact, it does not replace one.
    assert [c.value for c in _contacts(engine, "phone")["ЦСО Любава"]] == ["+73812631910"]


def test_a_website_that_cannot_be_read_is_kept_with_its_error_and_reported_in_russian(
    tmp_path: Path, engine: Engine
) -> None:
    report = _import(tmp_path, engine, _row("ЦСО Тары", "ftp://tara.ru", "8-381-71-2-25-21"))
    assert [(w.row, w.field, w.severity, w.reason) for w in report.warnings] == [
        (
            2,
            "website",
            "warning",
            "cannot read 'ftp://tara.ru' in the website column: "
            "Не удалось распознать адрес сайта: «ftp://tara.ru».",
        )
    ]
    assert import_text.reason(report.warnings[0].why) == (
        "Не удалось распознать адрес сайта: «ftp://tara.ru»."
    )
    [kept] = _contacts(engine, "web")["ЦСО Тары"]
    assert (kept.raw, kept.value, kept.probeable) == ("ftp://tara.ru", None, False)
    assert kept.error is not None and "ftp://tara.ru" in kept.error
    with session_scope(engine) as session:
        [org] = list_organisations(session=session)
        assert org.website == "ftp://tara.ru"  # the cell as published, nothing lost


def test_reimport_updates_the_web_contact_without_duplicates(
    tmp_path: Path, engine: Engine
) -> None:
    _import(tmp_path, engine, _row("ЦСО Любава", "lubava.ru", "+7(3812)63-19-10"))
    again = _import(tmp_path, engine, _row("ЦСО Любава", "https://LUBAVA.ru/", "+7(3812)63-19-10"))
    assert again.stats is not None
    assert again.stats.contacts_created == 0
    assert [c.value for c in _contacts(engine, "web")["ЦСО Любава"]] == ["https://lubava.ru/"]

    moved = _import(
        tmp_path, engine, _row("ЦСО Любава", "lubava.omskportal.ru", "+7(3812)63-19-10")
    )
    assert moved.stats is not None
    assert (moved.stats.contacts_created, moved.stats.contacts_deactivated) == (1, 1)
    web = _contacts(engine, "web")["ЦСО Любава"]
    assert {(c.value, c.active) for c in web} == {
        ("https://lubava.ru/", False),  # kept for its checks, no longer probed
        ("https://lubava.omskportal.ru/", True),
    }


def test_a_website_two_organisations_publish_is_held_for_both(tmp_path: Path) -> None:
    report = _import(
        tmp_path,
        None,
        _row("ЦСО Любава", "social.omskportal.ru", "+7(3812)63-19-10"),
        _row("ЦСО Пенаты", "https://social.omskportal.ru/", "+7 (3812) 32-49-46"),
    )
    held = [(w.row, w.field) for w in report.warnings]
    assert held == [(2, "website"), (3, "website")]
    for org in report.organisations:
        [site] = [c for c in org.contacts if c.channel == "web"]
        assert site.held == "shared" and site.held_values is not None
        assert "also published by" in held_english(site.held, site.held_values)


# -- any channel's column kind, through the registry ---------------------------------------------


def _postal(raw: str, area_code: str) -> tuple[str, str | None]:
    if not raw[:1].isdigit():
        raise ValueError(f"Индекс не распознан: «{raw}».")
    return raw[:6], None


@dataclass
class PostPlugin:
    spec: ChannelSpec

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        raise NotImplementedError


@pytest.fixture
def post_channel() -> Iterator[None]:
    spec = ChannelSpec(
        name="post",
        label="почта России",
        backend="letter",
        outcomes=(OutcomeSpec("delivered", "доставлено", success=True),),
        config_model=BaseModel,
        contact_kinds=(ContactKind("postcode", "индекс", normalise=_postal, column="address"),),
    )
    remove = add_plugin(PostPlugin(spec))
    yield
    remove()


def test_a_channel_declaring_a_column_gets_its_contacts_with_no_change_to_the_importer(
    tmp_path: Path, engine: Engine, post_channel: None
) -> None:
    report = _import(
        tmp_path,
        engine,
        _row("ЦСО Любава", "", "+7(3812)63-19-10", address="644001"),
        _row("ЦСО Пенаты", "", "+7 (3812) 32-49-46", address="Омск"),
    )
    assert [(w.row, w.field) for w in report.warnings] == [(3, "address")]
    post = _contacts(engine, "post")
    assert [c.value for c in post["ЦСО Любава"]] == ["644001"]
    assert [(c.raw, c.value) for c in post["ЦСО Пенаты"]] == [("Омск", None)]

"""The schema exists only through Alembic, and is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from probe.directory.importer import bundled_path, import_directory
from storage.directory import list_contacts, list_organisations
from storage.engine import make_engine, session_scope
from storage.migrate import current_revision, downgrade, head_revision, upgrade

pytestmark = pytest.mark.integration

_CATEGORIES = {
    "INTEGER": "int",
    "BIGINT": "int",
    "SMALLINT": "int",
    "VARCHAR": "str",
    "TEXT": "text",
    "BOOLEAN": "bool",
    "DATETIME": "instant",
    "TIMESTAMP": "instant",
    "DATE": "date",
    "JSON": "json",
    "JSONB": "json",
    "FLOAT": "float",
    "REAL": "float",
    "DOUBLE_PRECISION": "float",
    "DOUBLE PRECISION": "float",
}


def _category(type_: Any) -> str:
    name = type(type_).__name__.upper()
    return _CATEGORIES.get(name, name)


def schema_of(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": {
                c["name"]: (_category(c["type"]), c["nullable"])
                for c in inspector.get_columns(table)
            },
            "indexes": sorted(
                (tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
                # PostgreSQL lists a unique constraint's index too; SQLite does not.
                if not i.get("duplicates_constraint")
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return schema


def test_upgrade_gives_the_same_schema_on_sqlite_and_postgresql(
    sqlite_url: str, postgres_url: str
) -> None:
    upgrade(sqlite_url)
    upgrade(postgres_url)
    sqlite_schema = schema_of(make_engine(sqlite_url))
    postgres_schema = schema_of(make_engine(postgres_url))
    assert set(sqlite_schema) == {
        "organisation",
        "contact",
        "campaign",
        "check_run",
        "check_event",
        "review",
        "audit_log",
        "mailbox_state",
        "inbound_message",
        "app_user",
        "api_token",
        "ended_session",
        "greeting_proposal",
        "review_claim",
        "campaign_tally",
    }
    assert sqlite_schema == postgres_schema


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrade_to_base_and_up_again(backend: str, sqlite_url: str, request: Any) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision(url)
    downgrade(url, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert current_revision(engine) == head_revision(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bundled_import_on_both_backends(backend: str, sqlite_url: str, request: Any) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    engine = make_engine(url)
    report = import_directory(bundled_path("omsk-kcson"), engine=engine)
    assert report.stats is not None and report.stats.organisations_created == 38
    again = import_directory(bundled_path("omsk-kcson"), engine=engine)
    assert again.stats is not None
    assert again.stats.organisations_unchanged == 38
    assert again.stats.contacts_created == 0
    with session_scope(engine) as session:
        orgs = list_organisations(session=session, region="omsk")
        assert len(orgs) == 38
        first = orgs[0]
        assert first.id is not None
        phones = [
            c
            for c in list_contacts(session=session, organisation_id=first.id)
            if c.channel == "phone"
        ]
        assert phones and all(c.value and c.value.startswith("+7") for c in phones)
        assert first.created_at.tzinfo is not None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migrations_build_exactly_the_models_tables(
    backend: str, sqlite_url: str, request: Any
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    with make_engine(url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_schemas": False, "compare_type": False}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []

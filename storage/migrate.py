"""Alembic, driven from code: the schema exists only through migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

from storage.engine import normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDateError(RuntimeError):
    pass


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # '%' is ConfigParser interpolation syntax; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def open_database(url: str) -> Engine:
    """The database at `url`, its schema brought up to date when it is a SQLite file
    (SchemaOutOfDateError for a server database behind the code)."""
    from storage.engine import make_engine

    engine = make_engine(url)
    ensure_schema(engine, url)
    return engine


def ensure_schema(engine: Engine, url: str) -> None:
    """Upgrade a SQLite file on first use; refuse to touch an out-of-date server database."""
    current = current_revision(engine)
    head = head_revision(url)
    if current == head:
        return
    if make_url(normalise_url(url)).get_backend_name() == "sqlite":
        upgrade(url)
        return
    raise SchemaOutOfDateError(
        f"database schema is at {current or 'nothing'}, the code needs {head}: "
        "run `probe db upgrade` first"
    )

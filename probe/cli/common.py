"""What the application's commands share beyond probe.console: logging and the database."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from probe.console import fail, load_settings
from probe.logs import configure_logging
from probe.settings import Settings
from storage.migrate import SchemaOutOfDateError, open_database


def setup_logging(settings: Settings) -> None:
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, secrets=settings.secret_values()
    )


def open_engine(settings: Settings | None = None) -> Engine:
    """The configured database, its schema brought up to date when it is a SQLite file."""
    settings = settings or load_settings()
    try:
        return open_database(settings.database_url)
    except SchemaOutOfDateError as error:
        fail(str(error))

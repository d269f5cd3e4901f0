"""What every command shares: settings, logging, the database, output helpers."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Engine

from probe.logs import configure_logging
from probe.settings import Settings, get_settings
from storage.engine import make_engine
from storage.migrate import SchemaOutOfDateError, ensure_schema

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except (ValidationError, ValueError) as error:
        fail(f"bad configuration: {error}")


def setup_logging(settings: Settings) -> None:
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, secrets=settings.secret_values()
    )


def open_engine(settings: Settings | None = None) -> Engine:
    """The configured database, its schema brought up to date when it is a SQLite file."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine, settings.database_url)
    except SchemaOutOfDateError as error:
        fail(str(error))
    return engine


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")

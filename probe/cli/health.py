"""`probe health`: exit 0 when the database answers at the expected schema revision."""

from __future__ import annotations

import typer
from sqlalchemy import text

from probe.console import err_console, load_settings, print_json
from storage import migrate
from storage.engine import make_engine


def health(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check the database connection and schema (for container health checks)."""
    settings = load_settings()
    report = {"database": "down", "schema": None, "expected": None, "ok": False}
    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        report["database"] = "up"
        report["schema"] = migrate.current_revision(engine)
        report["expected"] = migrate.head_revision(settings.database_url)
        report["ok"] = report["schema"] == report["expected"]
    except Exception as error:
        report["error"] = f"{type(error).__name__}: {error}"
    if as_json:
        print_json(report)
    elif not report["ok"]:
        err_console.print(f"unhealthy: {report}", highlight=False)
    raise typer.Exit(0 if report["ok"] else 1)

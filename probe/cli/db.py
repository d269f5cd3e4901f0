"""`probe db`: schema migrations."""

from __future__ import annotations

import typer

from probe.console import console, load_settings
from storage import migrate
from storage.engine import make_engine

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Bring the database schema up to REVISION (default: the newest)."""
    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)
    engine = make_engine(settings.database_url)
    console.print(f"schema at revision {migrate.current_revision(engine)}")


@app.command()
def current() -> None:
    """Print the schema revision of the database and the one the code expects."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    console.print(
        f"database: {migrate.current_revision(engine) or 'empty'}; "
        f"code: {migrate.head_revision(settings.database_url)}"
    )

"""job queue: procrastinate's schema on PostgreSQL (nothing on SQLite)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

The scale-out mode runs checks through procrastinate, whose tables, types and functions live
in their own PostgreSQL schema (`procrastinate`), apart from ours: `public` keeps exactly the
tables of storage/models.py on both backends. The SQL is procrastinate's own schema file for
the installed version (pinned to 3.x in pyproject.toml); a later procrastinate release that
ships a migration gets a new Alembic revision applying that file.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = 'procrastinate'  # the same name as storage.jobqueue.QUEUE_SCHEMA


def _driver_connection():  # type: ignore[no-untyped-def]
    # procrastinate's schema is many statements with plpgsql bodies: psycopg sends a query
    # without parameters as it is, which SQLAlchemy's text() (bind-parameter parsing) would not.
    return op.get_bind().connection.driver_connection


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    from procrastinate.schema import SchemaManager

    connection = _driver_connection()
    previous = connection.execute("SELECT current_setting('search_path')").fetchone()[0]
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS {SCHEMA}')
    connection.execute(f"SELECT set_config('search_path', '{SCHEMA}', true)")
    connection.execute(SchemaManager.get_schema())
    connection.execute("SELECT set_config('search_path', %s, true)", (previous,))


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _driver_connection().execute(f'DROP SCHEMA IF EXISTS {SCHEMA} CASCADE')

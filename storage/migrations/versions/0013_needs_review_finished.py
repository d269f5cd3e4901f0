"""the flagged checks by finish time

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The review queue's age filters over the checks needing a human: a partial index on
`finished_at` of the flagged checks only (a few hundred in a week of a million checks), so
`?age=7` in either order and its total read the last week's flagged checks, not every flagged
check by id. (Migration 0010 left `finished_at` unindexed on purpose: over all checks the
planner read and sorted the whole last week.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_check_review_finished",
        "check_run",
        ["finished_at"],
        unique=False,
        postgresql_where=sa.text("needs_review"),
        sqlite_where=sa.text("needs_review = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_check_review_finished", table_name="check_run")

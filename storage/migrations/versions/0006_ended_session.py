"""sessions ended by logging out

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

The session cookie is signed, not stored: logging out cleared it in the browser, but a copy of
it still opened every page until it expired (issue 16 bug 6). An ended session's id is kept
here until its cookie would have expired anyway.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ended_session",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    with op.batch_alter_table("ended_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ended_session_ended_at"), ["ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ended_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_session_ended_at"))
    op.drop_table("ended_session")

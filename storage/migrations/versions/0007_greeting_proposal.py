"""greetings proposed from the recording

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Each person who answered a connected call gets the machine's reading of their greeting
(Protocol 6 columns 7-9, issue 18): a job for the greeting worker, then a proposal the
operator confirms or overturns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "greeting_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recording", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("until_s", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claimed_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("etiquette", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("proposal", storage.types.JsonType, nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["check_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("check_id", "person", name="uq_greeting_person"),
    )
    with op.batch_alter_table("greeting_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_greeting_proposal_check_id"), ["check_id"], unique=False
        )
        batch_op.create_index("ix_greeting_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("greeting_proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_greeting_status")
        batch_op.drop_index(batch_op.f("ix_greeting_proposal_check_id"))
    op.drop_table("greeting_proposal")

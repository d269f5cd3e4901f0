"""review claims

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

An operator takes a check of the review queue «в работу» so that another operator is not
given the same one (issue 16); the claim expires by itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_claim",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["check_run.id"]),
        sa.PrimaryKeyConstraint("check_id"),
    )
    with op.batch_alter_table("review_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_claim_username"), ["username"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_review_claim_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_claim_expires_at"))
        batch_op.drop_index(batch_op.f("ix_review_claim_username"))
    op.drop_table("review_claim")

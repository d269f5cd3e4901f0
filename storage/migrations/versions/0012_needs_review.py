"""the review queue's condition kept on the check

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Whether a check needs a human (storage.needs_review.rule: a final failure without a verdict,
judgements missing, a directory finding unanswered) is kept on the check itself
(`check_run.needs_review`), behind partial indexes on the flagged rows only, so the review
queue and its total read those rows instead of evaluating the condition on each check they
walk (bench/web_queue.py: the queue's total walked thousands of checks, 0.5 s). Filled here
by the rule itself (storage.needs_review.recount, the function that repairs it), before the
indexes are built.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in storage/models.py (NEEDS_REVIEW_INDEXES), written out: a migration stays as it was.
INDEXES: dict[str, list[str]] = {
    "ix_check_review_id": ["id"],
    "ix_check_review_effective_id": ["effective_outcome", "id"],
    "ix_check_review_campaign_id": ["campaign_id", "id"],
    "ix_check_review_org_id": ["organisation_id", "id"],
}


def upgrade() -> None:
    # A plain ADD COLUMN (constant default): SQLite's batch mode would copy the table, and
    # PostgreSQL writes no row.
    op.add_column(
        "check_run",
        sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    from storage import needs_review

    with Session(bind=op.get_bind()) as session:
        needs_review.recount(session)
        session.flush()
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "check_run",
            columns,
            unique=False,
            postgresql_where=sa.text("needs_review"),
            sqlite_where=sa.text("needs_review = 1"),
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="check_run")
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_column("needs_review")

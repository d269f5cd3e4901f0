"""dashboard and review queue indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

The campaign dashboard keeps its figures until the campaign changes: the newest change to one
of its checks is found by (campaign_id, updated_at) in one index probe instead of reading a
million rows. The few verdicts that overturned an outcome are read through a partial index
(most verdicts confirm). No index on finished_at: with one, PostgreSQL reads every check of
the last week for `?age=7` and sorts them, where walking the ids backward stops after 50
(bench/web_queue.py: 600 ms against 11 ms).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERTURNED = sa.text("field = 'verdict' AND value <> 'confirmed'")


def upgrade() -> None:
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_campaign_updated", ["campaign_id", "updated_at"], unique=False
        )
    op.create_index(
        "ix_review_overturned",
        "review",
        ["check_id"],
        unique=False,
        postgresql_where=OVERTURNED,
        sqlite_where=OVERTURNED,
    )


def downgrade() -> None:
    op.drop_index("ix_review_overturned", table_name="review")
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_index("ix_check_campaign_updated")

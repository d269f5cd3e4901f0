"""review queue indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Keyset pages of the review queue within a campaign, an outcome or a contact's attempts, and the
reviews of a check by field (bench/web_queue.py: the worst filtered first page on 1,000,000
checks went from 3.5 s to 0.35 s).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.create_index("ix_check_campaign_id_id", ["campaign_id", "id"], unique=False)
        batch_op.create_index("ix_check_outcome_id", ["outcome", "id"], unique=False)
        batch_op.create_index(
            "ix_check_contact_campaign_id", ["contact_id", "campaign_id", "id"], unique=False
        )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index("ix_review_check_field", ["check_id", "field"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_check_field")
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_index("ix_check_contact_campaign_id")
        batch_op.drop_index("ix_check_outcome_id")
        batch_op.drop_index("ix_check_campaign_id_id")

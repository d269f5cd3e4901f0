"""inbound message hash index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Every ingestion batch looks up the hashes of its messages among those already stored on the
account (adapters/email/store.py: `account = ? AND sha256 IN (...)`), to mark a duplicate and
point at its first copy; without an index that read scans every stored message of the account.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_account_sha256", ["account", "sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_account_sha256")

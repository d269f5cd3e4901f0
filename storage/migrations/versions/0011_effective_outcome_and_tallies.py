"""effective outcome on the check, campaign tallies

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

The outcome after operators' verdicts (scoring's rule R4) is kept on the check itself
(`check_run.effective_outcome`), so the review queue filters on it by index instead of
finding each row's newest verdict; the campaign dashboard reads counters kept with the checks
(`campaign_tally`, storage/tally.py) instead of counting a million checks. Both are filled
here from what the database holds: the effective outcome from each check's verdicts (only the
checks with a verdict that names an outcome can differ), the counters by counting each
campaign afresh (storage.tally.recount, the function that repairs them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_outcome", sa.String(), nullable=True))
    connection = op.get_bind()
    # Filled before its own indexes exist: they are built once, after the UPDATE of every row.
    connection.execute(sa.text("UPDATE check_run SET effective_outcome = outcome"))
    _overturned(connection)
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.create_index("ix_check_effective_id", ["effective_outcome", "id"], unique=False)
        batch_op.create_index(
            "ix_check_campaign_channel_effective_id",
            ["campaign_id", "channel", "effective_outcome", "id"],
            unique=False,
        )
    op.create_table(
        "campaign_tally",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("a", sa.String(length=100), nullable=False),
        sa.Column("b", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "kind", "channel", "a", "b"),
    )
    from storage import tally

    with Session(bind=connection) as session:
        for campaign_id in tally.campaign_ids(session):
            tally.recount(session, campaign_id)
        session.flush()


def _overturned(connection: sa.Connection) -> None:
    """The checks whose newest valid verdict names another outcome (storage.judgements)."""
    from storage.judgements import current_outcome
    from storage.models import Check, Review

    rows = connection.execute(sa.text(
        "SELECT c.id, c.channel, c.outcome, r.value, r.created_at, r.id AS review_id "
        "FROM check_run c JOIN review r ON r.check_id = c.id AND r.field = 'verdict' "
        "WHERE c.id IN (SELECT check_id FROM review "
        "               WHERE field = 'verdict' AND value <> 'confirmed') "
        "ORDER BY c.id"
    ))
    checks: dict[int, tuple[Check, list[Review]]] = {}
    for check_id, channel, outcome, value, created_at, review_id in rows:
        item = checks.setdefault(check_id, (Check(channel=channel, outcome=outcome), []))
        item[1].append(Review(id=review_id, field="verdict", value=value, created_at=created_at,
                              author=""))
    changed = [
        {"id": check_id, "effective": current_outcome(check, verdicts)}
        for check_id, (check, verdicts) in checks.items()
    ]
    changed = [c for c in changed if c["effective"] != checks[c["id"]][0].outcome]
    if changed:
        connection.execute(
            sa.text("UPDATE check_run SET effective_outcome = :effective WHERE id = :id"), changed
        )


def downgrade() -> None:
    op.drop_table("campaign_tally")
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_index("ix_check_campaign_channel_effective_id")
        batch_op.drop_index("ix_check_effective_id")
        batch_op.drop_column("effective_outcome")

"""Keyword-only queries of the scale-out mode: our checks as the job queue sees them, and
procrastinate's jobs table (in its own schema, created by migration 0003), read-only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from probe.results import CheckStatus
from storage.models import Campaign, Check

QUEUE_SCHEMA = "procrastinate"  # where migration 0003 put procrastinate's tables
TASK_NAME = "probe.check"
QUEUED = "queue"  # claimed_by of a planned check that waits in the job queue


def due_unqueued(*, session: Session, now: datetime, limit: int) -> Sequence[Check]:
    """Planned checks of running campaigns, due now and not yet handed to the queue."""
    return session.exec(
        select(Check)
        .join(Campaign, col(Campaign.id) == col(Check.campaign_id))
        .where(
            col(Campaign.status) == "running",
            col(Check.status) == CheckStatus.PLANNED.value,
            col(Check.claimed_by).is_(None),
            col(Check.planned_at).is_not(None),
            col(Check.planned_at) <= now,
        )
        .order_by(col(Check.planned_at), col(Check.id))
        .limit(limit)
    ).all()


def mark_queued(*, session: Session, checks: Sequence[Check], now: datetime) -> list[Check]:
    """Mark the ones still planned and unqueued (a second scheduler may have taken some)."""
    if not checks:
        return []
    ids = session.scalars(
        text(
            "UPDATE check_run SET claimed_by = :mark, claimed_until = :now, updated_at = :now "
            "WHERE id = ANY(:ids) AND status = :planned AND claimed_by IS NULL RETURNING id"
        ),
        {
            "mark": QUEUED,
            "now": now,
            "ids": [c.id for c in checks],
            "planned": CheckStatus.PLANNED.value,
        },
    ).all()
    taken = set(ids)
    return [c for c in checks if c.id in taken]


def queue_orphans(*, session: Session) -> list[Check]:
    """Checks the queue owns (queued, or running in a worker) without a waiting or running job:
    a job that exhausted its retries. Another job resolves them (run, or ask the channel)."""
    rows = session.exec(
        select(Check).where(
            text(
                "((check_run.status = 'planned' AND check_run.claimed_by = :mark) "
                "OR check_run.status = 'running') AND check_run.id NOT IN ("
                f"SELECT (args->>'check_id')::int FROM {QUEUE_SCHEMA}.procrastinate_jobs "
                "WHERE task_name = :task AND status IN ('todo', 'doing'))"
            ).bindparams(mark=QUEUED, task=TASK_NAME)
        )
    ).all()
    return list(rows)


# Jobs waiting (todo) or in flight (doing) per queue; read by the scheduler through SQLAlchemy
# and by the workers' janitor through procrastinate's own connection.
QUEUE_DEPTH_SQL = (
    f"SELECT queue_name, status::text AS status, count(*) AS n "
    f"FROM {QUEUE_SCHEMA}.procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') GROUP BY queue_name, status"
)


def queue_depth(*, session: Session) -> list[tuple[str, str, int]]:
    """(queue, state, count) of the jobs waiting (todo) or in flight (doing)."""
    rows = session.execute(text(QUEUE_DEPTH_SQL)).all()
    return [(str(q), str(s), int(n)) for q, s, n in rows]


def use_queue_schema(*, session: Session) -> None:
    """procrastinate's queries, run on our own connection in this transaction, find its
    tables (our own still resolve through `public`)."""
    session.execute(text(f"SET LOCAL search_path TO {QUEUE_SCHEMA}, public"))

"""Greetings proposed from the recording (Protocol 6 columns 7-9): the work queue of the
greeting worker and what the review UI, the export and the status read.

One row per person who answered a connected call (`GreetingProposal`). The phone channel's
worker adds the rows of a call once it is recorded (adapters/sip/greetwork), claims one or
several at a time, and stores the proposals; nothing here knows the channel. Claims are leases,
so a worker that dies leaves its jobs to the next one after `claimed_until`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, update
from sqlmodel import Session, col, select

from probe.results import CheckStatus, utc_now
from storage.models import Check, GreetingProposal

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
NO_SPEECH = "no_speech"  # nothing was said on the line: nothing to propose
WAITING = (PENDING, RUNNING)
MAX_ATTEMPTS = 3


def _not_enqueued() -> Any:
    return ~exists().where(col(GreetingProposal.check_id) == col(Check.id))


def unqueued_checks(
    *,
    session: Session,
    channels: Collection[str],
    outcomes: Collection[str],
    limit: int = 50,
) -> Sequence[Check]:
    """Finished checks of these channels and outcomes whose greetings have no rows yet."""
    return session.exec(
        select(Check)
        .where(
            col(Check.channel).in_(list(channels)),
            col(Check.outcome).in_(list(outcomes)),
            col(Check.status) == CheckStatus.DONE.value,
            _not_enqueued(),
        )
        .order_by(col(Check.id))
        .limit(limit)
    ).all()


def add_jobs(*, session: Session, check_id: int, persons: Sequence[dict[str, Any]]) -> int:
    """The rows of one call, one per person (`person`, `recording`, `start_s`, `until_s`,
    `status`); a call already enqueued (by another worker) is left as it is."""
    if session.exec(
        select(GreetingProposal.id).where(col(GreetingProposal.check_id) == check_id)
    ).first():
        return 0
    for person in persons:
        session.add(GreetingProposal(check_id=check_id, **person))
    session.flush()
    return len(persons)


def _claimable(now: datetime) -> Any:
    stale = and_(col(GreetingProposal.status) == RUNNING, col(GreetingProposal.claimed_until) < now)
    return or_(col(GreetingProposal.status) == PENDING, stale)


def claimable(*, session: Session, now: datetime) -> int:
    """How many jobs a worker could claim now (pending, or their worker's lease ran out)."""
    query = select(func.count()).select_from(GreetingProposal).where(_claimable(now))
    return int(session.exec(query).one())


def claim(
    *, session: Session, worker: str, now: datetime, lease: timedelta
) -> GreetingProposal | None:
    """The oldest pending job (or one whose worker's lease ran out), now this worker's."""
    found = claim_many(session=session, worker=worker, now=now, lease=lease, limit=1)
    return found[0] if found else None


def claim_many(
    *, session: Session, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[GreetingProposal]:
    """Up to `limit` of the oldest pending jobs (or ones whose worker's lease ran out), in
    order, now this worker's; a job another worker takes meanwhile is left to it."""
    taken_rows: list[GreetingProposal] = []
    for row in session.exec(
        select(GreetingProposal)
        .where(_claimable(now))
        .order_by(col(GreetingProposal.id))
        .limit(limit + 4)
    ).all():
        taken = session.execute(
            update(GreetingProposal)
            .where(
                col(GreetingProposal.id) == row.id,
                col(GreetingProposal.status) == row.status,
                col(GreetingProposal.attempts) == row.attempts,
            )
            .values(
                status=RUNNING,
                claimed_by=worker,
                claimed_until=now + lease,
                attempts=row.attempts + 1,
                updated_at=now,
            )
        )
        if getattr(taken, "rowcount", 0) == 1:
            session.refresh(row)
            taken_rows.append(row)
            if len(taken_rows) == limit:
                break
    return taken_rows


def finish(
    *,
    session: Session,
    job_id: int,
    etiquette: str | None,
    confidence: float | None,
    proposal: dict[str, Any],
    status: str = DONE,
) -> None:
    session.execute(
        update(GreetingProposal)
        .where(col(GreetingProposal.id) == job_id)
        .values(
            status=status,
            etiquette=etiquette,
            confidence=confidence,
            proposal=proposal,
            error=None,
            claimed_by=None,
            claimed_until=None,
            updated_at=utc_now(),
        )
    )


def fail(*, session: Session, job_id: int, error: str) -> None:
    """Back to pending for another try, or failed after MAX_ATTEMPTS."""
    row = session.get(GreetingProposal, job_id)
    if row is None:
        return
    row.status = FAILED if row.attempts >= MAX_ATTEMPTS else PENDING
    row.error = error[:2000]
    row.claimed_by = None
    row.claimed_until = None
    row.updated_at = utc_now()
    session.add(row)


def proposals(*, session: Session, check_id: int) -> list[GreetingProposal]:
    """A call's rows, by person."""
    return list(
        session.exec(
            select(GreetingProposal)
            .where(col(GreetingProposal.check_id) == check_id)
            .order_by(col(GreetingProposal.person))
        ).all()
    )


def backlog(
    *,
    session: Session,
    channels: Collection[str],
    outcomes: Collection[str],
    campaign_id: int | None = None,
) -> dict[str, int]:
    """Greetings by state: `waiting` (calls recorded but not yet enqueued, and jobs pending),
    `running`, `done`, `failed`, `no_speech`; `enqueued`: the rows there are (0: no worker
    ever ran). Counts persons, except the calls not enqueued yet (one each)."""
    query = select(GreetingProposal.status, func.count()).group_by(col(GreetingProposal.status))
    unqueued = (
        select(func.count())
        .select_from(Check)
        .where(
            col(Check.channel).in_(list(channels)),
            col(Check.outcome).in_(list(outcomes)),
            col(Check.status) == CheckStatus.DONE.value,
            _not_enqueued(),
        )
    )
    if campaign_id is not None:
        query = query.join(Check, col(Check.id) == col(GreetingProposal.check_id)).where(
            col(Check.campaign_id) == campaign_id
        )
        unqueued = unqueued.where(col(Check.campaign_id) == campaign_id)
    counts: Counter[str] = Counter({status: int(n) for status, n in session.exec(query).all()})
    not_enqueued = int(session.exec(unqueued).one())
    return {
        "enqueued": sum(counts.values()),
        "waiting": counts[PENDING] + not_enqueued,
        "running": counts[RUNNING],
        "done": counts[DONE],
        "failed": counts[FAILED],
        "no_speech": counts[NO_SPEECH],
    }

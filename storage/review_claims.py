"""Claims on review items: an operator takes a check of the queue «в работу» so that nobody
else is given it (the queue's «следующая», bulk confirm) or saves judgements on it meanwhile.
A claim lasts `CLAIM_TTL`; each save by its holder renews it; an expired one is taken over.
A save on an unclaimed check does not claim it (the API and a single check page work as
before); claiming is the queue's «Взять в работу» and «Следующая»."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from probe.results import utc_now
from storage.models import Check, ReviewClaim
from storage.review_queue import QueueFilter, follows, in_order, queue_query

CLAIM_TTL = timedelta(minutes=30)


class ClaimedByAnother(Exception):
    """The check is claimed by another operator until `until`."""

    def __init__(self, check_id: int, username: str, until: datetime) -> None:
        super().__init__(f"check {check_id} is claimed by {username} until {until.isoformat()}")
        self.check_id, self.username, self.until = check_id, username, until


def current_claim(*, session: Session, check_id: int) -> ReviewClaim | None:
    """The check's unexpired claim, if any."""
    claim = session.get(ReviewClaim, check_id)
    if claim is None or claim.expires_at <= utc_now():
        return None
    return claim


def before_saving(
    *, session: Session, check_id: int, username: str, ttl: timedelta = CLAIM_TTL
) -> None:
    """A judgement is about to be saved: ClaimedByAnother when someone else holds the check;
    the saver's own claim is renewed. An unclaimed check is not claimed by a save."""
    claim = current_claim(session=session, check_id=check_id)
    if claim is None:
        return
    if claim.username != username:
        raise ClaimedByAnother(check_id, claim.username, claim.expires_at)
    claim.expires_at = utc_now() + ttl
    session.add(claim)


def claim_check(
    *, session: Session, check_id: int, username: str, ttl: timedelta = CLAIM_TTL
) -> ReviewClaim:
    """Claim (or renew the claim on) a check for `username`; ClaimedByAnother if it is held."""
    now = utc_now()
    claim = session.get(ReviewClaim, check_id, with_for_update=True)
    if claim is not None and claim.username != username and claim.expires_at > now:
        raise ClaimedByAnother(check_id, claim.username, claim.expires_at)
    if claim is None:
        claim = ReviewClaim(check_id=check_id, username=username, claimed_at=now)
    elif claim.username != username or claim.expires_at <= now:
        claim.username, claim.claimed_at = username, now
    claim.expires_at = now + ttl
    session.add(claim)
    session.flush()
    return claim


def release_check(*, session: Session, check_id: int, username: str) -> bool:
    """Give up one's own claim; False when there was none to give up."""
    claim = session.get(ReviewClaim, check_id)
    if claim is None or claim.username != username:
        return False
    session.delete(claim)
    return True


def claim_next(
    *,
    session: Session,
    filters: QueueFilter,
    username: str,
    current: int | None = None,
    ttl: timedelta = CLAIM_TTL,
) -> int | None:
    """Claim the next check of the queue (under `filters`) nobody else holds: the one after
    `current` in the queue's order, else from the start (skipping `current`). None: none left.

    Two operators asking at once are given different checks: the loser of the insert race
    moves on to the following one."""
    free = QueueFilter(**{**filters.__dict__, "free_for": username})
    base = queue_query(free).with_only_columns(col(Check.id))
    if current is not None:
        base = base.where(col(Check.id) != current)
    rounds = [in_order(base.where(follows(free, current)), free)] if current is not None else []
    rounds.append(in_order(base, free))
    for query in rounds:
        for check_id in session.exec(query.limit(20)).all():
            try:
                with session.begin_nested():
                    claim_check(session=session, check_id=check_id, username=username, ttl=ttl)
            except (ClaimedByAnother, IntegrityError):
                continue
            return int(check_id)
    return None


def claims_of(*, session: Session, check_ids: list[int]) -> dict[int, ReviewClaim]:
    """The unexpired claims on these checks."""
    if not check_ids:
        return {}
    found = session.exec(
        select(ReviewClaim).where(
            col(ReviewClaim.check_id).in_(check_ids), col(ReviewClaim.expires_at) > utc_now()
        )
    )
    return {claim.check_id: claim for claim in found}

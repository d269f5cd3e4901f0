"""Keyword-only queries behind the review UI: the queue of checks needing a human, campaign
progress, an organisation's history, one check with its evidence, and contact corrections.

The queue is paged by keyset (the check id), never by OFFSET: the first page and the
thousandth cost the same on a million checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from probe.channels import all_specs
from probe.results import utc_now
from probe.reviews import ReviewField, judges_everyone
from storage.audit import write_audit
from storage.checks import newer_attempt
from storage.judgements import (
    applicable_judgements,
    current_outcome,
    owned_judgements,
)
from storage.models import (
    Campaign,
    Check,
    CheckEvent,
    Contact,
    InboundMessage,
    Organisation,
    Review,
    ReviewClaim,
)
from storage.needs_review import failed_outcomes as failed_outcomes
from storage.needs_review import flagged
from storage.published import EVENT as UNLISTED_EVENT
from storage.published import FIELD as DIRECTORY_FIELD
from storage.published import flagged_checks


def queue_outcomes() -> list[str]:
    """The outcomes that reach the queue (the listed channels' failures on the organisation's
    side and outcomes an operator judges), in declared order; never our own failures."""
    owned = owned_judgements()
    found = [
        o.name for s in all_specs() if s.listed for o in s.outcomes if o.verdict or o.name in owned
    ]
    return list(dict.fromkeys(found))


MAX_PAGE = 200


@dataclass(frozen=True)
class QueueFilter:
    campaign_id: int | None = None
    region: str | None = None
    organisation_id: int | None = None
    channel: str | None = None
    outcome: str | None = None
    finished_after: datetime | None = None  # only checks finished at or after this instant
    finished_before: datetime | None = None
    order: Literal["new", "old"] = "new"
    # Leave out the checks another operator has claimed (review_claim, not expired).
    free_for: str | None = None


@dataclass
class QueueRow:
    check: Check
    organisation: Organisation
    contact: Contact
    campaign: Campaign | None
    # What the operator is asked for: "verdict" for a failure, or the missing judgements.
    needs: list[str] = field(default_factory=list)
    outcome: str | None = None  # after the operator's verdict, if any
    claim: ReviewClaim | None = None  # an operator working on it now


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_after: int | None  # pass as `after` for the next page; None on the last page
    prev_before: int | None = None  # pass as `before` for the previous page; None on the first


def needs_human() -> ColumnElement[bool]:
    """The checks in the review queue: the rule (storage.needs_review.rule) as kept on each
    check, read through the partial indexes on the flagged checks only."""
    return flagged()


def _filtered(query: Any, filters: QueueFilter, session: Session | None = None) -> Any:
    if filters.campaign_id is not None:
        query = query.where(col(Check.campaign_id) == filters.campaign_id)
    if filters.organisation_id is not None:
        query = query.where(col(Check.organisation_id) == filters.organisation_id)
    if filters.region:
        in_region = select(Organisation.id).where(col(Organisation.region) == filters.region)
        if session is not None:  # as a list: tested before the costly subqueries, not after
            in_region = list(session.exec(in_region).all()) or [0]  # type: ignore[assignment]
        query = query.where(col(Check.organisation_id).in_(in_region))
    if filters.channel:
        query = query.where(col(Check.channel) == filters.channel)
    if filters.outcome:
        # The outcome after operators' verdicts, kept on the check (ix_check_effective_id).
        query = query.where(col(Check.effective_outcome) == filters.outcome)
    if filters.free_for:
        query = query.where(~_claimed_by_another(filters.free_for))
    if filters.finished_after is not None:
        query = query.where(col(Check.finished_at) >= filters.finished_after)
    if filters.finished_before is not None:
        query = query.where(col(Check.finished_at) < filters.finished_before)
    return query


def _claimed_by_another(username: str) -> ColumnElement[bool]:
    return exists().where(
        col(ReviewClaim.check_id) == col(Check.id),
        col(ReviewClaim.username) != username,
        col(ReviewClaim.expires_at) > utc_now(),
    )


def queue_query(filters: QueueFilter, session: Session | None = None) -> Any:
    """The checks needing a human under these filters (unordered)."""
    return _filtered(select(Check).where(needs_human()), filters, session)


def follows(filters: QueueFilter, check_id: int) -> ColumnElement[bool]:
    """The checks after `check_id` in the queue's order."""
    return col(Check.id) > check_id if filters.order == "old" else col(Check.id) < check_id


def precedes(filters: QueueFilter, check_id: int) -> ColumnElement[bool]:
    """The checks before `check_id` in the queue's order."""
    return col(Check.id) < check_id if filters.order == "old" else col(Check.id) > check_id


def in_order(query: Any, filters: QueueFilter, *, reverse: bool = False) -> Any:
    ascending = (filters.order == "old") != reverse
    return query.order_by(col(Check.id).asc() if ascending else col(Check.id).desc())


def review_queue(
    *,
    session: Session,
    filters: QueueFilter,
    after: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> QueuePage:
    """One page of checks needing a human, newest (or oldest) first, after check id `after`
    (or the page before check id `before`)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE}, not {limit}")
    # The checks alone first, then their organisations, contacts and campaigns by id: with
    # the joins in one statement PostgreSQL misjudges the LIMIT and loops over whole tables.
    base = queue_query(filters, session)
    if before is not None:
        query = in_order(base.where(precedes(filters, before)), filters, reverse=True)
        checks = list(session.exec(query.limit(limit + 1)).all())
        earlier, later = len(checks) > limit, True
        checks = checks[:limit][::-1]
    else:
        query = base.where(follows(filters, after)) if after is not None else base
        checks = list(session.exec(in_order(query, filters).limit(limit + 1)).all())
        later, checks = len(checks) > limit, checks[:limit]
        earlier = after is not None and bool(checks)
        earlier = earlier and _any_before(session, base, filters, checks[0])
    rows = _rows(session=session, checks=checks)
    _fill_needs(session=session, rows=rows)
    return QueuePage(
        rows=rows,
        next_after=rows[-1].check.id if later and rows else None,
        prev_before=rows[0].check.id if earlier and rows else None,
    )


def _any_before(session: Session, base: Any, filters: QueueFilter, first: Check) -> bool:
    assert first.id is not None
    preceding = base.where(precedes(filters, first.id))
    return session.exec(preceding.limit(1)).first() is not None


def queue_total(*, session: Session, filters: QueueFilter, cap: int = 10_000) -> int:
    """How many checks the queue holds under these filters, counted up to `cap` + 1 (a count
    of a million-check queue would cost more than the page itself)."""
    # In the page's order: unordered, PostgreSQL may read the table from its start for the
    # first matches (`?channel=email`: 273,000 rows, the flagged ones rewritten at its end).
    query = in_order(queue_query(filters, session), filters)
    ids = query.with_only_columns(col(Check.id)).limit(cap + 1).subquery()
    return int(session.execute(sa_select(func.count()).select_from(ids)).scalar_one())


def _by_id(session: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted)))}


def _rows(*, session: Session, checks: list[Check]) -> list[QueueRow]:
    orgs = _by_id(session, Organisation, {c.organisation_id for c in checks})
    contacts = _by_id(session, Contact, {c.contact_id for c in checks})
    campaigns = _by_id(session, Campaign, {c.campaign_id for c in checks})
    return [
        QueueRow(
            check=c,
            organisation=orgs[c.organisation_id],
            contact=contacts[c.contact_id],
            campaign=campaigns.get(c.campaign_id) if c.campaign_id is not None else None,
        )
        for c in checks
    ]


def _fill_needs(*, session: Session, rows: list[QueueRow]) -> None:
    ids = [row.check.id for row in rows]
    if not ids:
        return
    judged: dict[int, set[str]] = {}
    verdicts: dict[int, list[Review]] = {}
    for review in session.exec(select(Review).where(col(Review.check_id).in_(ids))).all():
        check_id = review.check_id or 0
        if judges_everyone(review.field, review.value):
            judged.setdefault(check_id, set()).add(review.field)
        if review.field == ReviewField.VERDICT.value:
            verdicts.setdefault(check_id, []).append(review)
    flagged = flagged_checks(session, ids)
    claims = {
        claim.check_id: claim
        for claim in session.exec(
            select(ReviewClaim).where(
                col(ReviewClaim.check_id).in_(ids), col(ReviewClaim.expires_at) > utc_now()
            )
        )
    }
    for row in rows:
        check_id = row.check.id or 0
        row.outcome = current_outcome(row.check, verdicts.get(check_id, []))
        done = judged.get(check_id, set())
        row.needs = missing_judgements(
            check=row.check, judged=done, outcome=row.outcome, unlisted=check_id in flagged
        )
        row.claim = claims.get(check_id)


def missing_judgements(
    *,
    check: Check,
    judged: set[str],
    outcome: str | None = None,
    superseded: bool = False,
    unlisted: bool = False,
) -> list[str]:
    """What the check still asks of an operator; `outcome` is the one after a verdict (default:
    the automatic one), `superseded` says a newer attempt on the contact made a failure moot,
    `unlisted` that it found contacts the directory lacks (storage.published)."""
    outcome = outcome or check.outcome
    fields = owned_judgements().get(outcome or "")
    directory = [DIRECTORY_FIELD] if unlisted and DIRECTORY_FIELD not in judged else []
    if fields:
        return [name for name in fields if name not in judged] + directory
    if outcome in failed_outcomes() and ReviewField.VERDICT.value not in judged and not superseded:
        return [ReviewField.VERDICT.value, *directory]
    return directory


# --- campaigns (storage/progress.py; imported from here by older callers) ---------------------

from storage.progress import CampaignProgress as CampaignProgress  # noqa: E402
from storage.progress import campaign_progress as campaign_progress  # noqa: E402

# --- organisations and checks -----------------------------------------------------------------


def organisation_checks(
    *, session: Session, organisation_id: int, limit: int = 500
) -> Sequence[Check]:
    return session.exec(
        select(Check)
        .where(Check.organisation_id == organisation_id)
        .order_by(col(Check.id).desc())
        .limit(limit)
    ).all()


@dataclass
class CheckDetail:
    check: Check
    organisation: Organisation
    contact: Contact
    campaign: Campaign | None
    events: Sequence[CheckEvent]
    reviews: Sequence[Review]
    messages: Sequence[InboundMessage]
    current: dict[str, Review]  # the newest review of each field
    needs: list[str]
    outcome: str | None = None  # the outcome after the operator's verdict, if any
    applicable: tuple[str, ...] = ()  # the judgements that outcome admits
    next_attempt_id: int | None = None  # the retry or re-queue that followed it


def check_detail(*, session: Session, check_id: int) -> CheckDetail | None:
    check = session.get(Check, check_id)
    if check is None:
        return None
    organisation = session.get(Organisation, check.organisation_id)
    contact = session.get(Contact, check.contact_id)
    assert organisation is not None and contact is not None
    campaign = session.get(Campaign, check.campaign_id) if check.campaign_id else None
    events = session.exec(
        select(CheckEvent).where(CheckEvent.check_id == check_id).order_by(col(CheckEvent.id))
    ).all()
    reviews = session.exec(
        select(Review).where(Review.check_id == check_id).order_by(col(Review.id))
    ).all()
    messages = session.exec(
        select(InboundMessage)
        .where(InboundMessage.check_id == check_id)
        .order_by(col(InboundMessage.received_at), col(InboundMessage.id))
    ).all()
    current = {review.field: review for review in reviews}
    outcome = current_outcome(check, reviews)
    newer = newer_attempt(session=session, check=check)
    unlisted = any(event.kind == UNLISTED_EVENT for event in events)
    return CheckDetail(
        check=check,
        organisation=organisation,
        contact=contact,
        campaign=campaign,
        events=events,
        reviews=reviews,
        messages=messages,
        current=current,
        needs=missing_judgements(
            check=check,
            judged={f for f, r in current.items() if judges_everyone(f, r.value)},
            outcome=outcome,
            superseded=newer is not None,
            unlisted=unlisted,
        ),
        outcome=outcome,
        applicable=applicable_judgements(outcome) + ((DIRECTORY_FIELD,) if unlisted else ()),
        next_attempt_id=newer.id if newer is not None else None,
    )


def list_regions(*, session: Session) -> list[str]:
    """The region codes organisations are in, for the queue's region filter."""
    found = session.exec(select(Organisation.region).distinct().order_by(Organisation.region))
    return [region for region in found.all() if region]


def set_campaign_status(*, session: Session, campaign: Campaign, status: str, actor: str) -> None:
    """An administrator pauses, resumes or cancels a campaign; the planner reads the status."""
    if status not in CAMPAIGN_STATUSES:
        raise ValueError(
            f"unknown campaign status {status!r}; one of: {', '.join(CAMPAIGN_STATUSES)}"
        )
    before = {"status": campaign.status}
    campaign.status = status
    campaign.updated_at = utc_now()
    session.add(campaign)
    write_audit(
        session=session,
        actor=actor,
        action="campaign_status",
        entity="campaign",
        entity_id=str(campaign.id),
        before=before,
        after={"status": status},
    )


CAMPAIGN_STATUSES = ("draft", "running", "paused", "done", "cancelled")

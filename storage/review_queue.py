"""Keyword-only queries behind the review UI: the queue of checks needing a human, campaign
progress, an organisation's history, one check with its evidence, and contact corrections.

The queue is paged by keyset (the check id), never by OFFSET: the first page and the
thousandth cost the same on a million checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from probe.channels import outcomes_where
from probe.results import CheckStatus, utc_now
from probe.reviews import ReviewField, judges_everyone
from storage.audit import write_audit
from storage.checks import newer_attempt
from storage.judgements import applicable_judgements, current_outcome, owned_judgements
from storage.models import (
    Campaign,
    Check,
    CheckEvent,
    Contact,
    InboundMessage,
    Organisation,
    Review,
)
from storage.published import EVENT as UNLISTED_EVENT
from storage.published import FIELD as DIRECTORY_FIELD
from storage.published import flagged_checks, needs_directory_check


def failed_outcomes() -> frozenset[str]:
    """Failures an operator must look at (the channels' `verdict` outcomes): the organisation's
    side, final (no newer attempt pending)."""
    return outcomes_where(lambda o: o.verdict)


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


@dataclass
class QueueRow:
    check: Check
    organisation: Organisation
    contact: Contact
    campaign: Campaign | None
    # What the operator is asked for: "verdict" for a failure, or the missing judgements.
    needs: list[str] = field(default_factory=list)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_after: int | None  # pass as `after` for the next page; None on the last page


def _judged(fields: tuple[str, ...]) -> Any:
    """How many of `fields` have a review on the outer check.

    A scalar subquery, not NOT EXISTS: under an OR, PostgreSQL turns NOT EXISTS into a hashed
    subplan that reads the whole review table; a scalar subquery stays an index probe per row.
    """
    return (
        select(func.count(func.distinct(Review.field)))
        .where(
            col(Review.check_id) == col(Check.id),
            col(Review.field).in_(fields),
            _judges_everyone(),
        )
        .scalar_subquery()
    )


def _judges_everyone() -> ColumnElement[bool]:
    """probe.reviews.judges_everyone in SQL: an etiquette review with an empty item (stored
    without spaces: "full,,none") leaves a person who answered not judged.

    Any such review counts, not only the newest: a complete review followed by a partial one
    takes the check out of the queue, while the check page (the newest review) still asks.
    """
    value = col(Review.value)
    return or_(
        col(Review.field) != ReviewField.ETIQUETTE.value,
        ~or_(value.startswith(","), value.endswith(","), value.contains(",,")),
    )


def _superseded() -> ColumnElement[bool]:
    # A newer attempt on the same contact in the same campaign (a retry or a re-queue) means
    # this failure is not the last word yet.
    newer = aliased(Check)
    return exists().where(
        col(newer.contact_id) == col(Check.contact_id),
        col(newer.campaign_id).is_not_distinct_from(col(Check.campaign_id)),
        col(newer.id) > col(Check.id),
    )


def needs_human() -> ColumnElement[bool]:
    """The condition that puts a check in the review queue."""
    failed = and_(
        col(Check.outcome).in_(sorted(failed_outcomes())),
        _judged((ReviewField.VERDICT.value,)) == 0,
        ~_superseded(),
    )
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for outcome, fields in owned_judgements().items():
        by_fields.setdefault(fields, []).append(outcome)
    to_judge = [
        and_(col(Check.outcome).in_(outcomes), _judged(fields) < len(fields))
        for fields, outcomes in by_fields.items()
    ]
    return and_(
        col(Check.status) == CheckStatus.DONE.value,
        or_(failed, *to_judge, needs_directory_check()),
    )


def _filtered(query: Any, filters: QueueFilter) -> Any:
    if filters.campaign_id is not None:
        query = query.where(col(Check.campaign_id) == filters.campaign_id)
    if filters.organisation_id is not None:
        query = query.where(col(Check.organisation_id) == filters.organisation_id)
    if filters.region:
        in_region = select(Organisation.id).where(col(Organisation.region) == filters.region)
        query = query.where(col(Check.organisation_id).in_(in_region))
    if filters.channel:
        query = query.where(col(Check.channel) == filters.channel)
    if filters.outcome:
        query = query.where(col(Check.outcome) == filters.outcome)
    if filters.finished_after is not None:
        query = query.where(col(Check.finished_at) >= filters.finished_after)
    if filters.finished_before is not None:
        query = query.where(col(Check.finished_at) < filters.finished_before)
    return query


def review_queue(
    *, session: Session, filters: QueueFilter, after: int | None = None, limit: int = 50
) -> QueuePage:
    """One page of checks needing a human, newest (or oldest) first, after check id `after`."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE}, not {limit}")
    # The checks alone first, then their organisations, contacts and campaigns by id: with
    # the joins in one statement PostgreSQL misjudges the LIMIT and loops over whole tables.
    query = _filtered(select(Check).where(needs_human()), filters)
    if filters.order == "old":
        if after is not None:
            query = query.where(col(Check.id) > after)
        query = query.order_by(col(Check.id).asc())
    else:
        if after is not None:
            query = query.where(col(Check.id) < after)
        query = query.order_by(col(Check.id).desc())
    checks = list(session.exec(query.limit(limit + 1)).all())
    more = len(checks) > limit
    rows = _rows(session=session, checks=checks[:limit])
    _fill_needs(session=session, rows=rows)
    return QueuePage(rows=rows, next_after=rows[-1].check.id if more and rows else None)


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
    for check_id, field_name, value in session.exec(
        select(Review.check_id, Review.field, Review.value).where(col(Review.check_id).in_(ids))
    ).all():
        if check_id is not None and judges_everyone(field_name, value):
            judged.setdefault(check_id, set()).add(field_name)
    flagged = flagged_checks(session, ids)
    for row in rows:
        done = judged.get(row.check.id or 0, set())
        row.needs = missing_judgements(
            check=row.check, judged=done, unlisted=row.check.id in flagged
        )


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


# --- campaigns --------------------------------------------------------------------------------


@dataclass
class CampaignProgress:
    campaign: Campaign
    total: int = 0
    done: int = 0
    in_flight: int = 0  # claimed by a worker now
    waiting: int = 0  # sent, waiting for something external (an e-mail reply)
    planned: int = 0
    failed: int = 0  # done with a failure on the organisation's side
    by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    by_outcome: Counter[str] = field(default_factory=Counter)


def campaign_progress(*, session: Session) -> list[CampaignProgress]:
    """Every campaign with its checks counted by status, channel and outcome."""
    campaigns = session.exec(select(Campaign).order_by(col(Campaign.id).desc())).all()
    progress = {c.id: CampaignProgress(campaign=c) for c in campaigns}
    columns = (
        col(Check.campaign_id),
        col(Check.channel),
        col(Check.status),
        col(Check.outcome),
    )
    grouped = session.execute(
        sa_select(*columns, func.count()).where(columns[0].is_not(None)).group_by(*columns)
    ).all()
    for campaign_id, channel, status, outcome, count in grouped:
        item = progress.get(campaign_id)
        if item is not None:
            _count(item, channel=channel, status=status, outcome=outcome, count=count)
    return list(progress.values())


def _count(
    item: CampaignProgress, *, channel: str, status: str, outcome: str | None, count: int
) -> None:
    item.total += count
    slot = {
        CheckStatus.DONE.value: "done",
        CheckStatus.RUNNING.value: "in_flight",
        CheckStatus.WAITING.value: "waiting",
        CheckStatus.PLANNED.value: "planned",
    }.get(status)
    if slot is not None:
        setattr(item, slot, getattr(item, slot) + count)
    if status == CheckStatus.DONE.value and outcome in failed_outcomes():
        item.failed += count
    item.by_channel.setdefault(channel, Counter())[status] += count
    if outcome is not None:
        item.by_outcome[outcome] += count


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


# --- contact corrections ----------------------------------------------------------------------

CORRECTION_KINDS = ("wrong", "outdated")


class CorrectionError(ValueError):
    """A refused contact correction; the message says exactly why."""


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "raw": contact.raw,
        "value": contact.value,
        "extension": contact.extension,
        "active": contact.active,
        "superseded_by_id": contact.superseded_by_id,
    }


def correct_contact(
    *,
    session: Session,
    contact: Contact,
    kind: str,
    raw: str,
    value: str,
    extension: str | None,
    actor: str,
    reason: str = "",
) -> Contact:
    """Replace a wrong or outdated contact by a new one; the old one stays, pointing to it.

    `value` is the normalised form (E.164 or lower-cased address) the caller parsed from `raw`.
    """
    key = value + (f";ext={extension}" if extension else "")
    _check_correction(session=session, contact=contact, kind=kind, key=key)
    before = _contact_snapshot(contact)
    now = utc_now()
    new = Contact(
        organisation_id=contact.organisation_id,
        channel=contact.channel,
        key=key,
        raw=raw,
        value=value,
        extension=extension,
        label=contact.label,
        is_fax=contact.is_fax,
        position=contact.position,
        source=f"operator correction by {actor}",
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    contact.active = False
    contact.superseded_by_id = new.id
    contact.updated_at = now
    session.add(contact)
    after = _contact_snapshot(contact) | {"new_contact_id": new.id, "new_key": key}
    write_audit(
        session=session,
        actor=actor,
        action=f"correct_{kind}",
        entity="contact",
        entity_id=str(contact.id),
        before=before,
        after=after | {"reason": reason},
    )
    return new


def _check_correction(*, session: Session, contact: Contact, kind: str, key: str) -> None:
    """Refuse an unknown kind, a contact already replaced, or a key the organisation has."""
    if kind not in CORRECTION_KINDS:
        raise CorrectionError(f"unknown correction {kind!r}; one of: {', '.join(CORRECTION_KINDS)}")
    if not contact.active or contact.superseded_by_id is not None:
        raise CorrectionError(f"contact {contact.id} is no longer active: correct the current one")
    clash = session.exec(
        select(Contact).where(
            Contact.organisation_id == contact.organisation_id,
            Contact.channel == contact.channel,
            Contact.key == key,
        )
    ).first()
    if clash is not None:
        raise CorrectionError(f"the organisation already has this contact: {key} (#{clash.id})")


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

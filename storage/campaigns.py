"""Keyword-only queries for planning and running campaigns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from probe.channels import our_failure_outcomes
from probe.results import CheckStatus, utc_now
from storage import needs_review, tally
from storage.models import Campaign, Check, CheckEvent, Contact, Organisation
from storage.planning import (
    ContactInput,
    History,
    OrganisationInput,
    PlannedAttempt,
    Selection,
)

ACTIVE_CAMPAIGN = ("running",)


def select_organisations(*, session: Session, selection: Selection) -> Sequence[Organisation]:
    query = select(Organisation).where(col(Organisation.active).is_(True))
    if not selection.all:
        conditions: list[Any] = []
        if selection.region:
            conditions.append(col(Organisation.region).in_(selection.region))
        if selection.kind:
            conditions.append(col(Organisation.kind).in_(selection.kind))
        if selection.ids:
            conditions.append(col(Organisation.id).in_(selection.ids))
        for name in selection.names:
            conditions.append(col(Organisation.name).ilike(f"%{name}%"))
        query = query.where(or_(*conditions))
    return session.exec(query.order_by(col(Organisation.id))).all()


def plan_inputs(
    *, session: Session, organisations: Sequence[Organisation], channels: Sequence[str]
) -> list[OrganisationInput]:
    ids = [o.id for o in organisations]
    contacts = session.exec(
        select(Contact).where(
            col(Contact.organisation_id).in_(ids),
            col(Contact.channel).in_(list(channels)),
            col(Contact.active).is_(True),
            col(Contact.value).is_not(None),
            col(Contact.is_fax).is_(False),
            col(Contact.held).is_(None),  # shared with another organisation, not confirmed
        )
    ).all()
    by_org: dict[int, list[ContactInput]] = {}
    for contact in contacts:
        assert contact.id is not None
        by_org.setdefault(contact.organisation_id, []).append(
            ContactInput(contact.id, contact.channel, contact.position)
        )
    return [
        OrganisationInput(
            id=o.id or 0,
            timezone=o.timezone,
            hours=o.hours,
            # Unknown hours fall back to the region's default: one text, several schedules.
            hours_key=f"{o.region}|{o.hours_raw}",
            contacts=tuple(by_org.get(o.id or 0, ())),
        )
        for o in organisations
    ]


def bulk_insert_attempts(
    *, session: Session, campaign_id: int, attempts: Sequence[PlannedAttempt]
) -> int:
    """Planned checks and their first timeline line, in two statements (large campaigns)."""
    if not attempts:
        return 0
    now = utc_now()
    rows = [
        {
            "campaign_id": campaign_id,
            "organisation_id": a.organisation_id,
            "contact_id": a.contact_id,
            "channel": a.channel,
            "status": CheckStatus.PLANNED.value,
            "attempt": 1,
            "historical": False,
            "planned_at": a.planned_at,
            "timings_ms": {},
            "details": {},
            "evidence": [],
            "created_at": now,
            "updated_at": now,
        }
        for a in attempts
    ]
    ids = session.scalars(
        insert(Check).returning(col(Check.id), sort_by_parameter_order=True), rows
    ).all()
    session.execute(
        insert(CheckEvent),
        [
            {"check_id": check_id, "kind": "planned", "message": a.reason, "at": now, "data": {}}
            for check_id, a in zip(ids, attempts, strict=True)
        ],
    )
    tally.inserted(session, rows)
    needs_review.refresh_attempts_before(
        session, campaign_id, (a.contact_id for a in attempts), min(i or 0 for i in ids)
    )
    return len(rows)


def _planned_in_active_campaigns() -> SelectOfScalar[Check]:
    """Planned checks of the campaigns that run (the runner's work)."""
    return (
        select(Check)
        .join(Campaign, col(Campaign.id) == col(Check.campaign_id))
        .where(
            col(Campaign.status).in_(ACTIVE_CAMPAIGN),
            col(Check.status) == CheckStatus.PLANNED.value,
        )
    )


def due_checks(*, session: Session, now: datetime, limit: int = 100) -> Sequence[Check]:
    return session.exec(
        _planned_in_active_campaigns()
        .where(col(Check.planned_at).is_not(None), col(Check.planned_at) <= now)
        .order_by(col(Check.planned_at), col(Check.id))
        .limit(limit)
    ).all()


def unplaced_checks(*, session: Session, limit: int = 100) -> Sequence[Check]:
    """Planned checks without an instant yet (re-queued by an operator)."""
    return session.exec(
        _planned_in_active_campaigns().where(col(Check.planned_at).is_(None)).limit(limit)
    ).all()


def claim_check(
    *, session: Session, check_id: int, worker: str, lease_until: datetime, now: datetime
) -> bool:
    """Take a planned check for this worker; False when another one took it first."""
    taken = session.execute(
        update(Check)
        .where(col(Check.id) == check_id, col(Check.status) == CheckStatus.PLANNED.value)
        .values(
            status=CheckStatus.RUNNING.value,
            claimed_by=worker,
            claimed_until=lease_until,
            started_at=now,
            updated_at=now,
        )
        .returning(*tally.returning())
    ).all()
    tally.move_status(session, taken, CheckStatus.PLANNED.value, CheckStatus.RUNNING.value)
    return len(taken) == 1


def running_checks(*, session: Session) -> Sequence[Check]:
    return session.exec(select(Check).where(col(Check.status) == CheckStatus.RUNNING.value)).all()


def organisation_history(
    *, session: Session, campaign_id: int, organisation_id: int, channel: str
) -> History:
    history = History()
    checks = session.exec(
        select(Check).where(
            col(Check.campaign_id) == campaign_id,
            col(Check.organisation_id) == organisation_id,
            col(Check.channel) == channel,
        )
    ).all()
    ours = our_failure_outcomes()
    for check in checks:
        history.tried.add(check.contact_id)
        if check.status == CheckStatus.PLANNED.value:
            assert check.id is not None
            history.planned[check.contact_id] = (check.id, check.planned_at)
            continue
        if check.outcome is None or check.status == CheckStatus.CANCELLED.value:
            continue
        target = (
            history.our_failures_by_contact
            if check.outcome in ours
            else history.attempts_by_contact
        )
        target[check.contact_id] = target.get(check.contact_id, 0) + 1
    return history


def day_count(
    *, session: Session, campaign_id: int, organisation_id: int, start: datetime, end: datetime
) -> int:
    """Attempts on one organisation planned or made in [start, end) (a local day)."""
    instant = func.coalesce(Check.started_at, Check.planned_at)
    return _count_checks(
        session,
        col(Check.campaign_id) == campaign_id,
        col(Check.organisation_id) == organisation_id,
        col(Check.status) != CheckStatus.CANCELLED.value,
        instant >= start,
        instant < end,
    )


def _count_checks(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.exec(select(func.count()).select_from(Check).where(*where)).one())


def busy_instants(*, session: Session, campaign_id: int, organisation_id: int) -> list[datetime]:
    """Instants of the organisation's attempts not yet started, for the quiet period."""
    rows = session.exec(
        select(Check.planned_at).where(
            col(Check.campaign_id) == campaign_id,
            col(Check.organisation_id) == organisation_id,
            col(Check.status) == CheckStatus.PLANNED.value,
            col(Check.planned_at).is_not(None),
        )
    ).all()
    return sorted(r for r in rows if r is not None)


def campaign_progress(*, session: Session, campaign_id: int) -> dict[str, Any]:
    rows = session.exec(
        select(Check.channel, Check.status, Check.outcome, func.count())
        .where(col(Check.campaign_id) == campaign_id)
        .group_by(col(Check.channel), col(Check.status), col(Check.outcome))
    ).all()
    by_status: Counter[str] = Counter()
    by_outcome: dict[str, Counter[str]] = {}
    for channel, status, outcome, count in rows:
        by_status[status] += count
        if outcome:
            by_outcome.setdefault(channel, Counter())[outcome] += count
    return {
        "total": sum(by_status.values()),
        "by_status": dict(by_status),
        "by_outcome": {k: dict(v) for k, v in by_outcome.items()},
    }


def open_work(*, session: Session, campaign_id: int) -> int:
    """Checks still planned, running or waiting: zero means the campaign is done."""
    open_statuses = [
        CheckStatus.PLANNED.value,
        CheckStatus.RUNNING.value,
        CheckStatus.WAITING.value,
    ]
    return _count_checks(
        session, col(Check.campaign_id) == campaign_id, col(Check.status).in_(open_statuses)
    )


def any_waiting(*, session: Session, campaign_ids: list[int], channels: set[str]) -> bool:
    """Whether a check of these channels waits in these campaigns."""
    found = session.exec(
        select(Check.id)
        .where(
            col(Check.campaign_id).in_(campaign_ids),
            col(Check.channel).in_(list(channels)),
            Check.status == CheckStatus.WAITING.value,
        )
        .limit(1)
    ).first()
    return found is not None


def set_campaign_status(*, session: Session, campaign: Campaign, status: str) -> None:
    campaign.status = status
    campaign.updated_at = utc_now()
    session.add(campaign)


def cancel_planned(*, session: Session, campaign_id: int) -> int:
    cancelled = session.execute(
        update(Check)
        .where(
            col(Check.campaign_id) == campaign_id,
            col(Check.status) == CheckStatus.PLANNED.value,
        )
        .values(status=CheckStatus.CANCELLED.value, updated_at=utc_now())
        .returning(*tally.returning())
    ).all()
    tally.move_status(session, cancelled, CheckStatus.PLANNED.value, CheckStatus.CANCELLED.value)
    return len(cancelled)


def all_campaigns(*, session: Session) -> Sequence[Campaign]:
    return session.exec(select(Campaign).order_by(col(Campaign.id))).all()


POLICY_EVENT = "policy"

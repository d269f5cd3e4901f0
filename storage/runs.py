"""Keyword-only queries the runner and the queue workers make while executing checks: what runs
now (for the capacity gate), a campaign's spec and its organisations' contacts, a channel's
last results and audit rows (for the outage watch), the advisory lock that serialises them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from probe.results import CheckStatus
from storage.models import AuditLog, Campaign, Check, Contact, Organisation


def running_count(
    *, session: Session, campaign_id: int | None = None, channel: str | None = None
) -> int:
    """Checks `running` (anywhere: any worker, any machine), in a campaign or on a channel."""
    conditions: list[Any] = [col(Check.status) == CheckStatus.RUNNING.value]
    if campaign_id is not None:
        conditions.append(col(Check.campaign_id) == campaign_id)
    if channel is not None:
        conditions.append(col(Check.channel) == channel)
    return int(session.exec(select(func.count()).select_from(Check).where(*conditions)).one())


def last_call_end(
    *, session: Session, campaign_id: int, organisation_id: int, channels: Collection[str]
) -> datetime | None:
    """When the campaign's last call (on any of `channels`) to the organisation ended."""
    return session.exec(
        select(func.max(Check.finished_at)).where(
            col(Check.campaign_id) == campaign_id,
            col(Check.organisation_id) == organisation_id,
            col(Check.channel).in_(list(channels)),
        )
    ).one()


def oldest_recent_start(
    *, session: Session, channel: str, now: datetime, count: int
) -> datetime | None:
    """The oldest of the channel's last `count` starts when they all fall within the minute
    before `now` (the rate is full until it ages out); None when the minute has room."""
    starts = session.exec(
        select(Check.started_at)
        .where(
            col(Check.channel) == channel,
            col(Check.started_at) >= now - timedelta(minutes=1),
            col(Check.status).in_(
                [CheckStatus.RUNNING.value, CheckStatus.WAITING.value, CheckStatus.DONE.value]
            ),
        )
        .order_by(col(Check.started_at).desc())
        .limit(count)
    ).all()
    if len(starts) < count:
        return None
    return min(s for s in starts if s is not None)


def running_campaigns(*, session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).where(col(Campaign.status) == "running")))


def campaign_spec_data(*, session: Session, campaign_id: int) -> dict[str, Any]:
    """A campaign's stored spec (validated by the caller: storage knows no spec model)."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    return dict(campaign.spec)


def probeable_contacts(
    *, session: Session, organisation_id: int, channel: str
) -> tuple[Organisation, Sequence[Contact]]:
    """The organisation and its contacts on one channel that may be probed."""
    org = session.get(Organisation, organisation_id)
    assert org is not None and org.id is not None
    rows = session.exec(
        select(Contact).where(
            col(Contact.organisation_id) == organisation_id, col(Contact.channel) == channel
        )
    )
    return org, [c for c in rows if c.probeable]


def advisory_lock(*, session: Session, key: int) -> None:
    """A PostgreSQL transaction-level advisory lock (several workers); nothing on SQLite,
    where one process runs the checks."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def audit_rows(
    *, session: Session, entity: str, entity_id: str, actions: Collection[str], limit: int
) -> list[AuditLog]:
    """An entity's newest audit rows of the given actions, newest first."""
    return list(
        session.exec(
            select(AuditLog)
            .where(
                col(AuditLog.entity) == entity,
                col(AuditLog.entity_id) == entity_id,
                col(AuditLog.action).in_(list(actions)),
            )
            .order_by(col(AuditLog.id).desc())
            .limit(limit)
        ).all()
    )


def last_results(
    *, session: Session, channel: str, count: int, since: datetime | None = None
) -> list[tuple[int, str | None]]:
    """(check id, outcome) of the channel's last `count` results (finished after `since`)."""
    query = select(Check.id, Check.outcome).where(
        col(Check.channel) == channel,
        col(Check.status).in_([CheckStatus.DONE.value, CheckStatus.WAITING.value]),
        col(Check.finished_at).is_not(None),
    )
    if since is not None:
        query = query.where(col(Check.finished_at) > since)
    rows = session.exec(
        query.order_by(col(Check.finished_at).desc(), col(Check.id).desc()).limit(count)
    ).all()
    return [(int(i or 0), o) for i, o in rows]

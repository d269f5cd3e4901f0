"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import AuditLog


def write_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditLog:
    row = AuditLog(
        actor=actor, action=action, entity=entity, entity_id=entity_id, before=before, after=after
    )
    session.add(row)
    return row


def list_audit(
    *, session: Session, entity: str | None = None, limit: int = 100
) -> Sequence[AuditLog]:
    query = select(AuditLog)
    if entity:
        query = query.where(AuditLog.entity == entity)
    return session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit)).all()


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None  # at or after
    until: datetime | None = None  # before


@dataclass
class AuditPage:
    rows: list[AuditLog]
    total: int
    next_after: int | None  # older rows: pass as `after`
    prev_before: int | None  # newer rows: pass as `before`


def _audit_filtered(query: Any, filters: AuditFilter) -> Any:
    for column, value in (
        (AuditLog.actor, filters.actor),
        (AuditLog.action, filters.action),
        (AuditLog.entity, filters.entity),
        (AuditLog.entity_id, filters.entity_id),
    ):
        if value:
            query = query.where(col(column) == value)
    if filters.since is not None:
        query = query.where(col(AuditLog.at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(AuditLog.at) < filters.until)
    return query


def audit_page(
    *,
    session: Session,
    filters: AuditFilter,
    after: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """One page of the audit log, newest first, paged by id (after: older than; before: newer
    than), with the filtered total."""
    base = _audit_filtered(select(AuditLog), filters)
    if before is not None:
        found = session.exec(
            base.where(col(AuditLog.id) > before).order_by(col(AuditLog.id)).limit(limit + 1)
        ).all()
        newer, older, rows = len(found) > limit, True, list(found[:limit])[::-1]
    else:
        query = base.where(col(AuditLog.id) < after) if after is not None else base
        found = session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit + 1)).all()
        older, rows = len(found) > limit, list(found[:limit])
        newer = after is not None and bool(rows)
        if newer:
            newest = base.where(col(AuditLog.id) > rows[0].id).limit(1)
            newer = session.exec(newest).first() is not None
    count = _audit_filtered(sa_select(func.count()).select_from(AuditLog), filters)
    return AuditPage(
        rows=rows,
        total=int(session.execute(count).scalar_one()),
        next_after=rows[-1].id if older and rows else None,
        prev_before=rows[0].id if newer and rows else None,
    )


def audit_values(*, session: Session) -> tuple[list[str], list[str], list[str]]:
    """The actors, actions and entities the log holds, for the page's filters."""

    def distinct(column: Any) -> list[str]:
        return [v for v in session.exec(select(column).distinct().order_by(column)).all() if v]

    return distinct(AuditLog.actor), distinct(AuditLog.action), distinct(AuditLog.entity)

"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

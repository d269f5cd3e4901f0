"""A check's timeline: one row per thing that happened to it. Channels add notes here (an
auto-reply, a delay notice, a late message); a check's outcome is stored by the engine only
(storage.checks.record_result, through schedules/completion.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from probe.results import utc_now
from storage.models import Check, CheckEvent


def add_event(
    *,
    session: Session,
    check: Check,
    kind: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CheckEvent:
    assert check.id is not None
    event = CheckEvent(
        check_id=check.id, kind=kind, message=message, data=data or {}, at=at or utc_now()
    )
    session.add(event)
    return event

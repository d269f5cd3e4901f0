"""A waiting letter's final outcome (replied, bounced, auto_replied, no_reply) handed to the
engine: the check as it was sent, completed with what the reply or the window's end adds, as
one `CheckResult` for the `ResultSink` (the engine stores it; the channel never does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from probe.results import CheckResult, CheckStatus, EvidenceRef, ResultSink
from storage.models import Check

# The details a final outcome's timeline event carries.
EVENT_DETAILS = ("match_method", "weak_match", "bounce")


def deliver_final(
    sink: ResultSink,
    session: Session,
    check: Check,
    outcome: str,
    *,
    finished_at: datetime,
    details: dict[str, Any],
    timings_ms: dict[str, float] | None = None,
    message: str = "",
) -> None:
    """End a waiting e-mail check through the engine, in the caller's session."""
    if check.status != CheckStatus.WAITING.value:
        raise ValueError(f"check {check.id} is {check.status}, not waiting")
    assert check.id is not None and check.started_at is not None
    result = CheckResult(
        channel=check.channel,
        outcome=outcome,
        started_at=check.started_at,
        finished_at=finished_at,
        timings_ms={**(check.timings_ms or {}), **(timings_ms or {})},
        error_class=check.error_class,
        error_detail=check.error_detail,
        details={**(check.details or {}), **details},
        evidence=[EvidenceRef.model_validate(e) for e in check.evidence or []],
    )
    event_data = {k: v for k, v in details.items() if k in EVENT_DETAILS}
    sink.deliver(session, check.id, result, note=message, event_data=event_data)

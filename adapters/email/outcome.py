"""A waiting letter's final outcome (replied, bounced, auto_replied, no_reply) handed to the
engine: the check as it was sent, completed with what the reply or the window's end adds, as
one `CheckResult` for the `ResultSink` (the engine stores it; the channel never does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from adapters.email.names import CHANNEL, Outcome
from probe.channels import mail_reply_channels
from probe.results import CheckResult, CheckStatus, EvidenceRef, ResultSink
from storage.models import Check

# The details a final outcome's timeline event carries.
EVENT_DETAILS = ("match_method", "weak_match", "bounce")


def declared_outcome(channel: str, outcome: str) -> str:
    """A letter's outcome, or for another channel's follow-up answered by mail the outcome its
    channel declares (probe.channels.MailReply): a reply is `replied`; silence, an auto-reply
    alone or a bounce at the reply window's end, `unanswered`."""
    if channel == CHANNEL:
        return outcome
    declared = mail_reply_channels()[channel]
    return declared.replied if outcome == Outcome.REPLIED else declared.unanswered


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
    """End a waiting e-mail check (or a follow-up answered by mail) through the engine, in the
    caller's session."""
    if check.status != CheckStatus.WAITING.value:
        raise ValueError(f"check {check.id} is {check.status}, not waiting")
    assert check.id is not None and check.started_at is not None
    result = CheckResult(
        channel=check.channel,
        outcome=declared_outcome(check.channel, outcome),
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

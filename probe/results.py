"""The one result model shared by every channel.

A check is one attempt on one contact. Whatever the channel, its result is an outcome from one
vocabulary, the instants it was planned/started/finished, named phase timings, the class of error
when the failure was ours, channel-specific details as JSON, and references to stored evidence.
A new channel fills these in; it never needs a new column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    # A channel that exists only for tests of the engine, campaigns and scale-out.
    TEST = "test"


class Outcome(StrEnum):
    # e-mail
    REPLIED = "replied"
    AUTO_REPLIED = "auto_replied"
    BOUNCED = "bounced"
    NO_REPLY = "no_reply"
    SEND_FAILED = "send_failed"
    # phone
    CONNECTED = "connected"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    ANSWERING_MACHINE = "answering_machine"
    FAILED = "failed"
    # any channel: the check was started but its fate is unknown (crash); resolved later
    UNKNOWN = "unknown"


EMAIL_OUTCOMES = frozenset(
    {Outcome.REPLIED, Outcome.AUTO_REPLIED, Outcome.BOUNCED, Outcome.NO_REPLY, Outcome.SEND_FAILED}
)
PHONE_OUTCOMES = frozenset(
    {
        Outcome.CONNECTED,
        Outcome.BUSY,
        Outcome.NO_ANSWER,
        Outcome.UNAVAILABLE,
        Outcome.REJECTED,
        Outcome.ANSWERING_MACHINE,
        Outcome.FAILED,
    }
)
OUTCOMES_BY_CHANNEL: dict[Channel, frozenset[Outcome]] = {
    Channel.EMAIL: EMAIL_OUTCOMES | {Outcome.UNKNOWN},
    Channel.PHONE: PHONE_OUTCOMES | {Outcome.UNKNOWN},
    Channel.TEST: frozenset(Outcome),
}

# Outcomes that say the organisation was reachable on this contact.
SUCCESS_OUTCOMES = frozenset({Outcome.REPLIED, Outcome.CONNECTED})
# Outcomes caused by our side (trunk down, SMTP auth failing, a crash): never held against the
# organisation; retried by the attempt policy and counted as our failures in the metrics.
OUR_FAILURE_OUTCOMES = frozenset({Outcome.SEND_FAILED, Outcome.FAILED, Outcome.UNKNOWN})
# Our failures that say something about the channel itself, for the outage watch: UNKNOWN (the
# fate of a check after a crash of ours) is our failure but says nothing about the trunk or the
# SMTP account, so it neither extends nor breaks a streak.
CHANNEL_FAILURE_OUTCOMES = OUR_FAILURE_OUTCOMES - {Outcome.UNKNOWN}


class CheckStatus(StrEnum):
    """Where a check is in its life; the outcome says how it ended."""

    PLANNED = "planned"  # waiting for its window
    RUNNING = "running"  # claimed by a worker, in flight
    WAITING = "waiting"  # sent, waiting for something external (an e-mail reply)
    DONE = "done"  # outcome final
    CANCELLED = "cancelled"


class EvidenceRef(BaseModel):
    """A pointer to a stored piece of evidence (raw message, SIP trace, recording).

    `path` is stored relative to the data folder (evidence_path_in), so a data folder copied,
    restored or mounted elsewhere still finds its files."""

    kind: str  # "eml", "sip_trace", "recording", ...
    path: str
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None


def evidence_path_in(data_dir: Path, path: Path | str) -> str:
    """`path` as stored: relative to the data folder when it lies under it (a relative data
    folder and path both taken from the working directory), else as given."""
    candidate, base = Path(path).absolute(), data_dir.absolute()
    return str(candidate.relative_to(base)) if candidate.is_relative_to(base) else str(path)


def utc_now() -> datetime:
    """Now, on the process's clock: the real one, or the sandbox's compressed one."""
    from probe.clock import current_clock

    return current_clock().now()


def _require_aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("instants must be timezone-aware (UTC)")
    return value.astimezone(UTC) if value is not None else None


class CheckResult(BaseModel):
    """What a channel returns for one check. The runner stores it; nothing else does."""

    channel: Channel
    # None only while `pending`: an e-mail was accepted and its reply is still awaited.
    outcome: Outcome | None
    pending: bool = False
    started_at: datetime
    finished_at: datetime | None = None
    # Phase name -> milliseconds, measured with a monotonic clock (e.g. "connect", "pdd", "ring").
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Set only when the failure is ours (e.g. "smtp_auth", "sip_trunk_timeout"), never the org's.
    error_class: str | None = None
    error_detail: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    evidence: list[EvidenceRef] = Field(default_factory=list)

    @field_validator("started_at", "finished_at")
    @classmethod
    def _instants_are_utc(cls, value: datetime | None) -> datetime | None:
        return _require_aware(value)

    @field_validator("outcome")
    @classmethod
    def _outcome_fits_channel(cls, outcome: Outcome | None, info: Any) -> Outcome | None:
        channel = info.data.get("channel")
        if outcome is None:
            return outcome
        if channel is not None and outcome not in OUTCOMES_BY_CHANNEL[channel]:
            raise ValueError(
                f"outcome {outcome.value!r} does not belong to channel {channel.value!r}"
            )
        return outcome

    @model_validator(mode="after")
    def _final_results_have_an_outcome(self) -> CheckResult:
        if self.outcome is None and not self.pending:
            raise ValueError("a final result needs an outcome (set pending=True to wait)")
        return self

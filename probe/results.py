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
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator, model_validator


# Kept while schedules/ and the protocol parts still name these (the runner helper's step of
# issue 15 item 1 moves schedules/ onto the registry, then the two enums become plain strings).
# Which channels exist, their outcomes, labels and "ours" sets are the registry's
# (probe.channels): these names are only spellings, never the list of what exists.
class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    TEST = "test"


class Outcome(StrEnum):
    REPLIED = "replied"
    AUTO_REPLIED = "auto_replied"
    BOUNCED = "bounced"
    NO_REPLY = "no_reply"
    SEND_FAILED = "send_failed"
    CONNECTED = "connected"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    ANSWERING_MACHINE = "answering_machine"
    FAILED = "failed"
    # any channel: the check was started but its fate is unknown (crash); resolved later
    UNKNOWN = "unknown"


class DeclaredOutcome(str):
    """An outcome a channel declares beyond the `Outcome` spellings (a channel defined in
    tests/); it reads like the enum's members (`.value`) until the enum goes."""

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # A string, then this class (pydantic's core schema, written out).
        return {
            "type": "function-after",
            "function": {"type": "no-info", "function": cls},
            "schema": {"type": "str"},
        }


# What a result's outcome is: a spelled name or one only its channel declares.
OutcomeName = Outcome | DeclaredOutcome


def outcome_of(name: str) -> OutcomeName:
    """A stored outcome name as the results carry it."""
    return Outcome(name) if name in Outcome.__members__.values() else DeclaredOutcome(name)


# For schedules/ (policy, outage) and the protocol parts until they read the registry
# (probe.channels.our_failure_outcomes and friends), which declares the same sets.
SUCCESS_OUTCOMES = frozenset({Outcome.REPLIED, Outcome.CONNECTED})
OUR_FAILURE_OUTCOMES = frozenset({Outcome.SEND_FAILED, Outcome.FAILED, Outcome.UNKNOWN})
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
    """What a channel returns for one check. The engine stores it; nothing else does (a result
    that arrives outside a probe is handed to a `ResultSink`)."""

    channel: str  # a registered channel's name (probe.channels)
    # None only while `pending`: an e-mail was accepted and its reply is still awaited.
    # The registry says which names a channel has (checked below); the enum only spells them.
    outcome: Outcome | DeclaredOutcome | None = Field(union_mode="left_to_right")
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

    @field_validator("channel")
    @classmethod
    def _channel_is_registered(cls, channel: str) -> str:
        from probe.channels import UnknownChannelError, channel_spec

        try:
            channel_spec(channel)
        except UnknownChannelError as error:
            raise ValueError(str(error)) from None
        return channel

    @field_validator("outcome")
    @classmethod
    def _outcome_fits_channel(
        cls, outcome: Outcome | DeclaredOutcome | None, info: Any
    ) -> Outcome | DeclaredOutcome | None:
        """The registry says which outcomes a channel has; an unknown channel is an error."""
        from probe.channels import UnknownChannelError, channel_spec

        channel = info.data.get("channel")
        if outcome is None or channel is None:
            return outcome
        try:
            known = channel_spec(channel).outcome_names
        except UnknownChannelError as error:
            raise ValueError(str(error)) from None
        if outcome not in known:
            name = str(channel)
            raise ValueError(f"outcome {outcome.value!r} does not belong to channel {name!r}")
        return outcome

    @model_validator(mode="after")
    def _final_results_have_an_outcome(self) -> CheckResult:
        if self.outcome is None and not self.pending:
            raise ValueError("a final result needs an outcome (set pending=True to wait)")
        return self


class ResultSink(Protocol):
    """Where a channel hands a final result that arrives outside its probe (a reply days after
    the letter, a deadline sweep). The engine (schedules/completion.py) records it, tracks
    outages and applies the attempt policy in the caller's `session`, so the result and what
    the channel stored beside it (the inbound message, the mailbox's last UID) commit together.
    `note` and `event_data` go on the check's "result" event."""

    def deliver(
        self,
        session: Any,
        check_id: int,
        result: CheckResult,
        *,
        note: str = "",
        event_data: dict[str, Any] | None = None,
    ) -> None: ...

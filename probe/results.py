"""The one result model shared by every channel.

A check is one attempt on one contact. Whatever the channel, its result is an outcome its channel
declares (a plain name: the registry, probe.channels, says which channels and outcomes exist;
the kernel names none), the instants it was planned/started/finished, named phase timings, the
class of error when the failure was ours, channel-specific details as JSON, and references to
stored evidence. A new channel fills these in; it never needs a new column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator, model_validator


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


class FollowUp(BaseModel):
    """A later answer a final result asks the engine to wait for, as a check of its own (a
    question submitted through a website's form, answered by e-mail): the engine creates it
    `waiting`, in the result's transaction, on the same organisation, contact and campaign,
    started at `started_at`; the channel that declared how it ends (probe.channels.MailReply)
    completes it through a `ResultSink`. The result itself stays final."""

    kind: str  # "question"
    started_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)  # the token, the reply address...

    @field_validator("started_at")
    @classmethod
    def _instant_is_utc(cls, value: datetime) -> datetime | None:
        return _require_aware(value)


class CheckResult(BaseModel):
    """What a channel returns for one check. The engine stores it; nothing else does (a result
    that arrives outside a probe is handed to a `ResultSink`)."""

    channel: str  # a registered channel's name (probe.channels)
    # One its channel declares (the registry, checked below). None only while `pending`: an
    # e-mail was accepted and its reply is still awaited.
    outcome: str | None
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
    # Checks of their own to wait for, created with this (final) result: see FollowUp.
    follow_ups: list[FollowUp] = Field(default_factory=list)

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
    def _outcome_fits_channel(cls, outcome: str | None, info: Any) -> str | None:
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
            raise ValueError(f"outcome {outcome!r} does not belong to channel {channel!r}")
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

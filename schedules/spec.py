"""A campaign definition: YAML file or CLI flags, validated at load with exact messages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from probe.channels import Concurrency, all_specs
from schedules.recurrence import Recurrence
from storage.planning import Selection


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def moves_on() -> list[str]:
    """The outcomes after which a call-like channel tries the organisation's next contact: its
    retry rules with `next_contact` (the phone's: busy, no_answer, unavailable, rejected,
    answering_machine), from the registry."""
    found: list[str] = []
    for channel in all_specs():
        if channel.concurrency is Concurrency.ONE_PER_ORGANISATION:
            found += [r.outcome for r in channel.retry if r.next_contact and r.outcome not in found]
    return found


def _moves_on(value: str) -> str:
    allowed = moves_on()
    if value not in allowed:
        raise ValueError(f"Input should be one of: {', '.join(allowed)}")
    return value


class CallPolicy(_Strict):
    """How the manual protocol was done (seed 000), as rules."""

    per_contact: int = Field(3, ge=1, le=20)  # attempts on one number
    per_organisation: int = Field(6, ge=1, le=50)  # attempts on all numbers of one organisation
    per_organisation_per_day: int = Field(4, ge=1, le=50)
    busy_retry_minutes: tuple[int, int] = (10, 20)  # jittered interval
    no_answer_retry_minutes: int = Field(120, ge=1)  # later the same day, else the next day
    answering_machine_retry: bool = True
    # A dropped call («вызов сброшен») is rung again like busy: seed 000 row 6 rang 11 minutes
    # later and got through. null: never this number again.
    rejected_retry_minutes: tuple[int, int] | None = (10, 20)
    # After these outcomes the organisation's next number is called now rather than at its
    # planned time (seed 000 rows 6, 27, 30, 34 moved on to another number within minutes).
    next_number_after: list[Annotated[str, AfterValidator(_moves_on)]] = Field(
        default_factory=moves_on
    )
    our_failure_retry_minutes: int = Field(5, ge=1)

    @model_validator(mode="after")
    def _ranges(self) -> CallPolicy:
        ranges = {"busy_retry_minutes": self.busy_retry_minutes}
        if self.rejected_retry_minutes is not None:
            ranges["rejected_retry_minutes"] = self.rejected_retry_minutes
        for name, (low, high) in ranges.items():
            if not 0 < low <= high:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= high")
        if self.per_contact > self.per_organisation:
            raise ValueError("per_contact cannot exceed per_organisation")
        return self


class EmailPolicy(_Strict):
    # The norm (Omsk regulation, seed 001): a reply after it is marked late, still a reply.
    deadline_working_days: int = Field(3, ge=1, le=60)
    # Calendar days a letter waits for its reply before it is no_reply (59-FZ: 30 days).
    reply_window_days: int = Field(30, ge=1, le=90)
    next_address_on_bounce: bool = True
    our_failure_retry_minutes: int = Field(10, ge=1)
    max_send_attempts: int = Field(3, ge=1, le=10)

    @model_validator(mode="after")
    def _window_covers_the_norm(self) -> EmailPolicy:
        if self.reply_window_days < self.deadline_working_days:
            raise ValueError(
                f"reply_window_days ({self.reply_window_days}) is shorter than "
                f"deadline_working_days ({self.deadline_working_days})"
            )
        return self


class Limits(_Strict):
    calls_in_parallel: int = Field(4, ge=1, le=1000)  # channels of the SIP trunk
    emails_per_minute: int = Field(30, ge=1, le=10000)  # SMTP account rate
    checks_in_parallel: int = Field(8, ge=1, le=1000)  # any channel
    quiet_minutes: float = Field(3, ge=0)  # between two attempts on one organisation


class Margins(_Strict):
    after_opening_minutes: int = Field(30, ge=0, le=240)
    before_closing_minutes: int = Field(30, ge=0, le=240)


class CampaignSpec(_Strict):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._-]+$")
    title: str = ""
    organisations: Selection
    channels: list[str] = Field(min_length=1)
    start: date
    end: date
    # "hours": only inside each organisation's working hours (the product); "always": any
    # time (test channel and time-compressed sandbox only).
    windows: Literal["hours", "always"] = "hours"
    # "even": first attempts spread over all the campaign's windows; "asap": from the start.
    spread: Literal["even", "asap"] = "even"
    margins: Margins = Field(default_factory=Margins)
    calls: CallPolicy = Field(default_factory=CallPolicy)
    email: EmailPolicy = Field(default_factory=EmailPolicy)
    limits: Limits = Field(default_factory=Limits)
    # Options handed to each channel as ProbeTarget.options (template, listening time, ...).
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    seed: int = 0  # makes jitter and spreading reproducible
    # A recurring campaign is a template: the runner starts a dated copy on each occurrence.
    recurrence: Recurrence | None = None

    @model_validator(mode="after")
    def _dates_and_channels(self) -> CampaignSpec:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("a channel is listed twice")
        unknown = set(self.options) - set(self.channels)
        if unknown:
            raise ValueError(f"options for channels not in the campaign: {sorted(unknown)}")
        return self


class CampaignSpecError(ValueError):
    """One message per problem, each naming the field: 'limits.quiet_minutes: ...'."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "campaign"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{where}: {message}")
    return problems


def parse_campaign(data: Any, *, source: str = "campaign") -> CampaignSpec:
    if not isinstance(data, dict):
        raise CampaignSpecError(source, ["the campaign must be a mapping of fields"])
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as error:
        raise CampaignSpecError(source, _describe(error)) from None


def load_campaign_file(path: Path) -> CampaignSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CampaignSpecError(str(path), [f"cannot read: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise CampaignSpecError(str(path), [f"not valid YAML: {error}"]) from None
    return parse_campaign(data, source=str(path))

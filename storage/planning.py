"""The plain records that pass between the database and the scheduler's pure parts.

Which organisations a campaign selects, what the planner reads of each (its hours and
contacts), the attempts it plans, and an organisation's attempts so far for the policy.
They live here, below the scheduler, because the queries in `storage.campaigns` build and
read them; `schedules.planner` and `schedules.policy` stay pure functions over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from probe.policies import REFUSALS, refusal


class Selection(BaseModel):
    """Which organisations: all of them, or narrowed by region, kind, ids or names."""

    model_config = ConfigDict(extra="forbid")

    all: bool = False
    region: list[str] = Field(default_factory=list)
    kind: list[str] = Field(default_factory=list)
    ids: list[int] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_selected(self) -> Selection:
        if not (self.all or self.region or self.kind or self.ids or self.names):
            raise refusal(REFUSALS, "no_selection")
        return self


@dataclass(frozen=True)
class ContactInput:
    id: int
    channel: str
    position: int


@dataclass(frozen=True)
class OrganisationInput:
    id: int
    timezone: str
    hours: dict[str, Any] | None
    hours_key: str  # identifies `hours` (the published text) for caching
    contacts: Sequence[ContactInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlannedAttempt:
    organisation_id: int
    contact_id: int
    channel: str
    planned_at: datetime
    reason: str


@dataclass
class History:
    """The campaign's attempts on one organisation so far (the finished one included)."""

    attempts_by_contact: dict[int, int] = field(default_factory=dict)  # org-caused outcomes
    our_failures_by_contact: dict[int, int] = field(default_factory=dict)
    # contact_id -> (check_id, planned instant) of attempts not yet started
    planned: dict[int, tuple[int, datetime | None]] = field(default_factory=dict)
    tried: set[int] = field(default_factory=set)  # contacts with any attempt, planned included

    @property
    def organisation_attempts(self) -> int:
        return sum(self.attempts_by_contact.values())

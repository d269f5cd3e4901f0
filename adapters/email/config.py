"""The e-mail channel's per-campaign options (`Campaign.spec["email"]`, `ProbeTarget.options`).

Validated once when a campaign is loaded; a bad value is refused with the field named.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from adapters.email.templates import TEMPLATES
from probe.reviews import Grade

DEFAULT_DEADLINE_WORKING_DAYS = 3  # Omsk regulation (seed 001): a reply within 3 working days


class GradeRule(BaseModel):
    """A reply within `max_working_days` suggests `grade`; the operator has the final word."""

    model_config = ConfigDict(extra="forbid")

    max_working_days: int = Field(ge=0)
    grade: Grade


def _default_rules() -> list[GradeRule]:
    return [
        GradeRule(max_working_days=1, grade=Grade.EXCELLENT),
        GradeRule(max_working_days=2, grade=Grade.GOOD),
        GradeRule(max_working_days=3, grade=Grade.SATISFACTORY),
    ]


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = "benefits"
    deadline_working_days: int = Field(default=DEFAULT_DEADLINE_WORKING_DAYS, ge=1, le=60)
    # Pauses before each new attempt after an SMTP 4xx (greylisting waits minutes).
    retry_delays: list[float] = Field(default_factory=lambda: [30.0, 120.0, 600.0])
    # Larger raw messages are stored cut at this size (the hash covers what is stored).
    max_eml_bytes: int = Field(default=5 * 1024 * 1024, ge=16 * 1024)
    # Checked in order; a later reply, an auto-reply only or silence suggests unsatisfactory.
    grade_rules: list[GradeRule] = Field(default_factory=_default_rules)
    sender_name: str = "Ирина Петрова"

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise ValueError(
                f"unknown e-mail template {value!r}; one of: {', '.join(sorted(TEMPLATES))}"
            )
        return value

    @field_validator("retry_delays")
    @classmethod
    def _delays_not_negative(cls, value: list[float]) -> list[float]:
        if any(d < 0 for d in value):
            raise ValueError("retry_delays must not be negative")
        return value

    @model_validator(mode="after")
    def _rules_ascending(self) -> Config:
        limits = [r.max_working_days for r in self.grade_rules]
        if limits != sorted(limits):
            raise ValueError("grade_rules must be in ascending order of max_working_days")
        return self

    def suggest_grade(self, working_days: int | None) -> Grade:
        if working_days is None:
            return Grade.UNSATISFACTORY
        for rule in self.grade_rules:
            if working_days <= rule.max_working_days:
                return rule.grade
        return Grade.UNSATISFACTORY


def config_from_spec(spec: dict[str, Any] | None) -> Config:
    """The e-mail options of a campaign spec, defaults when absent.

    A campaign defined through schedules.spec.CampaignSpec keeps the channel's options under
    `options.email` and the campaign's deadline under `email.deadline_working_days`; a bare
    `{"email": {...}}` (tests, scripts) holds the options themselves."""
    spec = spec or {}
    if "organisations" in spec or "options" in spec:
        options = dict((spec.get("options") or {}).get("email") or {})
        deadline = (spec.get("email") or {}).get("deadline_working_days")
        if deadline is not None:
            options.setdefault("deadline_working_days", deadline)
        return Config.model_validate(options)
    return Config.model_validate(spec.get("email") or {})

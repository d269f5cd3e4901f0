"""The e-mail channel's per-campaign options (`Campaign.spec["email"]`, `ProbeTarget.options`).

Validated once when a campaign is loaded; a bad value is refused with the field named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from adapters.email.templates import TEMPLATES
from probe.policies import refusal

# The options' own checks, by code (probe.policies.refusal); the campaign form's Russian is in
# adapters/email/campaign.py FORM (FormField.errors).
REFUSALS = {
    "unknown_template": "unknown e-mail template {template!r}; one of: {known}",
    "negative_delay": "retry_delays must not be negative",
}

DEFAULT_DEADLINE_WORKING_DAYS = 3  # Omsk regulation (seed 001): a reply within 3 working days
# Federal law 59-FZ, art. 12: a written appeal is answered within 30 days of its registration.
# 2020's latest counted reply came 13 calendar days after its letter (seed 000, row 35).
DEFAULT_REPLY_WINDOW_DAYS = 30


# The channel's settings sections (PROBE_SMTP__..., PROBE_IMAP__...), declared in its spec.
class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    ca_file: Path | None = None
    from_address: str = "prober@localhost"
    # A mailbox known to accept mail (ours, or a partner's): before e-mail is paused as our
    # outage, a control message is sent there (schedules/control.py). None: no control.
    control_address: str | None = None


class ImapSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 993
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["tls", "starttls", "none"] = "tls"
    ca_file: Path | None = None
    mailbox: str = "INBOX"
    sent_mailbox: str = "Sent"  # copies of accepted probes, for crash recovery


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = "benefits"
    # The norm: a reply after it is marked late, and still counts as a reply.
    deadline_working_days: int = Field(default=DEFAULT_DEADLINE_WORKING_DAYS, ge=1, le=60)
    # Calendar days after the day the letter was sent; a letter still unanswered at the end of
    # the last one is no_reply.
    reply_window_days: int = Field(default=DEFAULT_REPLY_WINDOW_DAYS, ge=1, le=90)
    # Pauses before each new attempt after an SMTP 4xx (greylisting waits minutes).
    retry_delays: list[float] = Field(default_factory=lambda: [30.0, 120.0, 600.0])
    # Larger raw messages are stored cut at this size (the hash covers what is stored).
    max_eml_bytes: int = Field(default=5 * 1024 * 1024, ge=16 * 1024)
    # The From name and the signature under the letter (a private person, as in seed 000).
    sender_name: str = Field("Ирина Петрова", min_length=1, max_length=100)

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise refusal(
                REFUSALS, "unknown_template", template=value, known=", ".join(sorted(TEMPLATES))
            )
        return value

    @field_validator("retry_delays")
    @classmethod
    def _delays_not_negative(cls, value: list[float]) -> list[float]:
        if any(d < 0 for d in value):
            raise refusal(REFUSALS, "negative_delay")
        return value

    @model_validator(mode="after")
    def _window_covers_the_norm(self) -> Config:
        if self.reply_window_days < self.deadline_working_days:
            raise ValueError(
                f"reply_window_days ({self.reply_window_days}) is shorter than "
                f"deadline_working_days ({self.deadline_working_days})"
            )
        return self


def config_from_spec(spec: dict[str, Any] | None) -> Config:
    """The e-mail options of a campaign spec, defaults when absent.

    A campaign defined through schedules.spec.CampaignSpec keeps the channel's options under
    `options.email` and the campaign's norm and reply window under `email.deadline_working_days`
    and `email.reply_window_days`; a bare `{"email": {...}}` (tests, scripts) holds the options
    themselves."""
    spec = spec or {}
    if "organisations" in spec or "options" in spec:
        options = dict((spec.get("options") or {}).get("email") or {})
        campaign = spec.get("email") or {}
        for key in ("deadline_working_days", "reply_window_days"):
            if campaign.get(key) is not None:
                options.setdefault(key, campaign[key])
        return Config.model_validate(options)
    return Config.model_validate(spec.get("email") or {})

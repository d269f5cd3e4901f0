"""The phone channel's per-campaign options (ProbeTarget.options), validated and defaulted."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from adapters.sip.dialplan import validate_template

# Seed 001: a call lasts at most 10 minutes.
MAX_LISTEN_SECONDS = 600.0


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # How long we wait for an answer after the INVITE is sent; then we cancel: no_answer.
    ring_timeout_seconds: float = Field(30.0, gt=0, le=50)
    # How long we stay on the line after the answer; then we hang up.
    listen_seconds: float = Field(60.0, gt=0, le=MAX_LISTEN_SECONDS)
    # "default" (a Russian citizen's question made with espeak-ng), "none", or an 8 kHz WAV.
    prompt: str = "default"
    # The prompt plays when the greeting ends, or after this long without any speech.
    prompt_wait_seconds: float = Field(5.0, ge=0, le=60)
    # Request URI template for the E.164 number; None: the trunk's (PROBE_SIP__DIAL_PLAN).
    dial_plan: str | None = None
    # Call this SIP URI instead of the number (tests, sandbox): the dial plan is skipped.
    sip_uri: str | None = None
    # Wait after the answer before dialling the extension by DTMF (RFC 4733).
    dtmf_delay_seconds: float = Field(2.0, ge=0, le=30)
    # Answering-machine evidence: no speech within this long of the end of our question.
    reply_wait_seconds: float = Field(5.0, gt=0, le=30)
    # Transfer heuristic: speech, then this much silence, then speech again.
    transfer_silence_seconds: float = Field(5.0, gt=0, le=120)
    max_redirects: int = Field(5, ge=0, le=10)
    record: bool = True

    @model_validator(mode="before")
    @classmethod
    def _removed_options(cls, data: object) -> object:
        if isinstance(data, dict) and "machine_speech_seconds" in data:
            # Issue 14: the regulation's own greeting is 7-9 s of speech; length is no evidence.
            raise ValueError(
                "machine_speech_seconds was removed: an answering machine is told by a beep, "
                "no reply to our question or a hang-up as its message ends (see "
                "reply_wait_seconds)"
            )
        return data

    @field_validator("prompt")
    @classmethod
    def _prompt_exists(cls, value: str) -> str:
        if value in ("default", "none"):
            return value
        path = Path(value)
        if not path.is_file():
            raise ValueError(f"no such prompt file: {value}")
        if path.suffix.lower() != ".wav":
            raise ValueError(f"the prompt must be a WAV file: {value}")
        return value

    @field_validator("dial_plan")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        return None if value is None else validate_template(value)

    @field_validator("sip_uri")
    @classmethod
    def _is_sip_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sip:", "sips:")):
            raise ValueError(f"not a SIP URI (sip:... or sips:...): {value!r}")
        return value


def config_error_message(error: Exception) -> str:
    """One line per problem, `field: message`, from a pydantic ValidationError."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return str(error)
    lines = []
    for item in errors():
        where = ".".join(str(p) for p in item["loc"]) or "options"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)

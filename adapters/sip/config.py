"""The phone channel's per-campaign options (ProbeTarget.options), validated and defaulted."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from adapters.sip.dialplan import validate_template

# Seed 001: a call lasts at most 10 minutes.
MAX_LISTEN_SECONDS = 600.0


# The channel's settings section (PROBE_SIP__...), declared in its spec.
class SipSettings(BaseModel):
    registrar: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    caller_id: str | None = None
    transport: Literal["udp", "tcp", "tls"] = "udp"
    outbound_proxy: str | None = None  # host[:port]; every request goes through it
    # E.164 number -> request URI; placeholders {e164} {digits} {national} {trunk}.
    dial_plan: str = "sip:{e164}@{trunk}"
    workers: int = Field(2, ge=1, le=64)  # call-worker processes, 3 calls each
    # Processes reading greetings off the recordings (with the extra probe[speech]); 0: none.
    greeting_workers: int = Field(1, ge=0, le=16)
    # The registration's expiry asked of the registrar (PJSUA refreshes it before it lapses),
    # and the wait before a failed or lost registration is tried again (PJSUA's retry, 408 and
    # 5xx/6xx answers). Calls given to a worker whose registration is lost fail at once as
    # ours (sip_registration) until it is regained. Below 6 s PJSIP would refresh too late.
    registration_seconds: int = Field(300, ge=6, le=3600)
    registration_retry_seconds: int = Field(30, ge=1, le=3600)
    # Static routes (the sandbox, a lab PBX): an E.164 number, or "number;ext=digits", to the
    # request URIs of its successive attempts (the last one repeats). Bypasses the dial plan.
    routes: dict[str, list[str]] = Field(default_factory=dict)
    # A known-good number (E.164, dialled like any other: routes, dial plan) or a SIP URI.
    # Before a streak of failures pauses calls as our outage, a control call is placed there:
    # failed too, our outage; answered, the organisations' results stand (schedules/control.py).
    control_target: str | None = None

    @field_validator("control_target")
    @classmethod
    def _control_target_is_dialable(cls, target: str | None) -> str | None:
        if target is None or target.startswith(("sip:", "sips:")):
            return target
        if not (target.startswith("+") and target[1:].isdigit() and 8 <= len(target) <= 16):
            raise ValueError(f"control_target must be an E.164 number or a SIP URI: {target!r}")
        return target

    @field_validator("routes")
    @classmethod
    def _routes_are_sip_uris(cls, routes: dict[str, list[str]]) -> dict[str, list[str]]:
        for number, uris in routes.items():
            if not uris:
                raise ValueError(f"route {number!r}: no URI")
            for uri in uris:
                if not uri.startswith(("sip:", "sips:")):
                    raise ValueError(f"route {number!r}: not a SIP URI: {uri!r}")
        return routes


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

"""Settings: environment variables (PROBE_ prefix), an optional TOML file, secret files.

Precedence, highest first: keyword arguments, environment, secret files, the TOML file, defaults.
Nested groups use a double underscore: PROBE_SMTP__HOST, PROBE_SMTP__PASSWORD.
Secret values are `SecretStr`: they print as '**********' and the log redactor knows them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "PROBE_CONFIG"
SECRETS_DIR_ENV = "PROBE_SECRETS_DIR"
_INSECURE_KEY = "insecure-development-key"


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


SuspectOutcome = Literal["unavailable", "no_answer", "rejected", "busy", "bounced"]


class OutageSettings(BaseModel):
    """When failures on our side pause a channel (schedules/outage.py, docs/scale-out.md)."""

    # This many failures of ours in a row on a channel (failed, send_failed) pause it.
    threshold: int = Field(5, ge=1, le=1000)
    # The first pause; it doubles while the failures go on, up to max_pause_seconds.
    first_pause_seconds: float = Field(60.0, gt=0)
    max_pause_seconds: float = Field(900.0, gt=0)
    # This many outcomes in `suspect_outcomes` in a row on a channel (a trunk answering 404 to
    # everything looks like the organisations' fault) ask for a control call; 0: never.
    suspect_streak: int = Field(0, ge=0, le=1000)
    suspect_outcomes: list[SuspectOutcome] = ["unavailable"]
    control_timeout_seconds: float = Field(120.0, gt=0, le=900)

    @model_validator(mode="after")
    def _pauses_grow(self) -> OutageSettings:
        if self.max_pause_seconds < self.first_pause_seconds:
            raise ValueError("max_pause_seconds must not be shorter than first_pause_seconds")
        return self


class TwilioSettings(BaseModel):
    account_sid: str | None = None
    auth_token: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROBE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    environment: Literal["development", "sandbox", "production"] = "development"
    database_url: str = "sqlite:///var/probe.db"
    data_dir: Path = Path("var")
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Where probes may send traffic. "loopback" refuses any destination that is not 127.0.0.0/8
    # or ::1; only a production deployment that means to reach real organisations says "external".
    network: Literal["loopback", "external"] = "loopback"
    secret_key: SecretStr = SecretStr(_INSECURE_KEY)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    sip: SipSettings = Field(default_factory=SipSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    outage: OutageSettings = Field(default_factory=OutageSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        secrets_dir = os.environ.get(SECRETS_DIR_ENV)
        if secrets_dir:
            sources.append(_SecretFilesSource(settings_cls, Path(secrets_dir)))
        config_file = os.environ.get(CONFIG_ENV)
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ValueError(f"{CONFIG_ENV}={config_file}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key.get_secret_value() == _INSECURE_KEY:
            problems.append("PROBE_SECRET_KEY must be set to a random value")
        if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
            problems.append("PROBE_DATABASE_URL must name a persistent database")
        if problems:
            raise ValueError("unsafe settings for production: " + "; ".join(problems))
        return self

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log redactor can blank them wherever they appear."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                if secret and secret != _INSECURE_KEY:
                    found.append(secret)
            elif isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(getattr(value, name))

        walk(self)
        return found


class _SecretFilesSource(PydanticBaseSettingsSource):
    """Reads secrets from files named like the variables, lower-case: `probe_smtp__password`.

    This is the Docker/Kubernetes secrets convention (/run/secrets/...), extended to nested groups.
    """

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        self.directory = directory

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.directory.is_dir():
            raise ValueError(f"{SECRETS_DIR_ENV}={self.directory}: not a directory")
        values: dict[str, Any] = {}
        for path in sorted(self.directory.iterdir()):
            name = path.name.lower()
            if not path.is_file() or not name.startswith("probe_"):
                continue
            keys = name.removeprefix("probe_").split("__")
            target = values
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = path.read_text(encoding="utf-8").strip()
        return values


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()

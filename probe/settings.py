"""Settings: environment variables (PROBE_ prefix), an optional TOML file, secret files.

Precedence, highest first: keyword arguments, environment, secret files, the TOML file, defaults.
Nested groups use a double underscore: PROBE_SMTP__HOST, PROBE_SMTP__PASSWORD.

The kernel knows no channel's settings: a channel brings its sections (`SettingsSection` in its
`ChannelSpec`: e-mail's `smtp` and `imap`, SIP's `sip`), each validated by the channel's own
model and reached as `settings.smtp`. A section no channel declares is refused by name.
Secret values are `SecretStr`: they print as '**********' and the log redactor knows them.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "PROBE_CONFIG"
SECRETS_DIR_ENV = "PROBE_SECRETS_DIR"
_INSECURE_KEY = "insecure-development-key"


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
    # Outcomes on the organisation's side (the channels' `verdict` outcomes); None: those the
    # channels declare suspect (probe.channels.suspect_outcomes).
    suspect_outcomes: list[str] | None = None
    control_timeout_seconds: float = Field(120.0, gt=0, le=900)

    @field_validator("suspect_outcomes")
    @classmethod
    def _suspects_are_the_organisations_failures(
        cls, outcomes: list[str] | None
    ) -> list[str] | None:
        from probe.channels import outcomes_where

        if outcomes is None:
            return None
        allowed = outcomes_where(lambda o: o.verdict)
        for outcome in outcomes:
            if outcome not in allowed:
                raise ValueError(
                    f"{outcome!r} is not a failure on the organisation's side; one of: "
                    f"{', '.join(sorted(allowed))}"
                )
        return outcomes

    @model_validator(mode="after")
    def _pauses_grow(self) -> OutageSettings:
        if self.max_pause_seconds < self.first_pause_seconds:
            raise ValueError("max_pause_seconds must not be shorter than first_pause_seconds")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROBE_",
        env_nested_delimiter="__",
        # The channels' sections (settings.smtp, settings.sip), checked in _channel_sections.
        extra="allow",
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
    # Channel -> backend, where a channel has several (PROBE_BACKENDS__PHONE=twilio).
    backends: dict[str, str] = Field(default_factory=dict)
    outage: OutageSettings = Field(default_factory=OutageSettings)

    if TYPE_CHECKING:
        # A channel's section (settings.smtp), an instance of the model its plugin declares.
        def __getattr__(self, name: str) -> Any: ...

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            _SectionEnvSource(settings_cls),
        ]
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
    def _channel_sections(self) -> Settings:
        """Each channel's section validated by its own model; defaults for an absent one."""
        from probe.channels import settings_sections

        declared = settings_sections()
        extra = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
        unknown = sorted(set(extra) - set(declared))
        if unknown:
            raise ValueError(
                f"unknown settings section {unknown[0]!r}; the channels declare: "
                f"{', '.join(sorted(declared)) or 'none'}"
            )
        for name, model in declared.items():
            value = extra.get(name)
            extra[name] = value if isinstance(value, model) else _section(name, model, value)
        self.__pydantic_extra__ = extra
        return self

    def section(self, name: str) -> BaseModel:
        """A channel's settings section by name (`smtp`)."""
        value = (self.__pydantic_extra__ or {}).get(name)
        if not isinstance(value, BaseModel):
            raise KeyError(f"no channel declares the settings section {name!r}")
        return value

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
                for extra in (value.model_extra or {}).values():
                    walk(extra)

        walk(self)
        return found


def _section(name: str, model: type[BaseModel], value: Any) -> BaseModel:
    """A section validated by its channel's model; errors located under the section (`sip.x`)."""
    try:
        return model.model_validate(value or {})
    except ValidationError as error:
        errors: list[Any] = [
            {"type": e["type"], "loc": (name, *e["loc"]), "input": e["input"]}
            | ({"ctx": e["ctx"]} if "ctx" in e else {})
            for e in error.errors()
        ]
        raise ValidationError.from_exception_data("Settings", errors) from None


class _SectionEnvSource(PydanticBaseSettingsSource):
    """`PROBE_<SECTION>__<FIELD>` for the sections the channels bring: pydantic-settings reads
    only the fields the kernel declares. A value that looks like JSON (`{...}`, `[...]`) is
    parsed, as pydantic-settings does for its own nested fields."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        own = set(self.settings_cls.model_fields)
        values: dict[str, Any] = {}
        for key, raw in sorted(os.environ.items()):
            upper = key.upper()
            if not upper.startswith("PROBE_") or "__" not in upper:
                continue
            keys = upper.removeprefix("PROBE_").lower().split("__")
            if keys[0] in own:
                continue
            target = values
            for part in keys[:-1]:
                target = target.setdefault(part, {})
            target[keys[-1]] = _maybe_json(raw)
        return values


def _maybe_json(raw: str) -> Any:
    if raw.lstrip().startswith(("{", "[")):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


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

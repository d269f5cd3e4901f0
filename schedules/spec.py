"""A campaign definition: YAML file or CLI flags, validated at load with exact messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    create_model,
    model_validator,
)

from probe.channels import UnknownChannelError, channel_spec
from probe.policies import (
    REFUSALS,
    ChannelPolicy,
    OnePerOrganisationPolicy,
    base_policy,
    campaign_sections,
    limit_default,
    limit_keys,
    refusal,
    section_of,
)
from schedules.recurrence import Recurrence
from storage.planning import Selection


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Limits(BaseModel):
    """The campaign's limits: the engine's own, and the channels' (the keys their `RateLimit`
    names, probe.policies.limit_keys: the trunk's channels, the account's rate), which override
    the channel's declared default; any other key is refused."""

    model_config = ConfigDict(extra="allow")  # the channels' keys, checked below

    checks_in_parallel: int = Field(8, ge=1, le=1000)  # any channel
    quiet_minutes: float = Field(3, ge=0)  # between two attempts on one organisation

    @model_validator(mode="after")
    def _channel_limits(self) -> Limits:
        given = self.__pydantic_extra__ or {}
        if given:
            checked = _limits_model(tuple(sorted(limit_keys().items()))).model_validate(given)
            given.update({key: getattr(checked, key) for key in given})
        return self

    def value(self, key: str) -> int | None:
        """A channel's limit key: the campaign's value, else the channel's default."""
        given = (self.__pydantic_extra__ or {}).get(key)
        return int(given) if given is not None else limit_default(key)

    def in_parallel(self, channel: str) -> int | None:
        """At most this many checks of `channel` at once (None: no ceiling of its own)."""
        limit = channel_spec(channel).rate_limit
        return self.value(limit.in_parallel_key) if limit.in_parallel_key else limit.in_parallel

    def per_minute(self, channel: str) -> int | None:
        """At most this many starts of `channel` in a minute (None: no rate)."""
        limit = channel_spec(channel).rate_limit
        return self.value(limit.per_minute_key) if limit.per_minute_key else limit.per_minute


@cache
def _limits_model(keys: tuple[tuple[str, tuple[str, int]], ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {key: (int, Field(1, ge=1, le=top)) for key, (_, top) in keys}
    model: type[BaseModel] = create_model("limits", __config__=ConfigDict(extra="forbid"), **fields)
    return model


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
    # The channels' sections (`calls:`, `email:`) are fields of a subclass made from the
    # registry (_with_sections), each validated by its channel's model (probe.policies).
    limits: Limits = Field(default_factory=Limits)
    # Options handed to each channel as ProbeTarget.options (template, listening time, ...).
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    seed: int = 0  # makes jitter and spreading reproducible
    # A recurring campaign is a template: the runner starts a dated copy on each occurrence.
    recurrence: Recurrence | None = None

    @model_validator(mode="after")
    def _dates_and_channels(self) -> CampaignSpec:
        if self.end < self.start:
            raise refusal(REFUSALS, "end_before_start", end=self.end, start=self.start)
        if len(set(self.channels)) != len(self.channels):
            raise refusal(REFUSALS, "channel_twice")
        unknown = set(self.options) - set(self.channels)
        if unknown:
            raise refusal(REFUSALS, "options_not_in_campaign", channels=sorted(unknown))
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _channel_sections(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """CampaignSpec.model_validate gives an instance of the subclass with the registered
        channels' sections as fields, so a section's errors name their field
        (`<section>.<field>: ...`) and an undeclared section is an unknown field."""
        if cls is not CampaignSpec:
            return handler(data)
        return _with_sections(tuple(sorted(campaign_sections().items()))).model_validate(data)

    def per_organisation_per_day(self) -> int | None:
        """The tightest daily cap on one organisation of the campaign's call-like channels."""
        caps = [
            p.per_organisation_per_day
            for p in map(self.policy, self.channels)
            if isinstance(p, OnePerOrganisationPolicy)
        ]
        return min(caps, default=None)

    def policy(self, channel: str) -> ChannelPolicy:
        """The campaign's policy for `channel`: its section, or its class's defaults."""
        section = section_of(channel)
        if section is None:
            return base_policy(channel_spec(channel).concurrency)()
        found = getattr(self, section.key, None)
        return found if isinstance(found, ChannelPolicy) else section.model()


@cache
def _with_sections(sections: tuple[tuple[str, type[ChannelPolicy]], ...]) -> type[CampaignSpec]:
    fields: dict[str, Any] = {key: (model, Field(default_factory=model)) for key, model in sections}
    model: type[CampaignSpec] = create_model("CampaignSpec", __base__=CampaignSpec, **fields)
    return model


class CampaignSpecError(ValueError):
    """One message per problem, each naming the field: 'limits.quiet_minutes: ...'."""

    def __init__(
        self, source: str, problems: list[str], *, unknown_channels: list[str] | None = None
    ) -> None:
        self.problems = problems
        self.unknown_channels = unknown_channels or []  # refused by the registry (by name)
        super().__init__(f"{source}: " + "; ".join(problems))


def _describe(items: Any) -> list[str]:
    """Pydantic's errors (`ValidationError.errors()`), one message each naming its field."""
    problems = []
    for item in items:
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
        raise CampaignSpecError(source, _describe(error.errors())) from None


def load_campaign_file(path: Path) -> CampaignSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CampaignSpecError(str(path), [f"cannot read: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise CampaignSpecError(str(path), [f"not valid YAML: {error}"]) from None
    return parse_campaign(data, source=str(path))


def read_options(
    options: Mapping[str, Any],
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """A campaign's `options`, each channel's read by that channel's options model (its
    plugin's `config_model`, from the registry): the keys given, with their values as the model
    holds them (a form's "45" is 45.0), and the model's errors as pydantic gives them, each
    located in the spec (`("options", "email", "template")`). Only the options given are read:
    a channel without any keeps its defaults. Every way of creating a campaign checks its
    options here (check_options; the web form, for its Russian messages)."""
    read: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for channel, given in options.items():
        try:
            model = channel_spec(channel).config_model
        except UnknownChannelError as error:
            loc = ("options", channel)
            errors.append({"type": "unknown_channel", "loc": loc, "msg": str(error)})
            continue
        try:
            dumped = model.model_validate(given).model_dump(mode="json")
        except ValidationError as error:
            errors += [{**e, "loc": ("options", channel, *e["loc"])} for e in error.errors()]
        else:
            read[channel] = {key: dumped.get(key, value) for key, value in given.items()}
    return read, errors


def check_options(spec: CampaignSpec) -> None:
    """Refuse a campaign whose options a channel's model refuses, each problem naming its field
    (`options.email.template: ...`); see read_options."""
    _read, errors = read_options(spec.options)
    if errors:
        raise CampaignSpecError(spec.name, _describe(errors))

"""A campaign's attempt policy for one channel: the kernel bases the channels' sections extend.

A channel may declare the campaign section it reads (`ChannelSpec.campaign`, a
`CampaignSection`: the YAML key, `calls` for the phone, `email` for letters, and its model). The
model subclasses the base of the channel's concurrency class:

- `OnePerOrganisationPolicy` (calls): attempts per contact, per organisation and per day, the
  outcomes after which the organisation's next contact is tried now, our failures' retry;
- `ParallelPolicy` (letters, websites): our failures' retry and the attempts on one contact.

The fields only one channel has (the phone's `busy_retry_minutes`, the e-mail's
`deadline_working_days`) live in the plugin's subclass; its retry rules name them
(`RetryRule.campaign_minutes`, `campaign_switch`, `next_contact_switch`). A channel without a
section gets its class's base defaults, and its rules their own minutes. Two channels may read
one section (the test channel plays calls: it reads `calls` as the phone does): the section is
then validated by a model that has both of theirs as bases. See docs/channels.md.

A channel's limits (`RateLimit.in_parallel`, `per_minute`) may be overridden in the campaign's
`limits` under the key the channel declares (`RateLimit.in_parallel_key`: `calls_in_parallel`);
`limit_keys()` lists them for the campaign's validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from probe.channels import ChannelSpec, Concurrency, all_specs, channel_spec

# The bounds of a campaign's override of a channel's limits.
MAX_IN_PARALLEL = 1000
MAX_PER_MINUTE = 10000


class ChannelPolicy(BaseModel):
    """What every concurrency class's policy has."""

    model_config = ConfigDict(extra="forbid")

    # Our own failure (trunk down, SMTP refused) is retried this many minutes later, times the
    # failures so far; never held against the organisation.
    our_failure_retry_minutes: int = Field(10, ge=1)


def moves_on() -> list[str]:
    """The outcomes after which a call-like channel tries the organisation's next contact: its
    retry rules with `next_contact` (the phone's: busy, no_answer, unavailable, rejected,
    answering_machine), from the registry."""
    found: list[str] = []
    for channel in all_specs():
        if channel.concurrency is Concurrency.ONE_PER_ORGANISATION:
            found += [r.outcome for r in channel.retry if r.next_contact and r.outcome not in found]
    return found


def moves_on_choices() -> tuple[tuple[str, str], ...]:
    """moves_on() as the campaign form offers them: (outcome, its label as staff read it)."""
    labels: dict[str, str] = {}
    for channel in sorted(all_specs(), key=lambda c: not c.listed):
        for outcome in channel.outcomes:
            labels.setdefault(outcome.name, outcome.label)
    return tuple((name, labels.get(name, name)) for name in moves_on())


# A campaign's checks across fields, as codes: the English (the CLI's message) by code. The
# campaign form picks its Russian by the same code (probe/web/campaign_form.py; a channel's own
# codes with their Russian in FormField.errors), never by the English words.
REFUSALS: dict[str, str] = {
    "end_before_start": "end {end} is before start {start}",
    "channel_twice": "a channel is listed twice",
    "options_not_in_campaign": "options for channels not in the campaign: {channels}",
    "no_selection": "select organisations: all: true, or region, kind, ids or names",
    "per_contact_over_organisation": "per_contact cannot exceed per_organisation",
    "not_moving_on": "Input should be one of: {allowed}",
}


class Refusal(ValueError):
    """A validator's refusal with its code and values. Pydantic reports it as any ValueError
    (`value_error`, the English as `msg`, so settings and the CLI read it unchanged) and keeps
    the exception in the error's `ctx["error"]`, where the campaign form finds the code."""

    def __init__(self, english: dict[str, str], code: str, /, **values: Any) -> None:
        super().__init__(english[code].format(**values))
        self.code = code
        self.values = values


def refusal(english: dict[str, str], code: str, /, **values: Any) -> Refusal:
    """Refuse (raise it) with `code`, worded by `english[code]` with the values put in."""
    return Refusal(english, code, **values)


def _moves_on(value: str) -> str:
    allowed = moves_on()
    if value not in allowed:
        raise refusal(REFUSALS, "not_moving_on", allowed=", ".join(allowed))
    return value


class OnePerOrganisationPolicy(ChannelPolicy):
    """Calls: how the manual protocol was done (seed 000), as rules."""

    per_contact: int = Field(3, ge=1, le=20)  # attempts on one contact (number)
    per_organisation: int = Field(6, ge=1, le=50)  # attempts on all its contacts
    per_organisation_per_day: int = Field(4, ge=1, le=50)
    # After these outcomes the organisation's next contact is tried now rather than at its
    # planned time (seed 000 rows 6, 27, 30, 34 moved on to another number within minutes).
    next_number_after: list[Annotated[str, AfterValidator(_moves_on)]] = Field(
        default_factory=moves_on
    )
    our_failure_retry_minutes: int = Field(5, ge=1)

    @model_validator(mode="after")
    def _per_contact_within_organisation(self) -> OnePerOrganisationPolicy:
        if self.per_contact > self.per_organisation:
            raise refusal(REFUSALS, "per_contact_over_organisation")
        return self


class ParallelPolicy(ChannelPolicy):
    """Letters, websites: any number at once; a contact is tried again only by a retry rule."""

    # Attempts on one contact: our failures are retried, and a rule's retries made, while the
    # contact has had fewer than this many (of each).
    max_send_attempts: int = Field(3, ge=1, le=10)


BASES: dict[Concurrency, type[ChannelPolicy]] = {
    Concurrency.ONE_PER_ORGANISATION: OnePerOrganisationPolicy,
    Concurrency.PARALLEL: ParallelPolicy,
}


@dataclass(frozen=True)
class FormField:
    """A field of the campaign form (probe.web) the channel brings: `path` in the spec, dotted
    (`calls.per_contact`, `calls.busy_retry_minutes.0` for a pair's first item,
    `limits.calls_in_parallel`); `label` and `unit` as staff read them; `group`: the form's
    fieldset (`retries`, `limits`); a `switch` is a yes/no box. `errors`: (the refusal's code, the
    Russian text) for a check across fields (`refusal`), shown on this one. `summary`: the
    campaign page's phrase for a limit, `{}` its value («одновременных звонков до {}»).
    A path `options.<channel>.<key>` is one of the channel's options (`ProbeTarget.options`,
    validated by its `config_model`), in the form's `options` fieldset; `choices` makes it a
    list to choose from: () -> ((value, label), ...). `text`: a line of text, not a number.
    `items`: a list: with `choices`, a box for each (ticked: in the list); without, numbers
    typed on one line, separated by commas or spaces."""

    path: str
    label: str
    unit: str = ""
    group: str = "retries"
    switch: bool = False
    errors: tuple[tuple[str, str], ...] = ()
    summary: str = ""
    choices: Callable[[], tuple[tuple[str, str], ...]] | None = None
    text: bool = False
    items: bool = False


@dataclass(frozen=True)
class CampaignSection:
    """The campaign section a channel reads: `key` (the YAML key, `calls`), its `model` (a
    subclass of its class's base), the form's fields and the campaign page's lines
    (`summary(policy) -> [(title, text)]`)."""

    key: str
    model: type[ChannelPolicy]
    form: tuple[FormField, ...] = ()
    summary: Callable[[Any], list[tuple[str, str]]] | None = None


def base_policy(concurrency: Concurrency) -> type[ChannelPolicy]:
    return BASES[concurrency]


def _section(spec: ChannelSpec) -> CampaignSection | None:
    section = spec.campaign
    if section is None:
        return None
    if not isinstance(section, CampaignSection):
        raise TypeError(f"channel {spec.name!r}: campaign must be a CampaignSection")
    if not issubclass(section.model, BASES[spec.concurrency]):
        raise TypeError(
            f"channel {spec.name!r}: its campaign model {section.model.__name__} must subclass "
            f"{BASES[spec.concurrency].__name__}"
        )
    return section


def campaign_sections() -> dict[str, type[ChannelPolicy]]:
    """Section key -> its model, over the registered channels; a section two channels read is
    validated by a model with both of theirs as bases."""
    models: dict[str, list[type[ChannelPolicy]]] = {}
    for spec in all_specs():
        section = _section(spec)
        if section is not None and section.model not in models.setdefault(section.key, []):
            models[section.key].append(section.model)
    return {key: _combined(key, tuple(found)) for key, found in models.items()}


@cache
def _combined(key: str, models: tuple[type[ChannelPolicy], ...]) -> type[ChannelPolicy]:
    if len(models) == 1:
        return models[0]
    combined: Any = create_model(key, __base__=models)
    return cast(type[ChannelPolicy], combined)


def section_of(channel: str) -> CampaignSection | None:
    """The campaign section `channel` reads, if it declares one."""
    return _section(channel_spec(channel))


def channel_sections() -> list[tuple[ChannelSpec, CampaignSection]]:
    """The channels with a campaign section, calls first, for the form and the campaign page."""
    found = [(spec, _section(spec)) for spec in all_specs()]
    ordered = sorted(
        found, key=lambda p: (p[0].concurrency is not Concurrency.ONE_PER_ORGANISATION, p[0].name)
    )
    return [(spec, section) for spec, section in ordered if section is not None]


def limit_keys() -> dict[str, tuple[str, int]]:
    """The campaign's `limits` keys the channels declare: key -> (what it overrides,
    `in_parallel` or `per_minute`, its upper bound)."""
    keys: dict[str, tuple[str, int]] = {}
    for spec in all_specs():
        if spec.rate_limit.in_parallel_key:
            keys[spec.rate_limit.in_parallel_key] = ("in_parallel", MAX_IN_PARALLEL)
        if spec.rate_limit.per_minute_key:
            keys[spec.rate_limit.per_minute_key] = ("per_minute", MAX_PER_MINUTE)
    return keys


def limit_default(key: str) -> int | None:
    """A `limits` key's value when the campaign leaves it out: its channel's default."""
    for spec in all_specs():
        limit = spec.rate_limit
        if limit.in_parallel_key == key:
            return limit.in_parallel
        if limit.per_minute_key == key:
            return limit.per_minute
    return None

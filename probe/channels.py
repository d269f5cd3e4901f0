"""The channel contract: what a channel declares, the interface it implements, the registry.

A channel is a package under `adapters/` exposing a plugin object, registered as an entry point
in the `probe.channels` group of pyproject.toml. The entry point names a *backend* (`sip`,
`smtp`, later `twilio`); the plugin's `spec` names the *channel* it serves (`phone`, `email`).
Two backends may serve one channel; settings choose one (`PROBE_BACKENDS__PHONE=twilio`).

Everything the engine knows of a channel it reads from the plugin's `spec` (frozen data, see
`ChannelSpec`) through this registry: its outcomes with their labels and which are ours, its
concurrency class, rate limits, settings sections, contact kinds, retry rules, control target,
protocol columns, commands and services. The engine, the CLI and the scheduler never import an
adapter, and an unknown channel is an error (`UnknownChannelError`), never a default channel.
See docs/channels.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from probe.results import CheckResult
from probe.settings import Settings

if TYPE_CHECKING:
    from probe.policies import CampaignSection

ENTRY_POINT_GROUP = "probe.channels"
# Channel-independent: the fate of a check after a crash of ours (resolved later).
UNKNOWN_OUTCOME = "unknown"


# -- the declarations ------------------------------------------------------------------------


class Concurrency(StrEnum):
    # One attempt at a time per organisation, a quiet period apart, a daily cap (calls).
    ONE_PER_ORGANISATION = "one_per_organisation"
    # Any number at once, within the channel's rate limit (letters).
    PARALLEL = "parallel"


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome a channel can end a check with."""

    name: str  # the stored value ("busy")
    label: str  # what staff read («занято»)
    ours: bool = False  # our own failure: never held against the organisation, retried
    success: bool = False  # the organisation was reachable on this contact
    # Our failure that says something about the channel itself (trunk down, SMTP account),
    # for the outage watch. Defaults to `ours`.
    channel_failure: bool | None = None
    # A final failure on the organisation's side: an operator confirms or overturns it.
    verdict: bool = False
    # The review fields an operator owns after this outcome (Protocol 6 columns).
    judgements: tuple[str, ...] = ()
    # Review fields that may also be given after it, never asked for (a call note).
    also_judged: tuple[str, ...] = ()
    # A failure on the organisation's side that, many in a row, may be ours (a trunk answering
    # 404 to everything): the outage watch's default suspects (schedules/outage.py).
    suspect: bool = False

    @property
    def says_channel_failed(self) -> bool:
        return self.ours if self.channel_failure is None else self.channel_failure


@dataclass(frozen=True)
class RateLimit:
    """Defaults; a campaign's `limits` may override `in_parallel` and `per_minute` under the
    keys the channel names (`in_parallel_key="calls_in_parallel"`; two channels may name one)."""

    per_minute: int | None = None  # e.g. the SMTP account's rate
    in_parallel: int | None = None  # e.g. the SIP trunk's channels
    per_organisation_per_day: int | None = None
    quiet_minutes: float | None = None  # between two attempts on one organisation
    in_parallel_key: str | None = None  # `limits.calls_in_parallel`
    per_minute_key: str | None = None  # `limits.emails_per_minute`


@dataclass(frozen=True)
class RetryRule:
    """After `outcome`, the same contact is tried again `minutes` later ((low, high): jittered);
    `next_contact`: the organisation's next contact is tried now.

    A campaign may change the minutes: `campaign_minutes` names the field of the channel's
    campaign section (`ChannelSpec.campaign`; `calls.busy_retry_minutes`) holding a [low, high]
    pair (jittered), a number of minutes or null (no retry); `campaign_switch` names a yes/no
    field that turns the retry off, `next_contact_switch` one that turns the move to the next
    contact off (`email.next_address_on_bounce`). A field the section lacks leaves the rule as
    declared. `reason` is the decision's sentence in the timeline ({outcome}, {minutes})."""

    outcome: str
    minutes: tuple[float, float] | None = None
    next_contact: bool = False
    campaign_minutes: str | None = None
    campaign_switch: str | None = None
    next_contact_switch: str | None = None
    reason: str = "{outcome}: retry in {minutes:.0f} min"


@dataclass(frozen=True)
class SettingsSection:
    """A settings group the plugin owns: `PROBE_<NAME>__<FIELD>`, or `[name]` in the TOML file,
    validated by the plugin's model. The kernel Settings only hands it over."""

    name: str
    model: type[BaseModel]


@dataclass(frozen=True)
class ContactKind:
    """A kind of published contact the channel probes (`Contact.channel`), and how a raw
    value becomes a normalised one: `normalise(raw, area_code) -> (value, extension)`,
    raising ValueError with a message for staff."""

    name: str
    label: str
    normalise: Callable[[str, str], tuple[str, str | None]] | None = None
    # The directory field a contact of this kind is read from when it has a column of its own
    # (`website`: one URL per organisation, normalised by `normalise`); None for the kinds the
    # directory parses out of its phones and e-mails cells.
    column: str | None = None
    # A value as an operator would type it, the forms' placeholder (`https://example.ru`).
    example: str = ""


@dataclass(frozen=True)
class CliGroup:
    """`probe <group> ...`: `register(app)` adds the channel's commands to the group's Typer app.
    The group `check` is shared: each channel adds its `probe check <channel>` there."""

    register: Callable[[Any], None]
    help: str = ""


@dataclass(frozen=True)
class MailReply:
    """A channel whose follow-up checks (probe.results.FollowUp) end by e-mail: the e-mail
    watcher matches a reply by the reference token in the follow-up's details (probe.reference)
    and ends it `replied`, timed like a letter; its sweep ends one past the reply window as
    `unanswered`. Both are this channel's outcome names."""

    replied: str
    unanswered: str


@dataclass(frozen=True)
class ChannelSpec:
    """What a channel declares; data only, read by the registry and the engine."""

    name: str  # the channel (the phone, e-mail, a web form)
    label: str  # what staff read: «телефон»
    backend: str  # this implementation (SIP, SMTP, Twilio), the entry point's name
    outcomes: tuple[OutcomeSpec, ...]
    config_model: type[BaseModel]  # a campaign's options for this channel
    timeout_seconds: float = 60.0  # the runner's limit on one probe
    concurrency: Concurrency = Concurrency.PARALLEL
    rate_limit: RateLimit = RateLimit()
    settings: tuple[SettingsSection, ...] = ()
    contact_kinds: tuple[ContactKind, ...] = ()
    retry: tuple[RetryRule, ...] = ()
    # Where the control probe of an outage check goes, read from the settings (None: none).
    control_target: Callable[[Settings], str | None] | None = None
    protocol_columns: tuple[str, ...] = ()  # e.g. "protocol6.table1.col4"
    # `probe <group> ...` command groups it adds to (`check`) or brings (`mail`).
    cli: Mapping[str, CliGroup] = field(default_factory=dict)
    # Long-running services the runner keeps alive (mailbox watcher, deadline sweeper):
    # (engine=, settings=, stop=, sink=) -> coroutines; a final result that arrives later is
    # handed to `sink` (probe.results.ResultSink), never written by the channel.
    services: Callable[..., list[Any]] | None = None
    # One pass over checks whose time ran out (no reply by the deadline): (engine=, now=,
    # sink=) -> how many it closed. The sandbox runs it after each jump of its clock.
    sweep: Callable[..., int] | None = None
    # After a crash: a check's fate asked of the channel (see ChannelPlugin.resolve_in_flight).
    resolves_in_flight: bool = False
    # Offered in the review UI's filters; False for a channel that exists for tests only.
    listed: bool = True
    # Contacts the probe finds the organisation publishing (a website's phones): (details key,
    # the channel whose directory contacts they are compared with): a website's ("phones",
    # its phone channel's name).
    # One the directory lacks puts the check in the review queue («справочник может быть
    # устаревшим», storage.published).
    published_contacts: tuple[tuple[str, str], ...] = ()
    # The campaign section it reads (`calls`, `email`) and its model, form fields and summary
    # (probe.policies.CampaignSection); None: its concurrency class's defaults.
    campaign: CampaignSection | None = None
    # Its follow-ups wait for an answer by e-mail (a question submitted through a form).
    replies_by_mail: MailReply | None = None
    # Its services and sweep end those follow-ups (the e-mail channel): the runner keeps them
    # going while any waits, whatever channels the running campaigns name.
    serves_mail_replies: bool = False

    def outcome(self, name: str) -> OutcomeSpec:
        for spec in self.outcomes:
            if spec.name == name:
                return spec
        raise ValueError(f"outcome {name!r} does not belong to channel {self.name!r}")

    @property
    def outcome_names(self) -> frozenset[str]:
        return frozenset(o.name for o in self.outcomes) | {UNKNOWN_OUTCOME}


# -- the interface ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeTarget:
    """What a channel needs to know to probe one contact; no database objects."""

    check_id: int
    channel: str  # a registered channel's name
    value: str  # E.164 number or e-mail address
    extension: str | None = None
    organisation_id: int | None = None
    organisation_name: str = ""
    timezone: str = "UTC"
    campaign_id: int | None = None
    attempt: int = 1
    # The campaign's options for this channel (template, listening time, ...), validated by
    # the channel's own Config model.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProbeContext:
    settings: Settings
    evidence_dir: Path  # this check's own folder for raw messages, traces, recordings
    log: Any  # a structlog logger bound to check_id / campaign_id


@runtime_checkable
class ChannelPlugin(Protocol):
    """One async entry point of the same shape for every channel (see STYLE.md)."""

    spec: ChannelSpec

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult: ...


# Optional methods, looked up with getattr:
#   resolve_in_flight(target, context) -> CheckResult | None   (spec.resolves_in_flight)
#   close() -> Awaitable[None]                                  pooled connections


# -- the registry ----------------------------------------------------------------------------


class UnknownChannelError(LookupError):
    pass


_BROKEN: dict[str, str] = {}
# Plugins given in code rather than by an entry point (a channel defined inside tests/).
_GIVEN: list[ChannelPlugin] = []


@cache
def _backends() -> dict[str, dict[str, ChannelPlugin]]:
    """channel -> backend -> plugin. Plugins load at first use; they import their heavy
    libraries (pjsua2) lazily.

    A plugin that fails to load is left out and remembered, so one broken channel (a missing
    system library) never takes the CLI or the other channels down with it.
    """
    found: dict[str, dict[str, ChannelPlugin]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = point.load()
            plugin = plugin() if isinstance(plugin, type) else plugin
        except Exception as error:
            _BROKEN[point.name] = f"{type(error).__name__}: {error}"
            continue
        if not isinstance(plugin, ChannelPlugin) or not isinstance(plugin.spec, ChannelSpec):
            _BROKEN[point.name] = "not a ChannelPlugin with a ChannelSpec"
            continue
        found.setdefault(plugin.spec.name, {})[plugin.spec.backend] = plugin
    for plugin in _GIVEN:
        found.setdefault(plugin.spec.name, {})[plugin.spec.backend] = plugin
    return found


def add_plugin(plugin: ChannelPlugin) -> Callable[[], None]:
    """Register a plugin without an entry point (a channel defined in tests); returns the undo."""
    if not isinstance(plugin, ChannelPlugin) or not isinstance(plugin.spec, ChannelSpec):
        raise TypeError(f"not a ChannelPlugin with a ChannelSpec: {plugin!r}")
    _GIVEN.append(plugin)
    _backends.cache_clear()

    def remove() -> None:
        _GIVEN.remove(plugin)
        _backends.cache_clear()

    return remove


def available_channels() -> list[str]:
    return sorted(_backends())


def _chosen_backend(name: str, backends: dict[str, ChannelPlugin], settings: Any) -> str:
    if len(backends) == 1:
        return next(iter(backends))
    chosen = getattr(settings, "backends", {}).get(name)
    if chosen is None:
        raise UnknownChannelError(
            f"channel {name!r} has backends {', '.join(sorted(backends))}: "
            f"choose one with PROBE_BACKENDS__{name.upper()}"
        )
    if chosen not in backends:
        raise UnknownChannelError(
            f"channel {name!r} has no backend {chosen!r}; available: {', '.join(sorted(backends))}"
        )
    return str(chosen)


def get_channel(name: str, settings: Settings | None = None) -> ChannelPlugin:
    """The plugin serving channel `name` (the backend chosen by the settings)."""
    backends = _backends().get(name)
    if not backends:
        known = ", ".join(available_channels()) or "none"
        broken = "; ".join(f"{point}: {why}" for point, why in sorted(_BROKEN.items()))
        raise UnknownChannelError(
            f"unknown channel {name!r}; available: {known}"
            + (f" (backends not loaded: {broken})" if broken else "")
        )
    if settings is None:
        from probe.settings import get_settings

        settings = get_settings()
    return backends[_chosen_backend(name, backends, settings)]


def channel_spec(name: str) -> ChannelSpec:
    """A channel's declarations; every backend of a channel declares the same outcomes."""
    backends = _backends().get(name)
    if not backends:
        get_channel(name)  # raises UnknownChannelError with the known names
        raise AssertionError
    return next(iter(sorted(backends.items())))[1].spec


def all_specs() -> list[ChannelSpec]:
    return [channel_spec(name) for name in available_channels()]


def outcome_spec(channel: str, outcome: str) -> OutcomeSpec:
    return channel_spec(channel).outcome(outcome)


def outcome_labels() -> dict[str, str]:
    """Every registered outcome's Russian label, and the channel-independent `unknown`."""
    labels = {o.name: o.label for spec in all_specs() for o in spec.outcomes}
    return labels | {UNKNOWN_OUTCOME: "неизвестно"}


def channel_labels() -> dict[str, str]:
    return {spec.name: spec.label for spec in all_specs()}


def outcomes_where(test: Callable[[OutcomeSpec], bool]) -> frozenset[str]:
    """The outcome names, over every channel, that pass `test` (ours, success, verdict...)."""
    return frozenset(o.name for spec in all_specs() for o in spec.outcomes if test(o))


def our_failure_outcomes() -> frozenset[str]:
    return outcomes_where(lambda o: o.ours) | {UNKNOWN_OUTCOME}


def channel_failure_outcomes() -> frozenset[str]:
    return outcomes_where(lambda o: o.says_channel_failed)


def suspect_outcomes() -> frozenset[str]:
    return outcomes_where(lambda o: o.suspect)


def one_per_organisation(channel: str) -> bool:
    """Calls: one attempt at a time per organisation, politeness rules apply."""
    return channel_spec(channel).concurrency is Concurrency.ONE_PER_ORGANISATION


def one_per_organisation_channels() -> frozenset[str]:
    return frozenset(
        spec.name for spec in all_specs() if spec.concurrency is Concurrency.ONE_PER_ORGANISATION
    )


def our_failure_outcome(channel: str) -> str:
    """The outcome a channel's result gets when the failure was ours (timeout, crash)."""
    for spec in channel_spec(channel).outcomes:
        if spec.ours and spec.says_channel_failed:
            return spec.name
    raise UnknownChannelError(f"channel {channel!r} declares no outcome for our failure")


def contact_kind(name: str) -> ContactKind:
    """The channel that handles contacts of kind `name`, and how it normalises them.

    A stored contact names its channel (`Contact.channel`): a channel's name finds its one
    contact kind too (`web` -> `website`)."""
    for spec in all_specs():
        for kind in spec.contact_kinds:
            if kind.name == name:
                return kind
    for spec in all_specs():
        if spec.name == name and len(spec.contact_kinds) == 1:
            return spec.contact_kinds[0]
    known = sorted(k.name for s in all_specs() for k in s.contact_kinds)
    raise UnknownChannelError(f"unknown contact kind {name!r}; available: {', '.join(known)}")


def contact_kinds() -> list[tuple[str, ContactKind]]:
    """(channel, kind) for every contact kind of a listed channel: what an operator can add by
    hand (a channel that exists for tests only offers none)."""
    return [(s.name, kind) for s in all_specs() if s.listed for kind in s.contact_kinds]


def column_contact_kinds() -> list[tuple[str, ContactKind]]:
    """(channel, kind) for every contact kind read from a directory column of its own
    (`("web", ContactKind("website", ..., column="website"))`), for the directory importer."""
    return [(spec.name, kind) for spec in all_specs() for kind in spec.contact_kinds if kind.column]


def settings_sections() -> dict[str, type[BaseModel]]:
    """Section name -> the model of the channel that declares it (every backend's)."""
    sections: dict[str, type[BaseModel]] = {}
    for backends in _backends().values():
        for plugin in backends.values():
            for section in plugin.spec.settings:
                sections[section.name] = section.model
    return sections


def mail_reply_channels() -> dict[str, MailReply]:
    """Channel -> how its follow-ups end by e-mail, for the channels that declare it."""
    return {spec.name: spec.replies_by_mail for spec in all_specs() if spec.replies_by_mail}


def mail_reply_servers() -> set[str]:
    """The channels whose services end the follow-ups answered by mail."""
    return {spec.name for spec in all_specs() if spec.serves_mail_replies}


def cli_groups() -> dict[str, list[CliGroup]]:
    """`probe <group>` command groups the channels declare: name -> each channel's part."""
    groups: dict[str, list[CliGroup]] = {}
    for spec in all_specs():
        for name, group in spec.cli.items():
            groups.setdefault(name, []).append(group)
    return groups

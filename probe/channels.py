"""The one interface every channel implements, and the registry that finds them.

A channel is a package under `adapters/` exposing a `ChannelPlugin`, registered as an entry
point in the `probe.channels` group of pyproject.toml. The engine, the CLI and the scheduler
find channels only through `get_channel()`: they never import an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from probe.results import Channel, CheckResult
from probe.settings import Settings

ENTRY_POINT_GROUP = "probe.channels"


@dataclass(frozen=True)
class ProbeTarget:
    """What a channel needs to know to probe one contact; no database objects."""

    check_id: int
    channel: Channel
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

    name: Channel
    config_model: type[BaseModel]

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult: ...


# Optional plugin attributes, looked up with getattr:
#   register_cli(app: typer.Typer) -> None   adds `probe check <channel>` (see probe/cli/check.py)
#   services(context) -> list[Awaitable]    long-running tasks the runner keeps alive (IMAP watcher)


class UnknownChannelError(LookupError):
    pass


_BROKEN: dict[str, str] = {}


@cache
def _registry() -> dict[str, ChannelPlugin]:
    """Plugins load at first use; they import their heavy libraries (pjsua2) lazily.

    A plugin that fails to load is left out and remembered, so one broken channel (a missing
    system library) never takes the CLI or the other channels down with it.
    """
    found: dict[str, ChannelPlugin] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = point.load()
            plugin = plugin() if isinstance(plugin, type) else plugin
        except Exception as error:
            _BROKEN[point.name] = f"{type(error).__name__}: {error}"
            continue
        if not isinstance(plugin, ChannelPlugin):
            _BROKEN[point.name] = "not a ChannelPlugin"
            continue
        found[point.name] = plugin
    return found


def available_channels() -> list[str]:
    return sorted(_registry())


def get_channel(name: str) -> ChannelPlugin:
    try:
        return _registry()[name]
    except KeyError:
        if name in _BROKEN:
            raise UnknownChannelError(
                f"channel {name!r} could not be loaded: {_BROKEN[name]}"
            ) from None
        raise UnknownChannelError(
            f"unknown channel {name!r}; available: {', '.join(available_channels()) or 'none'}"
        ) from None

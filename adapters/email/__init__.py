"""The e-mail channel: send a citizen's question, watch the mailbox, match and classify replies,
time them in the organisation's working days. The engine reaches it as the `email` entry point.

For the campaign runner:
- `plugin.probe(target, context)` sends and returns a pending result (or a final one);
- `run_watcher(engine=, settings=, stop=, sink=)` and `run_sweeper(engine=, stop=, sink=)` are
  the services; `sweep_no_reply(engine=, now=, sink=)` is one sweep (final outcomes go to the
  engine's `sink`);
- `find_sent(settings=, message_id=)` and `identity(target, settings)` recover after a crash.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from adapters.email.config import Config
from adapters.email.plugin import EmailPlugin, identity, plugin
from adapters.email.sent import find_sent
from adapters.email.sweep import run_sweeper, sweep_no_reply
from adapters.email.watcher import WatcherOptions, run_watcher


def services(
    *, engine: Any, settings: Any, stop: Any, sink: Any
) -> list[Coroutine[Any, Any, None]]:
    """The long-running tasks the runner keeps alive for this channel; both hand final
    outcomes to the engine's `sink` (probe.results.ResultSink)."""
    return [
        run_watcher(engine=engine, settings=settings, stop=stop, sink=sink),
        run_sweeper(engine=engine, stop=stop, sink=sink),
    ]


__all__ = [
    "Config",
    "EmailPlugin",
    "WatcherOptions",
    "find_sent",
    "identity",
    "plugin",
    "run_sweeper",
    "run_watcher",
    "services",
    "sweep_no_reply",
]

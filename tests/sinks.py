"""The engine's result sink for tests that drive a channel's watcher or sweep directly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from probe.settings import Settings
from schedules.completion import EngineSink, sink_for


def engine_sink(engine: Engine, settings: Settings | None = None) -> EngineSink:
    return sink_for(engine, settings or Settings())


def sweep_email(engine: Engine, *, now: datetime) -> int:
    """One e-mail no-reply sweep, its outcomes stored by the engine."""
    from adapters.email import sweep_no_reply

    return sweep_no_reply(engine=engine, now=now, sink=engine_sink(engine))

"""The speech engine (adapters/sip/greeting, extra `probe[speech]`), loaded only in the
greeting workers; `unavailable()` says why it cannot run, without importing it."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from probe.settings import Settings

EXTRA_HINT = "install the extra: scripts/setup.sh --speech (pip install 'contact-prober[speech]')"


class SpeechUnavailable(RuntimeError):
    pass


def unavailable(settings: Settings) -> str | None:
    """Why greetings cannot be read here (the extra or its model missing), or None."""
    for module in ("faster_whisper", "adapters.sip.greeting"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} is not installed: {EXTRA_HINT}"
    check = getattr(importlib.import_module("adapters.sip.greeting"), "unavailable", None)
    reason = check(settings) if callable(check) else None
    return str(reason) if reason else None


def load(settings: Settings) -> tuple[Callable[..., Any], Callable[[dict[str, str]], Any]]:
    """(analyse, names): analyse(wav, names, settings, start=, seconds=) -> the proposal;
    names({"name", "short_name"}) -> what the engine matches the organisation against."""
    reason = unavailable(settings)
    if reason is not None:
        raise SpeechUnavailable(reason)
    greeting = importlib.import_module("adapters.sip.greeting")

    def analyse(
        wav: Path, names: Any, settings: Settings, *, start: float, seconds: float | None
    ) -> Any:
        return greeting.analyse_greeting(wav, names, settings, start=start)

    def names(organisation: dict[str, str]) -> Any:
        return greeting.OrganisationNames(organisation["name"], organisation["short_name"])

    return analyse, names

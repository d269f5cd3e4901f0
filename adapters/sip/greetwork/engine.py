"""The speech engine (adapters/sip/greeting, extra `probe[speech]`), loaded only in the
greeting workers; `unavailable()` says why it cannot run here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.sip.greeting import (
    OrganisationNames,
    SpeechUnavailable,
    analyse_greeting,
    speech_unavailable_reason,
)
from probe.settings import Settings

__all__ = ["SpeechUnavailable", "load", "unavailable"]


def unavailable(settings: Settings) -> str | None:
    """Why greetings cannot be read here (the extra or its model missing), or None."""
    return speech_unavailable_reason(settings)


def _names(organisation: dict[str, str]) -> OrganisationNames:
    full = organisation.get("name") or organisation.get("short_name") or "организация"
    return OrganisationNames(full=full, short=organisation.get("short_name") or None)


def load(settings: Settings) -> tuple[Callable[..., Any], Callable[[dict[str, str]], Any]]:
    """(analyse, names): analyse(wav, names, settings, start=, seconds=) -> the proposal's
    data; names({"name", "short_name"}) -> what the engine matches the organisation against."""
    reason = unavailable(settings)
    if reason is not None:
        raise SpeechUnavailable(reason)

    def analyse(
        wav: Path,
        names: OrganisationNames,
        settings: Settings,
        *,
        start: float,
        seconds: float | None,
    ) -> dict[str, Any]:
        found = analyse_greeting(wav, names, settings, start=start, seconds=seconds)
        return found.to_dict() | {"column": found.column}

    return analyse, _names

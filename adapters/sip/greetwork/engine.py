"""The speech engine (adapters/sip/greeting, extra `probe[speech]`), loaded only in the
greeting workers; `unavailable()` says why it cannot run here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.sip.greeting import (
    Clip,
    GreetingProposal,
    OrganisationNames,
    SpeechUnavailable,
    analyse_greeting,
    analyse_greetings,
    speech_unavailable_reason,
)
from probe.settings import Settings

__all__ = ["Job", "Speech", "SpeechUnavailable", "load", "unavailable"]


@dataclass(frozen=True)
class Job:
    """One person's greeting to read: where it is in the recording, whose it is."""

    wav: Path
    start: float
    seconds: float | None
    names: OrganisationNames


@dataclass(frozen=True)
class Speech:
    """`one(job)`: a greeting alone (its own Whisper pass, as the CLI reads it); `many(jobs)`:
    several in shared passes (`analyse_greetings`, a backlog's way: docs/greeting.md, "Accuracy
    and cost"); `names({"name", "short_name"})`: what the organisation is matched against.
    Both give each proposal's data (JSON-ready, with its `column`, and `batch`: how many
    greetings were read together)."""

    one: Callable[[Job], dict[str, Any]]
    many: Callable[[list[Job]], list[dict[str, Any]]]
    names: Callable[[dict[str, str]], OrganisationNames]


def unavailable(settings: Settings) -> str | None:
    """Why greetings cannot be read here (the extra or its model missing), or None."""
    return speech_unavailable_reason(settings)


def _names(organisation: dict[str, str]) -> OrganisationNames:
    full = organisation.get("name") or organisation.get("short_name") or "организация"
    return OrganisationNames(full=full, short=organisation.get("short_name") or None)


def _data(found: GreetingProposal, batch: int) -> dict[str, Any]:
    """The proposal's data, its column, and how many greetings were read together."""
    return found.to_dict() | {"column": found.column, "batch": batch}


def lost_part(found: GreetingProposal) -> bool:
    """The organisation found with a name but no position, or a position but no name: in a
    shared pass Whisper now and then runs a name into the next words (a surname and patronymic
    read as one garbled word) or garbles a position, which the same greeting read alone keeps
    (docs/greeting.md). Such a proposal is read again alone; one with the organisation only is
    not (nothing of a person was heard)."""
    parts = found.found
    return parts["organisation"] and parts["full_name"] != parts["position"]


# Seconds after the greeting's onset (where the call's speech detection heard the person begin)
# by which a shared pass's first word may start. In passes of six, Whisper now and then drops a
# greeting's first words, the organisation's name: make demo's two misses of one run began
# 1.2 s late («Слушаю вас.» for «Комплексный центр, слушаю вас.»), every greeting read right
# began within 0.32 s (94 greetings); each read alone began on time and was right.
LATE_START = 0.8


def lost_beginning(found: GreetingProposal, onset: float) -> bool:
    """The shared pass's first word starts LATE_START or more after the greeting's onset
    (seconds in the recording): its first words, where the organisation is named, were lost."""
    return bool(found.words) and found.words[0].start - onset >= LATE_START


def load(settings: Settings) -> Speech:
    """The engine for these settings; SpeechUnavailable when it cannot run here."""
    reason = unavailable(settings)
    if reason is not None:
        raise SpeechUnavailable(reason)

    def one(job: Job) -> dict[str, Any]:
        found = analyse_greeting(job.wav, job.names, settings, start=job.start, seconds=job.seconds)
        return _data(found, 1)

    def many(jobs: list[Job]) -> list[dict[str, Any]]:
        """Shared passes; a greeting a pass heard in part (`lost_part`) or without its
        beginning (`lost_beginning`) is read again alone, and its proposal says so (`reread`:
        what the shared pass heard)."""
        clips = [(Clip(j.wav, j.start, j.seconds), j.names) for j in jobs]
        found = analyse_greetings(clips, settings)
        if len(jobs) < 2:
            return [_data(f, len(jobs)) for f in found]
        data = []
        for job, shared in zip(jobs, found, strict=True):
            if lost_part(shared) or lost_beginning(shared, job.start):
                alone = one(job)
                data.append(alone | {"batch": len(jobs), "reread": shared.transcript})
            else:
                data.append(_data(shared, len(jobs)))
        return data

    return Speech(one=one, many=many, names=_names)

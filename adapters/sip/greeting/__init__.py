"""The greeting of a person who answered, as Protocol No. 6 columns 7-9 judge it.

`transcribe` turns the first seconds of a person's speech into words on this machine
(faster-whisper, the optional extra `speech`); `propose` finds the organisation, a full name and
a position in them and proposes a column; `analyse_greeting` does both. See docs/greeting.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.sip.greeting.batch import Clip, transcribe_many
from adapters.sip.greeting.detect import COLUMNS, Etiquette, GreetingProposal, Part, propose
from adapters.sip.greeting.model import (
    SpeechUnavailable,
    Transcript,
    Word,
    speech_unavailable_reason,
    transcribe,
)
from adapters.sip.greeting.names import OrganisationNames
from adapters.sip.greeting.settings import SpeechSettings


def analyse_greeting(
    wav: Path,
    names: OrganisationNames,
    settings: Any = None,
    start: float = 0.0,
    seconds: float | None = None,
) -> GreetingProposal:
    """Transcribe the greeting that starts `start` seconds into the recording and propose its
    column. Raises SpeechUnavailable (the extra or the model missing), FileNotFoundError,
    ValueError (not audio)."""
    transcript = transcribe(Path(wav), settings=settings, start=start, seconds=seconds)
    return propose(transcript, names)


def analyse_greetings(
    clips: list[tuple[Clip, OrganisationNames]], settings: Any = None
) -> list[GreetingProposal]:
    """Several greetings at once (a backlog): transcribed in shared passes, far cheaper per
    greeting than one `analyse_greeting` each (docs/greeting.md, "Cost")."""
    transcripts = transcribe_many([clip for clip, _ in clips], settings=settings)
    return [propose(t, names) for t, (_, names) in zip(transcripts, clips, strict=True)]


__all__ = [
    "COLUMNS",
    "Clip",
    "Etiquette",
    "GreetingProposal",
    "OrganisationNames",
    "Part",
    "SpeechSettings",
    "SpeechUnavailable",
    "Transcript",
    "Word",
    "analyse_greeting",
    "analyse_greetings",
    "propose",
    "speech_unavailable_reason",
    "transcribe",
    "transcribe_many",
]

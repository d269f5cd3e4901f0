"""The centres' greetings: real Russian speech of each kind Protocol No. 6 columns 7-9 judge,
read by festival's Russian voice (probe/sandbox/voice.py) and played by SIPp through the
telephone codec (G.711 mu-law).

The words name the kind of institution every sandbox centre is (a complex centre of social
services), as people answering there do, so a clip serves any centre. Each kind has several
wordings (other staff, positions, forms of the centre's name), each read at its own speed and
pitch: the persons of different numbers say different words in different voices, as on a real
campaign. The greeting worker reads several recordings in one Whisper pass; the same words
again and again in one pass are what no campaign records, and make Whisper loop.

Who picks up and keeps the line (no transfer) answers our question too (`answering`): a person
who greets once and then stays silent while asked is what an answering machine does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from probe.sandbox import voice

Kind = Literal["full", "organisation_only", "none"]
KINDS: tuple[Kind, ...] = ("full", "organisation_only", "none")
# Protocol No. 6, table 1: the column of each kind.
COLUMNS: dict[str, int] = {"full": 7, "organisation_only": 8, "none": 9}
WORDINGS: dict[Kind, tuple[str, ...]] = {
    # Column 7: the organisation, the person's position and full name (regulation 001).
    "full": (
        "Комплексный центр социального обслуживания, специалист по социальной работе "
        "Смирнова Ольга Николаевна, здравствуйте.",
        "Комплексный центр, социальный работник Петров Андрей Сергеевич, добрый день.",
        "Комплексный центр, специалист Волкова Ирина Николаевна, слушаю вас.",
        "Комплексный центр социального обслуживания, директор Морозов Сергей Иванович, "
        "добрый день.",
    ),
    # Column 8: the organisation only.
    "organisation_only": (
        "Комплексный центр социального обслуживания, здравствуйте.",
        "Комплексный центр, слушаю вас.",
        "Добрый день, комплексный центр.",
    ),
    # Column 9: no introduction at all.
    "none": ("Алло, слушаю вас.", "Да, здравствуйте.", "Алло, говорите."),
}
TEXTS: dict[Kind, str] = {kind: texts[0] for kind, texts in WORDINGS.items()}
# (tempo, pitch in cents) of each voice: festvox-ru has one speaker; speed and pitch make others.
VOICES: tuple[tuple[float, int], ...] = ((1.1, 0), (1.05, -100), (1.0, 100), (0.95, 0))
# What a person says to our question (the prober's default, adapters/sip/prompt.py).
REPLY = "Да, конечно. Нужно написать заявление, приходите к нам с паспортом."
# The prober asks when the greeting ends (0.7 s later) for 7.5 s; the answer begins a moment
# after, well inside the 5 s the prober waits for it (adapters/sip/config.py reply_wait_seconds)
# and after the 10 s of a person's greeting the worker reads.
REPLY_AFTER_SECONDS = 9.0
LEADING_SECONDS = 0.5  # the line before the first word
# The line after the last word: SIPp plays a clip in a loop, and a person greets once (a
# greeting heard again and again a second later is not what a recording holds, and makes
# Whisper loop). Longer than a call is listened to (28 s).
TRAILING_SECONDS = 40.0


@dataclass(frozen=True)
class Greeting:
    """One person's clip: raw mu-law for SIPp, and the seconds until its last word."""

    clip: Path
    seconds: float
    answering: Path  # the same greeting, then the answer to our question


def variant(kind: Kind, person: int) -> int:
    """Which wording and voice the `person`-th (any stable count) greeting of a kind gets."""
    return person % max(len(WORDINGS[kind]), len(VOICES))


def make_greetings(directory: Path) -> dict[tuple[Kind, int], Greeting]:
    """(kind, variant) -> its clips, every wording and voice of every kind."""
    directory.mkdir(parents=True, exist_ok=True)
    missing = voice.festival_missing()
    if missing:
        raise RuntimeError(f"missing {missing}: run `scripts/setup.sh --sandbox`")
    lead = voice.silence(directory / "lead.wav", LEADING_SECONDS)
    tail = voice.silence(directory / "tail.wav", TRAILING_SECONDS)
    wait = voice.silence(directory / "wait.wav", REPLY_AFTER_SECONDS)
    reply = voice.say(directory / "reply.wav", REPLY, tempo=1.1)
    clips: dict[tuple[Kind, int], Greeting] = {}
    for kind in KINDS:
        texts = WORDINGS[kind]
        for index in range(max(len(texts), len(VOICES))):
            tempo, pitch = VOICES[index % len(VOICES)]
            name = f"greeting-{kind}-{index}"
            spoken = voice.say(
                directory / f"{name}.wav", texts[index % len(texts)], tempo=tempo, pitch=pitch
            )
            said = voice.ulaw(directory / f"{name}.said.ulaw", [lead, spoken])
            clips[(kind, index)] = Greeting(
                clip=voice.ulaw(directory / f"{name}.ulaw", [lead, spoken, tail]),
                seconds=said.stat().st_size / 8000.0,
                answering=voice.ulaw(
                    directory / f"{name}.answering.ulaw", [lead, spoken, wait, reply, tail]
                ),
            )
    return clips

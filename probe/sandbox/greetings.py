"""The centres' greetings: real Russian speech of each kind Protocol No. 6 columns 7-9 judge,
read by festival's Russian voice (probe/sandbox/voice.py) and played by SIPp through the
telephone codec (G.711 mu-law).

The words name the kind of institution every sandbox centre is (a complex centre of social
services), as people answering there do, so the same clip serves every centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from probe.sandbox import voice

Kind = Literal["full", "organisation_only", "none"]
KINDS: tuple[Kind, ...] = ("full", "organisation_only", "none")
# Protocol No. 6, table 1: the column of each kind.
COLUMNS: dict[str, int] = {"full": 7, "organisation_only": 8, "none": 9}
TEXTS: dict[Kind, str] = {
    # Column 7: the organisation, the person's position and full name (regulation 001).
    "full": (
        "Комплексный центр социального обслуживания, специалист по социальной работе "
        "Смирнова Ольга Николаевна, здравствуйте."
    ),
    # Column 8: the organisation only.
    "organisation_only": "Комплексный центр социального обслуживания, здравствуйте.",
    # Column 9: no introduction at all.
    "none": "Алло, слушаю вас.",
}
LEADING_SECONDS = 0.5  # the line before the first word
# The line after the last word: SIPp plays a clip in a loop, and a person greets once (a
# greeting heard again and again a second later is not what a recording holds, and makes
# Whisper loop). Longer than a call is listened to (28 s).
TRAILING_SECONDS = 40.0


def make_greetings(directory: Path) -> dict[Kind, tuple[Path, float]]:
    """kind -> (raw mu-law clip for SIPp, seconds until its last word)."""
    directory.mkdir(parents=True, exist_ok=True)
    missing = voice.festival_missing()
    if missing:
        raise RuntimeError(f"missing {missing}: run `scripts/setup.sh --sandbox`")
    lead = voice.silence(directory / "lead.wav", LEADING_SECONDS)
    tail = voice.silence(directory / "tail.wav", TRAILING_SECONDS)
    clips: dict[Kind, tuple[Path, float]] = {}
    for kind in KINDS:
        spoken = voice.say(directory / f"greeting-{kind}.wav", TEXTS[kind], tempo=1.1)
        said = voice.ulaw(directory / f"greeting-{kind}.said.ulaw", [lead, spoken])
        clip = voice.ulaw(directory / f"greeting-{kind}.ulaw", [lead, spoken, tail])
        clips[kind] = (clip, said.stat().st_size / 8000.0)
    return clips

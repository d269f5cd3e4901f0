"""Russian speech for the organisations the sandbox (and the phone tests) play.

festival with the festvox-ru voice (msu_ru_nsh_clunits) reads whole phrases without the
pauses espeak-ng puts at commas, so a greeting is one utterance as a person says it. sox turns
it into 8 kHz audio; `ulaw` writes the raw mu-law SIPp's rtp_stream sends (the telephone codec,
G.711 PCMU).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

VOICE_DIR = Path("/usr/share/festival/voices/russian")


def festival_missing() -> str | None:
    """What is missing to speak Russian here, or None."""
    missing = [t for t in ("text2wave", "sox") if shutil.which(t) is None]
    if not VOICE_DIR.is_dir():
        missing.append("festvox-ru")
    return ", ".join(missing) or None


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=60)


def say(path: Path, text: str, *, tempo: float = 1.0, pitch: int = 0) -> Path:
    """8 kHz mono 16-bit WAV of `text` read by festival's Russian voice; `tempo` speeds it up
    (1.1: 10 % faster), `pitch` shifts it in cents (-300: a lower voice)."""
    source = path.with_suffix(".txt")
    source.write_text(text, encoding="utf-8")
    raw = path.with_suffix(".16k.wav")
    subprocess.run(
        ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(source), "-o", str(raw)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    effects = ["tempo", f"{tempo}"] + (["pitch", f"{pitch}"] if pitch else [])
    _sox(str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path), *effects)
    return path


def silence(path: Path, seconds: float) -> Path:
    _sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "trim", "0", f"{seconds}")
    return path


def ulaw(target: Path, parts: list[Path]) -> Path:
    """The parts one after another, as raw mu-law (what rtp_stream plays)."""
    _sox(*[str(p) for p in parts], "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(target))
    return target


def wav(target: Path, parts: list[Path]) -> Path:
    """The parts one after another, as an 8 kHz 16-bit WAV (what the probe records)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sox(*[str(p) for p in parts], "-r", "8000", "-c", "1", "-b", "16", str(target))
    return target

"""Russian speech for the organisations the phone tests play, made at test time.

festival with the festvox-ru voice (msu_ru_nsh_clunits) reads whole phrases without the
pauses espeak-ng puts at commas, so a greeting is one utterance as a person says it. sox turns
it into 8 kHz audio and writes the raw mu-law SIPp's rtp_stream plays.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# The greeting regulation 001 asks for: organisation, position, full name (issue 14).
FULL_GREETING = (
    "Комплексный центр социального обслуживания Тарского района, специалист по социальной "
    "работе Смирнова Ольга Николаевна, здравствуйте."
)
ANSWER = "Да, конечно. Напишите заявление, и мы запишем вас на приём к специалисту."
RECORDED_MESSAGE = (
    "Здравствуйте, вы позвонили в комплексный центр социального обслуживания. "
    "Перезвоните, пожалуйста, в рабочее время."
)


def require_festival() -> None:
    missing = [t for t in ("text2wave", "sox") if shutil.which(t) is None]
    voice = Path("/usr/share/festival/voices/russian")
    if missing or not voice.is_dir():
        pytest.fail("missing festival or festvox-ru: run `scripts/setup.sh --test`")


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=60)


def say(path: Path, text: str, *, tempo: float = 1.0) -> Path:
    """8 kHz mono 16-bit WAV of `text` read by festival's Russian voice."""
    source = path.with_suffix(".txt")
    source.write_text(text, encoding="utf-8")
    raw = path.with_suffix(".16k.wav")
    subprocess.run(
        ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(source), "-o", str(raw)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _sox(str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path), "tempo", f"{tempo}")
    return path


def silence(path: Path, seconds: float) -> Path:
    _sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "trim", "0", f"{seconds}")
    return path


def ulaw(target: Path, parts: list[Path]) -> Path:
    """The parts one after another, as raw mu-law (what rtp_stream plays)."""
    _sox(*[str(p) for p in parts], "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(target))
    return target

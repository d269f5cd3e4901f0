"""Greetings of every kind, spoken by synthetic voices and sent through the telephone codec.

The test set of the greeting engine (tests/integration/test_greeting_audio.py, and
bench/greeting.py): each greeting is made at test time by festival's Russian voice (at two
speeds and pitches) or espeak-ng's, mixed with white noise, coded as 8 kHz G.711 (µ-law or
A-law) and decoded back to 16-bit PCM as the phone probe records it. Nothing large is committed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from adapters.sip.greeting import OrganisationNames

TARA = OrganisationNames("Комплексный центр социального обслуживания населения Тарского района")
VDOKHNOVENIE = OrganisationNames(
    'Бюджетное учреждение Омской области "Комплексный центр социального обслуживания населения '
    '"Вдохновение" Октябрьского административного округа"',
    'БУ "КЦСОН "Вдохновение"',
)
LYUBAVA = OrganisationNames(
    'БУ "КЦСОН "Любава" Советского административного округа"', 'БУ "КЦСОН "Любава"'
)
ORGANISATIONS = {"tara": TARA, "vdokhnovenie": VDOKHNOVENIE, "lyubava": LYUBAVA}


@dataclass(frozen=True)
class Greeting:
    name: str
    organisation: str  # a key of ORGANISATIONS
    text: str
    etiquette: str  # the column it deserves: full, organisation_only, none, machine


GREETINGS = (
    Greeting(
        "full-tara",
        "tara",
        "Комплексный центр социального обслуживания Тарского района, специалист по социальной "
        "работе Смирнова Ольга Николаевна, здравствуйте.",
        "full",
    ),
    Greeting(
        "full-vdokhnovenie",
        "vdokhnovenie",
        "Центр Вдохновение, заведующая отделением Петрова Анна Сергеевна, слушаю вас.",
        "full",
    ),
    Greeting(
        "full-lyubava",
        "lyubava",
        "Комплексный центр Любава, администратор Кузнецов Андрей Викторович, добрый день.",
        "full",
    ),
    Greeting("org-tara", "tara", "Комплексный центр, здравствуйте.", "organisation_only"),
    Greeting(
        "org-vdokhnovenie", "vdokhnovenie", "Центр Вдохновение, слушаю вас.", "organisation_only"
    ),
    Greeting(
        "org-lyubava",
        "lyubava",
        "Центр социального обслуживания Любава, добрый день.",
        "organisation_only",
    ),
    Greeting("none-hello", "tara", "Алло, слушаю вас.", "none"),
    Greeting("none-speak", "vdokhnovenie", "Да, здравствуйте, говорите.", "none"),
    Greeting("none-day", "lyubava", "Добрый день, я вас слушаю.", "none"),
    Greeting(
        "machine-message",
        "tara",
        "Здравствуйте, вы позвонили в комплексный центр социального обслуживания. "
        "Оставьте сообщение после сигнала.",
        "machine",
    ),
    Greeting(
        "machine-menu",
        "vdokhnovenie",
        "Для связи с оператором нажмите ноль или дождитесь ответа.",
        "machine",
    ),
    Greeting(
        "machine-queue",
        "lyubava",
        "Все операторы заняты. Ваш звонок очень важен для нас, оставайтесь на линии.",
        "machine",
    ),
)
# The surname is not a word the recogniser knows: it comes out garbled, the patronymic does not.
GARBLED_SURNAME = Greeting(
    "full-garbled-surname",
    "tara",
    "Комплексный центр, специалист Шмырдяева Ольга Николаевна, слушаю.",
    "full",
)


PAD = 0.5  # seconds of line (noise) before and after each greeting


@dataclass(frozen=True)
class Voice:
    name: str
    engine: str  # festival or espeak
    tempo: float = 1.0  # sox tempo
    pitch: int = 0  # sox pitch, cents
    codec: str = "u-law"  # G.711: u-law or a-law
    noise: float = 0.01  # white noise amplitude (speech peaks near 0.5-0.9)


# The test set's voices: festival's Russian voice as it is, faster and higher, slower and lower.
VOICES = (
    Voice("festival", "festival", codec="u-law"),
    Voice("festival-fast-high", "festival", tempo=1.2, pitch=350, codec="a-law", noise=0.015),
    Voice("festival-slow-low", "festival", tempo=0.9, pitch=-250, codec="u-law", noise=0.012),
)
# espeak-ng's Russian: reported by the bench beside the test set, not part of it. Whisper
# "base" makes little of its robotic formant speech (a few words of a greeting; see
# docs/greeting.md), which says more about the voice than about the detector.
ESPEAK = Voice("espeak", "espeak", codec="a-law")


def missing_tools() -> list[str]:
    tools = [t for t in ("text2wave", "espeak-ng", "sox") if shutil.which(t) is None]
    if not Path("/usr/share/festival/voices/russian").is_dir():
        tools.append("festvox-ru")
    return tools


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=120)


def render(greeting: Greeting, voice: Voice, folder: Path) -> Path:
    """The greeting as the probe records it: 8 kHz mono 16-bit WAV, after G.711 and noise.
    Cached in `folder` by content."""
    key = hashlib.sha256(f"{greeting.text}|{voice}".encode()).hexdigest()[:12]
    final = folder / f"{greeting.name}-{voice.name}-{key}.wav"
    if final.exists():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".{key}"
    work.mkdir(exist_ok=True)
    raw = work / "voice.wav"
    if voice.engine == "festival":
        (work / "text.txt").write_text(greeting.text, encoding="utf-8")
        _run("text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(work / "text.txt"),
             "-o", str(raw))  # fmt: skip
    else:
        _run("espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), greeting.text)
    effects = ["tempo", f"{voice.tempo}"] if voice.tempo != 1.0 else []
    effects += ["pitch", f"{voice.pitch}"] if voice.pitch else []
    speech = work / "speech.wav"
    # Half a second of line before and after the voice, as a recording has.
    _run("sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(speech), *effects,
         "norm", "-3", "pad", f"{PAD}", f"{PAD}")  # fmt: skip
    seconds = subprocess.run(
        ["soxi", "-D", str(speech)], check=True, capture_output=True, text=True
    ).stdout.strip()
    noise = work / "noise.wav"
    _run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(noise), "synth", seconds,
         "whitenoise", "vol", f"{voice.noise}")  # fmt: skip
    coded = work / "coded.wav"
    _run("sox", "-m", "-v", "1", str(speech), "-v", "1", str(noise), "-e", voice.codec,
         "-r", "8000", str(coded))  # fmt: skip
    _run("sox", str(coded), "-e", "signed-integer", "-b", "16", str(final))
    shutil.rmtree(work)
    return final

"""The prompt played after the answer: a file, or a default Russian question made with espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

from probe.errors import OurSideError

DEFAULT_TEXT = (
    "Здравствуйте! Подскажите, пожалуйста, как оформить социальное обслуживание на дому "
    "для пожилого человека?"
)


def default_prompt(directory: Path) -> Path:
    """8 kHz mono 16-bit WAV of DEFAULT_TEXT, generated once and kept under `directory`."""
    target = directory / "prompt-default-ru.wav"
    if target.is_file():
        return target
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        raise OurSideError(
            "the default prompt needs espeak-ng and sox (scripts/setup.sh installs them); "
            "or set the phone option prompt to a WAV file or to none",
            error_class="prompt_unavailable",
        )
    directory.mkdir(parents=True, exist_ok=True)
    raw = target.with_suffix(".raw.wav")
    try:
        subprocess.run(
            [espeak, "-v", "ru", "-s", "140", "-w", str(raw), DEFAULT_TEXT],
            check=True,
            capture_output=True,
            timeout=60,
        )
        subprocess.run(
            [sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", str(target)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise OurSideError(
            f"could not make the default prompt: {error}", error_class="prompt_unavailable"
        ) from error
    finally:
        raw.unlink(missing_ok=True)
    return target


def wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 1)
    except (wave.Error, OSError, EOFError):
        return 0.0

"""The default prompt: a Russian question spoken by espeak-ng, 8 kHz mono, made once."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from adapters.sip.prompt import default_prompt, wav_seconds


def test_the_default_prompt_is_an_8khz_mono_wav_made_once(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are needed: run `scripts/setup.sh --test`")
    path = default_prompt(tmp_path)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    assert 3.0 < wav_seconds(path) < 15.0
    made = path.stat().st_mtime_ns
    assert default_prompt(tmp_path) == path and path.stat().st_mtime_ns == made


def test_a_file_that_is_not_a_wav_has_no_duration(tmp_path: Path) -> None:
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"not a wav")
    assert wav_seconds(bogus) == 0.0

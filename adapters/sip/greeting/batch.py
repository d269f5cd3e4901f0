"""Several greetings in one Whisper pass: the backlog's way to transcribe.

Whisper's encoder always reads 30 s of audio, so a greeting of 3 s costs nearly what 30 s
would (about 1 s of CPU for the encoder alone with one thread). A worker with several
greetings waiting packs them into windows of at most `WINDOW` seconds, each after a second of
silence, transcribes each window once and gives every greeting back the words said within its
own span, timed in its own file.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.sip.greeting.model import (
    SAMPLE_RATE,
    Transcript,
    Word,
    decode,
    load_model,
    read_audio,
    speech_settings,
)

WINDOW = 28.0  # seconds of one pass (Whisper reads 30)
GAP = 1.0  # seconds of silence before each greeting in a window


@dataclass(frozen=True)
class Clip:
    wav: Path
    start: float = 0.0
    seconds: float | None = None  # None: the settings' (12 s)


def _windows(lengths: list[float]) -> list[list[int]]:
    """Greetings (by index) packed in order into windows of at most WINDOW seconds."""
    windows: list[list[int]] = []
    used = WINDOW
    for index, length in enumerate(lengths):
        if used + GAP + length > WINDOW:
            windows.append([])
            used = 0.0
        windows[-1].append(index)
        used += GAP + length
    return windows


def transcribe_many(clips: Sequence[Clip], *, settings: Any = None) -> list[Transcript]:
    """One Transcript per clip, in order, as `transcribe` would give each (offsets in seconds
    of each clip's own file); `cpu_seconds` is each one's share of its window's CPU time."""
    config = speech_settings(settings)
    model = load_model(config)
    most = WINDOW - GAP
    audios = [
        read_audio(Path(c.wav), start=c.start, seconds=min(c.seconds or config.seconds, most))
        for c in clips
    ]
    lengths = [len(a) / SAMPLE_RATE for a in audios]
    results: list[Transcript | None] = [None] * len(clips)
    gap = np.zeros(int(GAP * SAMPLE_RATE), dtype=np.float32)
    for window in _windows(lengths):
        offsets, pieces, at = [], [], 0.0
        for index in window:
            at += GAP
            offsets.append(at)
            pieces += [gap, audios[index]]
            at += lengths[index]
        began = time.process_time()
        words, language = decode(model, np.concatenate(pieces), config)
        cpu = time.process_time() - began
        total = sum(lengths[i] for i in window) or 1.0
        for slot, index in enumerate(window):
            low, high = offsets[slot], offsets[slot] + lengths[index]
            clip = clips[index]
            own = [
                Word(
                    w.text,
                    round(clip.start + max(0.0, w.start - low), 3),
                    round(clip.start + min(high, w.end) - low, 3),
                    w.probability,
                )
                for w in words
                if low - GAP / 2 <= (w.start + w.end) / 2 < high + GAP / 2
            ]
            results[index] = Transcript(
                words=own,
                text=" ".join(w.text for w in own),
                language=language,
                start=clip.start,
                seconds=round(lengths[index], 3),
                cpu_seconds=round(cpu * lengths[index] / total, 3),
                extra={"batch": len(window)},
            )
    return [r for r in results if r is not None]

"""Several greetings in one Whisper pass: the backlog's way to transcribe.

Whisper's encoder always reads 30 s of audio, so a greeting of 3 s costs nearly what 30 s
would (about 1 s of CPU for the encoder alone with one thread). A worker with several
greetings waiting packs them, each without the line after its last word, into windows of at
most `WINDOW` seconds, each after a second of silence, transcribes each window once and gives
every greeting back the words said within its own span, timed in its own file.
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
    load_model,
    read_audio,
    speech_settings,
    transcribe,
)

WINDOW = 28.0  # seconds of one pass (Whisper reads 30)
GAP = 1.0  # seconds of silence before each greeting in a window
FRAME = 0.02  # seconds of one frame when finding where the voice ends
TAIL = 0.4  # seconds kept after the last voiced frame
# Whisper's own sign of a looping pass (faster-whisper's compression_ratio_threshold): the
# same words over and over. Greetings alike in one pass (a centre's staff say the same words)
# can set the decoder repeating them past the audio; that pass's greetings are read alone.
LOOP_RATIO = 2.4


@dataclass(frozen=True)
class Clip:
    wav: Path
    start: float = 0.0
    seconds: float | None = None  # None: the settings' (12 s)


def without_trailing_line(audio: np.ndarray) -> np.ndarray:
    """The clip up to its last voiced frame and TAIL after it. A person's window (up to 10 s)
    mostly ends in the line waiting for the caller: packed as it is, two greetings fill a pass;
    without it, three to six do. A frame is voiced above three times the clip's quietest frames
    (its 10th percentile: the line's noise), at least 2 % and at most 10 % of its loudest.
    Nothing inside the speech is cut, only what follows the last voiced frame."""
    size = int(FRAME * SAMPLE_RATE)
    frames = len(audio) // size
    if frames < 10:
        return audio
    rms = np.sqrt((audio[: frames * size].reshape(frames, size) ** 2).mean(axis=1))
    loudest = float(rms.max())
    threshold = max(min(3 * float(np.percentile(rms, 10)), 0.1 * loudest), 0.02 * loudest)
    voiced = np.nonzero(rms > threshold)[0]
    if not len(voiced) or loudest == 0.0:
        return audio
    return audio[: min(len(audio), (int(voiced[-1]) + 1) * size + int(TAIL * SAMPLE_RATE))]


def _shared_pass(model: Any, audio: np.ndarray, beam_size: int) -> tuple[list[Word], str, bool]:
    """One greedy pass over a window: its words, the language, and whether it looped (no
    temperature fallback here: a looping window is read greeting by greeting instead)."""
    segments, info = model.transcribe(
        audio,
        language="ru",
        task="transcribe",
        beam_size=beam_size,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
        temperature=0.0,
    )
    words: list[Word] = []
    looped = False
    for segment in segments:
        looped = looped or segment.compression_ratio > LOOP_RATIO
        words += [
            Word(w.word.strip(), w.start, w.end, w.probability)
            for w in segment.words or ()
            if w.word.strip()
        ]
    return words, str(info.language), looped


def _alone(clip: Clip, config: Any, window: int) -> Transcript:
    """A greeting a shared pass lost (it looped, or gave it no words), read as `transcribe`
    reads one alone."""
    alone = transcribe(Path(clip.wav), settings=config, start=clip.start, seconds=clip.seconds)
    alone.extra.update({"batch": 1, "reread_from": window})
    return alone


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
        without_trailing_line(
            read_audio(Path(c.wav), start=c.start, seconds=min(c.seconds or config.seconds, most))
        )
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
        words, language, looped = _shared_pass(model, np.concatenate(pieces), config.beam_size)
        if looped:
            for index in window:
                results[index] = _alone(clips[index], config, len(window))
            continue
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
            if not own:  # the pass skipped it (a voiced clip: the line is trimmed off)
                results[index] = _alone(clip, config, len(window))
                continue
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

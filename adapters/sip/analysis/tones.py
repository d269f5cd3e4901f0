"""Tone detection per frame with a bank of Goertzel filters, and tone segments.

One frame (160 samples, 20 ms) is a tone when one frequency of the bank holds most of its
energy. A 160-sample window resolves about 50 Hz, enough to tell 425 Hz (Russian ringback and
busy) from the SIT frequencies (950, 1400, 1800 Hz) and from an answering machine's beep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160
# 300..3000 Hz every 25 Hz: the telephone band, finer than the window's resolution so a tone
# between two bins still peaks near its frequency.
BANK_HZ = np.arange(300.0, 3000.1, 25.0)
# Share of the frame's energy the strongest bin must hold for the frame to count as a tone.
TONE_RATIO = 0.6
# Frames quieter than this (RMS of 16-bit samples, about -50 dBFS) are silence.
SILENCE_RMS = 100.0


def _goertzel_matrix(freqs: np.ndarray, n: int) -> np.ndarray:
    # A Goertzel filter evaluates one DFT bin; evaluating the whole bank at once is a matrix
    # product with the same coefficients, which numpy does in microseconds.
    t = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(freqs, t) / SAMPLE_RATE)


_BANK = _goertzel_matrix(BANK_HZ, FRAME_SAMPLES)


def goertzel_power(samples: np.ndarray, freq: float) -> float:
    """Power of one frequency in `samples`, normalised so a pure tone of that frequency ≈ 1."""
    row = _goertzel_matrix(np.array([freq]), len(samples))[0]
    energy = float(np.dot(samples, samples))
    if energy <= 0.0:
        return 0.0
    return float(2.0 * abs(np.dot(row, samples)) ** 2 / (len(samples) * energy))


@dataclass(frozen=True)
class FrameTone:
    rms: float
    freq: float | None  # the tone's frequency, None when the frame is not a tone
    ratio: float


def analyse_frame(samples: np.ndarray) -> FrameTone:
    """Loudness and, when one frequency dominates, that frequency."""
    x = samples.astype(np.float64)
    energy = float(np.dot(x, x))
    rms = (energy / len(x)) ** 0.5 if len(x) else 0.0
    if rms < SILENCE_RMS or len(x) != FRAME_SAMPLES:
        return FrameTone(rms=rms, freq=None, ratio=0.0)
    powers = 2.0 * np.abs(_BANK @ x) ** 2 / (len(x) * energy)
    best = int(np.argmax(powers))
    ratio = float(powers[best])
    if ratio < TONE_RATIO:
        return FrameTone(rms=rms, freq=None, ratio=ratio)
    return FrameTone(rms=rms, freq=float(BANK_HZ[best]), ratio=ratio)


def analyse_frames(blocks: np.ndarray) -> list[FrameTone]:
    """analyse_frame for each row of a (frames x 160) array, with one product for all."""
    x = blocks.astype(np.float64)
    energy = np.einsum("ij,ij->i", x, x)
    rms = np.sqrt(energy / x.shape[1])
    powers = 2.0 * np.abs(x @ _BANK.T) ** 2 / (x.shape[1] * np.maximum(energy, 1e-9))[:, None]
    best = np.argmax(powers, axis=1)
    found = []
    for row, index in enumerate(best):
        ratio = float(powers[row, index])
        level = float(rms[row])
        if level < SILENCE_RMS:
            found.append(FrameTone(rms=level, freq=None, ratio=0.0))
        elif ratio < TONE_RATIO:
            found.append(FrameTone(rms=level, freq=None, ratio=ratio))
        else:
            found.append(FrameTone(rms=level, freq=float(BANK_HZ[index]), ratio=ratio))
    return found


@dataclass
class ToneSegment:
    start: float  # monotonic seconds, start of the first frame
    end: float  # end of the last frame
    freq: float  # mean frequency over the segment

    @property
    def duration(self) -> float:
        return self.end - self.start


class ToneTracker:
    """Groups consecutive tone frames of one frequency into segments.

    A frame that is not a tone (or another frequency) closes the open segment once
    `gap_frames` such frames have passed: a single lost or noisy frame does not split a tone.
    """

    def __init__(
        self, *, min_duration: float = 0.1, tolerance_hz: float = 60.0, gap_frames: int = 2
    ) -> None:
        self.min_duration = min_duration
        self.tolerance_hz = tolerance_hz
        self.gap_frames = gap_frames
        self._open: ToneSegment | None = None
        self._freqs: list[float] = []
        self._misses = 0

    def feed(self, tone: FrameTone, start: float, end: float) -> ToneSegment | None:
        """Feed one frame; returns a segment when one closes."""
        current = self._open
        if (
            tone.freq is not None
            and current is not None
            and abs(tone.freq - current.freq) <= self.tolerance_hz
        ):
            self._freqs.append(tone.freq)
            current.end = end
            current.freq = sum(self._freqs) / len(self._freqs)
            self._misses = 0
            return None
        if tone.freq is None and current is not None:
            self._misses += 1
            if self._misses <= self.gap_frames:
                return None
        closed = self._close()
        if tone.freq is not None:
            self._open = ToneSegment(start=start, end=end, freq=tone.freq)
            self._freqs = [tone.freq]
            self._misses = 0
        return closed

    def flush(self) -> ToneSegment | None:
        return self._close()

    def _close(self) -> ToneSegment | None:
        segment, self._open, self._freqs, self._misses = self._open, None, [], 0
        if segment is not None and segment.duration >= self.min_duration:
            return segment
        return None

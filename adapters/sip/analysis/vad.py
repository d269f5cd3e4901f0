"""Speech segments from webrtcvad's per-frame decisions."""

from __future__ import annotations

from dataclasses import dataclass

import webrtcvad

SAMPLE_RATE = 8000


@dataclass
class SpeechSegment:
    start: float  # monotonic seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class SpeechTracker:
    """Opens a segment after `onset` speech frames within a short window, closes it after
    `hangover` seconds without speech. The start is the first speech frame of the onset, so a
    click or a single noisy frame does not start speech but real speech is not stamped late.
    """

    def __init__(
        self, *, mode: int = 2, onset_frames: int = 3, window: int = 5, hangover: float = 0.3
    ) -> None:
        self._vad = webrtcvad.Vad(mode)
        self.onset_frames = onset_frames
        self.window = window
        self.hangover = hangover
        self._recent: list[tuple[bool, float]] = []
        self._open: SpeechSegment | None = None
        self._last_speech = 0.0

    def is_speech(self, pcm: bytes) -> bool:
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))

    def feed(self, speech: bool, start: float, end: float) -> SpeechSegment | None:
        """Feed one frame's decision; returns a segment when one closes."""
        if self._open is not None:
            if speech:
                self._open.end = end
                self._last_speech = end
                return None
            if end - self._last_speech >= self.hangover:
                return self.flush()
            return None
        self._recent = [*self._recent[-(self.window - 1) :], (speech, start)]
        voiced = [t for s, t in self._recent if s]
        if len(voiced) >= self.onset_frames:
            self._open = SpeechSegment(start=voiced[0], end=end)
            self._last_speech = end
            self._recent = []
        return None

    @property
    def in_speech(self) -> bool:
        return self._open is not None

    @property
    def last_speech_end(self) -> float:
        return self._last_speech

    def flush(self) -> SpeechSegment | None:
        segment, self._open = self._open, None
        if segment is not None:
            segment.end = self._last_speech
        return segment

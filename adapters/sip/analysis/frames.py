"""One analyser per call: frames in, speech and tone segments out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adapters.sip.analysis.tones import (
    FRAME_SAMPLES,
    SILENCE_RMS,
    FrameTone,
    ToneSegment,
    ToneTracker,
    analyse_frame,
    analyse_frames,
)
from adapters.sip.analysis.vad import SpeechSegment, SpeechTracker

FRAME_SECONDS = FRAME_SAMPLES / 8000


@dataclass
class FrameAnalyser:
    """Feeds each 20 ms frame to the tone tracker and, when it is not a tone, to the VAD.

    Tone frames are kept out of the VAD: webrtcvad calls a steady 425 Hz tone speech.
    """

    speech: SpeechTracker = field(default_factory=SpeechTracker)
    tones: ToneTracker = field(default_factory=ToneTracker)
    frames: int = 0
    loud_frames: int = 0

    def feed(self, pcm: bytes, end: float) -> list[SpeechSegment | ToneSegment]:
        """One 20 ms frame; `end` is the monotonic instant its last sample was received."""
        self.frames += 1
        if len(pcm) != FRAME_SAMPLES * 2:
            return []
        return self._frame(pcm, analyse_frame(np.frombuffer(pcm, dtype="<i2")), end)

    def feed_block(self, pcm: bytes, end: float) -> list[SpeechSegment | ToneSegment]:
        """Several 20 ms frames at once (the bridge hands 100 ms blocks); `end` is the last's."""
        size = FRAME_SAMPLES * 2
        count = len(pcm) // size
        self.frames += count
        if count == 0:
            return []
        blocks = np.frombuffer(pcm[: count * size], dtype="<i2").reshape(count, FRAME_SAMPLES)
        out: list[SpeechSegment | ToneSegment] = []
        for index, tone in enumerate(analyse_frames(blocks)):
            frame_end = end - (count - 1 - index) * FRAME_SECONDS
            out += self._frame(pcm[index * size : (index + 1) * size], tone, frame_end)
        return out

    def _frame(self, pcm: bytes, tone: FrameTone, end: float) -> list[SpeechSegment | ToneSegment]:
        start = end - FRAME_SECONDS
        out: list[SpeechSegment | ToneSegment] = []
        closed_tone = self.tones.feed(tone, start, end)
        if closed_tone is not None:
            out.append(closed_tone)
        loud = tone.rms >= SILENCE_RMS
        self.loud_frames += loud
        speech = loud and tone.freq is None and self.speech.is_speech(pcm)
        closed_speech = self.speech.feed(speech, start, end)
        if closed_speech is not None:
            out.append(closed_speech)
        return out

    def flush(self) -> list[SpeechSegment | ToneSegment]:
        return [s for s in (self.tones.flush(), self.speech.flush()) if s is not None]

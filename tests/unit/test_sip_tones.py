"""Tone detection (Goertzel bank), tone segments and what their cadence means."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.sip.analysis.cadence import Tone, classify
from adapters.sip.analysis.frames import FrameAnalyser
from adapters.sip.analysis.tones import ToneTracker, analyse_frame, goertzel_power

RATE = 8000


def sine(freq: float, seconds: float, amplitude: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype="<i2")


def feed(signal: np.ndarray) -> list:
    analyser = FrameAnalyser()
    segments = []
    for i in range(0, len(signal) - 159, 160):
        segments += analyser.feed(signal[i : i + 160].tobytes(), (i + 160) / RATE)
    return segments + analyser.flush()


def test_a_pure_tone_is_found_at_its_frequency() -> None:
    frame = analyse_frame(sine(425, 0.02))
    assert frame.freq == pytest.approx(425, abs=25) and frame.ratio > 0.9


def test_noise_and_silence_are_not_tones() -> None:
    noise = np.random.default_rng(7).normal(0, 3000, 160).astype("<i2")
    assert analyse_frame(noise).freq is None
    quiet = analyse_frame(silence(0.02))
    assert quiet.freq is None and quiet.rms == 0


def test_goertzel_power_is_one_at_the_tone_and_near_zero_elsewhere() -> None:
    tone = sine(1400, 0.1).astype(np.float64)
    assert goertzel_power(tone, 1400) == pytest.approx(1.0, abs=0.05)
    assert goertzel_power(tone, 950) < 0.01


def test_a_tone_segment_survives_one_lost_frame() -> None:
    tracker = ToneTracker()
    frames = [analyse_frame(sine(425, 0.02))] * 20
    frames[10] = analyse_frame(silence(0.02))
    closed = [tracker.feed(f, i * 0.02, (i + 1) * 0.02) for i, f in enumerate(frames)]
    assert [c for c in closed if c] == []
    segment = tracker.flush()
    assert segment is not None and segment.duration == pytest.approx(0.4)


def test_russian_ringback_is_two_bursts_of_425_hz() -> None:
    signal = np.concatenate(
        [silence(0.3), sine(425, 0.8), silence(1.2), sine(425, 0.8), silence(0.5)]
    )
    tones = [Tone(s.start, s.end, s.freq) for s in feed(signal) if hasattr(s, "freq")]
    events = classify(tones)
    assert [e.kind for e in events] == ["ringback", "ringback"]
    assert events[0].start == pytest.approx(0.3, abs=0.03)
    assert events[0].end - events[0].start == pytest.approx(0.8, abs=0.05)


def test_busy_is_the_short_cadence_and_a_lone_short_burst_is_nothing() -> None:
    busy = [Tone(i * 0.8, i * 0.8 + 0.4, 425) for i in range(3)]
    assert [e.kind for e in classify(busy)] == ["busy"] * 3
    assert classify([Tone(0, 0.4, 425)]) == []


def test_sit_is_three_rising_tones_and_a_lone_sit_tone_is_nothing() -> None:
    sit = [Tone(0.0, 0.33, 950), Tone(0.33, 0.66, 1400), Tone(0.66, 0.99, 1800)]
    events = classify(sit)
    assert [(e.kind, e.start, e.end) for e in events] == [("sit", 0.0, 0.99)]
    assert classify([Tone(0.0, 0.33, 950)]) == []


def test_a_beep_near_a_sit_frequency_is_still_a_beep() -> None:
    assert [e.kind for e in classify([Tone(5.0, 5.5, 1000)])] == ["beep"]
    assert [e.kind for e in classify([Tone(0, 3.0, 425)])] == ["continuous_425"]


def test_speech_like_noise_gives_no_tone_segments() -> None:
    rng = np.random.default_rng(3)
    noise = (rng.normal(0, 4000, RATE * 2)).astype("<i2")
    assert [s for s in feed(noise) if hasattr(s, "freq")] == []

"""Speech segments from per-frame voice decisions."""

from __future__ import annotations

import pytest

from adapters.sip.analysis.vad import SpeechTracker


def run(decisions: str, tracker: SpeechTracker | None = None) -> list[tuple[float, float]]:
    tracker = tracker or SpeechTracker()
    out = []
    for i, mark in enumerate(decisions):
        closed = tracker.feed(mark == "s", i * 0.02, (i + 1) * 0.02)
        if closed:
            out.append((round(closed.start, 2), round(closed.end, 2)))
    last = tracker.flush()
    if last:
        out.append((round(last.start, 2), round(last.end, 2)))
    return out


def test_speech_starts_at_its_first_voiced_frame_after_a_short_onset() -> None:
    assert run("....sss" + "s" * 20 + "." * 30) == [(0.08, 0.54)]


def test_a_single_click_is_not_speech() -> None:
    assert run("..s......s.....") == []


def test_a_pause_shorter_than_the_hangover_does_not_split_speech() -> None:
    assert run("sssss" + "." * 10 + "sssss" + "." * 20) == [(0.0, 0.4)]
    assert run("sssss" + "." * 20 + "sssss" + "." * 20) == [(0.0, 0.1), (0.5, 0.6)]


def test_silence_is_not_speech_for_webrtcvad() -> None:
    assert SpeechTracker().is_speech(bytes(320)) is False


@pytest.mark.parametrize("mode", [0, 3])
def test_the_vad_mode_is_configurable(mode: int) -> None:
    assert SpeechTracker(mode=mode).is_speech(bytes(320)) is False

"""What a sequence of tone segments means: ringback, busy, special information tone, a beep.

Russian PSTN tones (GOST / Rossvyaz): 425 Hz everywhere; ringback 0.8 s on, 3.2 s off; busy
0.4 s on, 0.4 s off; SIT is three rising tones (950, 1400, 1800 Hz, about 330 ms each).
An answering machine's "leave a message" beep is a short pure tone of another frequency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ToneKind = Literal["ringback", "busy", "sit", "continuous_425", "beep"]

RINGBACK_HZ = 425.0
SIT_HZ = (950.0, 1400.0, 1800.0)
_HZ_TOLERANCE = 50.0  # ITU-T E.180 allows SIT frequencies ±50 Hz
# A lone tone this close to a SIT frequency is a broken SIT, not a beep (a 1000 Hz beep is
# 50 Hz from 950 Hz: it must stay a beep).
_LONE_SIT_TOLERANCE = 25.0


@dataclass(frozen=True)
class Tone:
    start: float  # seconds (any origin; the caller picks one)
    end: float
    freq: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ToneEvent:
    kind: ToneKind
    start: float
    end: float
    freq: float


def _near(freq: float, target: float, tolerance: float = _HZ_TOLERANCE) -> bool:
    return abs(freq - target) <= tolerance


def _sit_at(tones: list[Tone], i: int) -> int:
    """How many tones of a SIT sequence start at index i (0 when none)."""
    count = 0
    for expected in SIT_HZ:
        if i + count >= len(tones):
            break
        tone = tones[i + count]
        gap = tone.start - tones[i + count - 1].end if count else 0.0
        if not (_near(tone.freq, expected) and 0.15 <= tone.duration <= 0.5 and gap <= 0.15):
            break
        count += 1
    return count


def classify(tones: list[Tone]) -> list[ToneEvent]:
    """Classify segments in time order; unclassified segments (speech harmonics) are dropped."""
    tones = sorted(tones, key=lambda t: t.start)
    events: list[ToneEvent] = []
    i = 0
    while i < len(tones):
        tone = tones[i]
        sit = _sit_at(tones, i)
        if sit >= 2:
            last = tones[i + sit - 1]
            events.append(ToneEvent("sit", tone.start, last.end, SIT_HZ[0]))
            i += sit
            continue
        kind = _single_kind(tones, i)
        if kind is not None:
            events.append(ToneEvent(kind, tone.start, tone.end, tone.freq))
        i += 1
    return events


def _single_kind(tones: list[Tone], i: int) -> ToneKind | None:
    tone = tones[i]
    if _near(tone.freq, RINGBACK_HZ):
        if 0.6 <= tone.duration <= 1.3:
            return "ringback"
        if 0.25 <= tone.duration <= 0.6 and _has_busy_neighbour(tones, i):
            return "busy"
        if tone.duration > 1.5:
            return "continuous_425"
        return None
    if any(_near(tone.freq, f, _LONE_SIT_TOLERANCE) for f in SIT_HZ):
        return None  # a lone SIT frequency is not SIT
    if 0.15 <= tone.duration <= 1.5:
        return "beep"
    return None


def _has_busy_neighbour(tones: list[Tone], i: int) -> bool:
    # Busy is a cadence: a short 425 Hz burst counts only beside another one ~0.4 s away.
    for j in (i - 1, i + 1):
        if 0 <= j < len(tones):
            a, b = sorted((tones[i], tones[j]), key=lambda t: t.start)
            other = tones[j]
            gap = b.start - a.end
            short = _near(other.freq, RINGBACK_HZ) and 0.25 <= other.duration <= 0.6
            if short and 0.2 <= gap <= 0.7:
                return True
    return False

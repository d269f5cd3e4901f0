"""What the far end's audio says: speech intervals, tones, an answering machine, a transfer.

Input: the speech and tone segments the worker found live. Output: intervals relative to the
INVITE (ms), classified tones, and two heuristics, both documented in docs/phone.md:
- answering machine: the first utterance starts within 2 s of the answer and runs on for
  `machine_speech_seconds` without a pause of 0.7 s, or a beep follows speech;
- transfer by audio: ringback after the answer, or speech, a long silence, and speech again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.sip.analysis.cadence import Tone, ToneEvent, classify
from adapters.sip.record import CallRecord

# Pauses shorter than this join two speech segments into one utterance.
UTTERANCE_GAP = 0.7
# A machine starts talking at once; a person may take a moment.
MACHINE_ONSET = 2.0


@dataclass(frozen=True)
class Interval:
    start: float  # monotonic seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class AudioFindings:
    speech: list[Interval] = field(default_factory=list)
    tones: list[ToneEvent] = field(default_factory=list)
    machine_reason: str | None = None
    transfers: list[dict[str, Any]] = field(default_factory=list)  # kind, t, detail

    @property
    def answering_machine(self) -> bool:
        return self.machine_reason is not None

    def tones_of(self, kind: str, *, after: float | None = None) -> list[ToneEvent]:
        return [t for t in self.tones if t.kind == kind and (after is None or t.start >= after)]


def utterances(speech: list[Interval], gap: float = UTTERANCE_GAP) -> list[Interval]:
    merged: list[Interval] = []
    for segment in sorted(speech, key=lambda s: s.start):
        if merged and segment.start - merged[-1].end < gap:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, segment.end))
        else:
            merged.append(segment)
    return merged


def _machine(
    talk: list[Interval], tones: list[ToneEvent], answer: float, min_speech: float
) -> str | None:
    after = [u for u in talk if u.end > answer]
    if after and after[0].start - answer <= MACHINE_ONSET and after[0].duration >= min_speech:
        return f"uninterrupted speech of {after[0].duration:.1f} s right after the answer"
    for beep in (t for t in tones if t.kind == "beep" and t.start >= answer):
        if any(u.end <= beep.start + 0.1 for u in after):
            return f"a {beep.freq:.0f} Hz beep after speech"
    return None


def _audio_transfers(
    talk: list[Interval],
    tones: list[ToneEvent],
    answer: float,
    silence: float,
    expected_quiet: list[Interval],
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for tone in tones:
        if tone.kind == "ringback" and tone.start >= answer:
            found.append({"kind": "ringback_after_answer", "t": tone.start, "detail": "425 Hz"})
    after = [u for u in talk if u.start >= answer]
    for before, later in itertools.pairwise(after):
        gap = later.start - before.end
        # While our prompt plays (and just after) a person listens: that silence is expected.
        heard_us = any(q.start < later.start and before.end < q.end for q in expected_quiet)
        if gap >= silence and not heard_us:
            found.append(
                {
                    "kind": "silence_then_voice",
                    "t": later.start,
                    "detail": f"{gap:.1f} s of silence between two voices",
                }
            )
    return found


def analyse(
    record: CallRecord,
    *,
    answer: float | None,
    machine_speech: float,
    transfer_silence: float,
    expected_quiet: Sequence[Interval] = (),
) -> AudioFindings:
    speech = [
        Interval(float(e["start"]), float(e["end"]))
        for e in record.of("audio")
        if e.get("kind") == "speech"
    ]
    raw = [
        Tone(float(e["start"]), float(e["end"]), float(e["freq"]))
        for e in record.of("audio")
        if e.get("kind") == "tone"
    ]
    findings = AudioFindings(speech=sorted(speech, key=lambda s: s.start), tones=classify(raw))
    if answer is not None:
        talk = utterances(findings.speech)
        findings.machine_reason = _machine(talk, findings.tones, answer, machine_speech)
        findings.transfers = _audio_transfers(
            talk, findings.tones, answer, transfer_silence, list(expected_quiet)
        )
    return findings

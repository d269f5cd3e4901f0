"""What the far end's audio says: speech intervals, tones, an answering machine, a transfer.

Input: the speech and tone segments the worker found live. Output: intervals relative to the
INVITE (ms), classified tones, and two heuristics, both documented in docs/phone.md:
- answering machine, told by what machines do, never by how long the greeting is (issue 14: the
  regulation's own greeting is 7-9 s of speech): a beep after speech; no speech in answer to
  our question; the far end hanging up as its message ends;
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
# An answer may begin while the last words of our question still play.
REPLY_LEAD = 1.0
# A recorded message ends and the machine hangs up at once; a person who stops speaking and
# then hangs up without waiting for us is rare, and leaves the line later than this.
HANGUP_AFTER_MESSAGE = 2.0
# Shorter than this, far-end speech followed by a hang-up is an "алло" and a dropped call.
MIN_MESSAGE = 3.0


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


@dataclass(frozen=True)
class Listening:
    """What the machine cues need beyond the audio: our question and how the call ended."""

    question: Interval | None = None  # our prompt, as it played (start, start + its length)
    reply_wait: float = 5.0  # a person begins to answer within this long of its end
    released: float | None = None  # the far end hung up the call (not a transfer) then
    end: float | None = None  # the call's end, whoever ended it


def _within_speech(tone: ToneEvent, speech: list[Interval]) -> bool:
    """Speech on both sides of the tone in one segment: tone frames are kept out of the VAD
    (analysis/frames.py), so a segment spans a tone only when the voice went on after it
    within the VAD's hangover; a steady vowel, not a machine's beep, which the line's silence
    follows (a 356 Hz "beep" in the middle of a festival-voiced greeting, issue 18)."""
    return any(s.start < tone.start and tone.end < s.end for s in speech)


def _beep_after_speech(
    talk: list[Interval], tones: list[ToneEvent], answer: float, speech: list[Interval]
) -> str | None:
    beeps = [t for t in tones if t.kind == "beep" and t.start >= answer]
    for beep in (t for t in beeps if not _within_speech(t, speech)):
        if any(answer < u.end <= beep.start + 0.1 for u in talk):
            return f"a {beep.freq:.0f} Hz beep after speech"
    return None


def _replied(talk: list[Interval], question: Interval) -> bool:
    return any(u.start >= question.end - REPLY_LEAD for u in talk)


def _no_reply(talk: list[Interval], answer: float, heard: Listening) -> str | None:
    question, end = heard.question, heard.end
    if question is None or end is None or end < question.end + heard.reply_wait:
        return None  # not asked, or not listened to long enough to tell
    greeted = any(answer < u.end and u.start < question.end for u in talk)
    if not greeted or _replied(talk, question):
        return None  # a silent line is no machine; speech after our question is a person
    return f"no speech in answer to our question ({end - question.end:.1f} s after it)"


def _hung_up_after_message(talk: list[Interval], answer: float, heard: Listening) -> str | None:
    if heard.released is None:
        return None
    spoken = [u for u in talk if u.end > answer and u.start < heard.released]
    if not spoken or (heard.question is not None and _replied(spoken, heard.question)):
        return None
    last = spoken[-1]
    if last.end - spoken[0].start < MIN_MESSAGE:
        return None
    after = heard.released - last.end
    if after > HANGUP_AFTER_MESSAGE:
        return None
    return f"the far end hung up {max(after, 0.0):.1f} s after its message ended"


def _machine(
    talk: list[Interval],
    tones: list[ToneEvent],
    answer: float,
    heard: Listening,
    speech: list[Interval],
) -> str | None:
    return (
        _beep_after_speech(talk, tones, answer, speech)
        or _no_reply(talk, answer, heard)
        or _hung_up_after_message(talk, answer, heard)
    )


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
    transfer_silence: float,
    expected_quiet: Sequence[Interval] = (),
    heard: Listening | None = None,
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
        findings.machine_reason = _machine(
            talk, findings.tones, answer, heard or Listening(), findings.speech
        )
        findings.transfers = _audio_transfers(
            talk, findings.tones, answer, transfer_silence, list(expected_quiet)
        )
    return findings

"""The outcome of a call in the shared vocabulary, and whose fault a failure is.

Decided from what the far end actually sent (the final response as received, not PJSUA's
last status, which after our own hang-up is our code), the tones and speech heard, and why we
hung up. Failures of ours carry an error class and are never held against the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sip.audio import AudioFindings
from adapters.sip.names import Outcome
from adapters.sip.record import CallRecord
from adapters.sip.timeline import Instants

BUSY = frozenset({486, 600})
UNAVAILABLE = frozenset({404, 410, 484, 604})
# A far-end release within this long of the answer, with no speech, is a dropped call.
DROPPED_AFTER_ANSWER = 2.0


@dataclass(frozen=True)
class Verdict:
    outcome: str  # one the phone channel declares (names.Outcome)
    reason: str
    error_class: str | None = None
    retry: bool = False


def _failed(error_class: str, reason: str, *, retry: bool = True) -> Verdict:
    return Verdict(Outcome.FAILED, reason, error_class=error_class, retry=retry)


def decide(record: CallRecord, i: Instants, audio: AudioFindings) -> Verdict:
    if record.crashed:
        return _failed("worker_crashed", record.crash_detail or "the call worker died mid-call")
    if i.answer is not None:
        return _answered(record, i, audio)
    error = record.error
    if error is not None and i.invite is None:
        return _failed(error[0], error[1])
    return _not_answered(record, i, audio)


def _answered(record: CallRecord, i: Instants, audio: AudioFindings) -> Verdict:
    assert i.answer is not None
    if audio.tones_of("sit"):
        return Verdict(Outcome.UNAVAILABLE, "special information tone after the answer")
    if audio.answering_machine:
        return Verdict(Outcome.ANSWERING_MACHINE, audio.machine_reason or "answering machine")
    spoke = any(s.end > i.answer for s in audio.speech)
    transferred = any(e.get("kind") == "refer" for e in record.of("leg"))
    if (
        not transferred
        and i.hangup_by == "them"
        and i.hangup is not None
        and i.hangup - i.answer < DROPPED_AFTER_ANSWER
        and not spoke
    ):
        return Verdict(Outcome.REJECTED, "released by the far end right after the answer")
    return Verdict(Outcome.CONNECTED, "answered")


def _early_announcement(i: Instants, audio: AudioFindings) -> bool:
    end = i.final.t if i.final is not None else i.end
    return any(s.start < (end or s.start + 1) for s in audio.speech)


def _not_answered(record: CallRecord, i: Instants, audio: AudioFindings) -> Verdict:
    code = i.final.status if i.final is not None else None
    reason = f"{code} {i.final.reason}".strip() if i.final is not None else ""
    we_cancelled = i.cancel is not None
    if audio.tones_of("sit"):
        return Verdict(Outcome.UNAVAILABLE, f"special information tone in early media ({reason})")
    if code in BUSY:
        return Verdict(Outcome.BUSY, reason)
    if code == 603:
        return Verdict(Outcome.REJECTED, reason)
    if code in UNAVAILABLE:
        return Verdict(Outcome.UNAVAILABLE, reason)
    if audio.tones_of("busy"):
        return Verdict(Outcome.BUSY, f"busy tone in early media ({reason or 'no final'})")
    if we_cancelled:
        return _we_cancelled(record, i, audio, reason)
    if code is None:
        return _no_final(record, i)
    return _other_code(code, reason, i, audio)


def _we_cancelled(record: CallRecord, i: Instants, audio: AudioFindings, reason: str) -> Verdict:
    why = record.hangup_reason or "cancelled"
    if why == "ring_timeout":
        if _early_announcement(i, audio):
            return Verdict(Outcome.UNAVAILABLE, "an announcement in early media, never answered")
        return Verdict(Outcome.NO_ANSWER, f"no answer before the ring timeout ({reason})")
    return _failed(f"call_{why}", f"we hung up before the answer: {why}")


def _no_final(record: CallRecord, i: Instants) -> Verdict:
    error = record.error
    if error is not None:
        return _failed(error[0], error[1])
    if i.invite is None:
        return _failed("sip_no_invite", "no INVITE was sent")
    # PJSIP gave up: no response at all (timer B) or the transport failed. Our side.
    return _failed("sip_timeout", "no final response from the network")


def _other_code(code: int, reason: str, i: Instants, audio: AudioFindings) -> Verdict:
    if code == 480:
        return Verdict(Outcome.NO_ANSWER, reason)
    if code == 487:
        # We did not cancel: the far end ended the ringing itself ("вызов сброшен").
        return Verdict(Outcome.REJECTED, reason)
    if code == 408:
        if i.early is not None:
            return Verdict(Outcome.NO_ANSWER, reason)
        return _failed("sip_timeout", reason)
    if 300 <= code < 400:
        return _failed("sip_redirect_not_followed", reason, retry=False)
    if code in (401, 407):
        return _failed("sip_auth", reason, retry=False)
    if code == 403:
        return _failed("sip_forbidden", reason, retry=False)
    if 500 <= code < 600:
        return _failed("sip_server_error", reason)
    if _early_announcement(i, audio):
        return Verdict(Outcome.UNAVAILABLE, f"an announcement in early media ({reason})")
    if 600 <= code < 700:
        return Verdict(Outcome.UNAVAILABLE, reason)
    return _failed("sip_client_error", reason, retry=False)

"""Instants and phase timings of a call, read from its SIP messages (our monotonic clock).

All timings are milliseconds. `t0` is the first INVITE we sent.
- trying: INVITE -> first 100;  pdd: INVITE -> first 18x (else -> final response; RFC 6076 SRD)
- ring: first 18x -> answer (or -> the end of ringing when not answered)
- answer: INVITE -> 200 OK;  media_start: 200 OK -> first RTP packet
- first_speech: 200 OK -> first speech;  duration: 200 OK -> hang-up
- sdd: our BYE -> its 200 OK (RFC 6076 SDD)
- total: INVITE -> the BYE (answered) or the final response (not answered)
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sip.record import CallRecord
from adapters.sip.sipmsg import SipMessage


@dataclass(frozen=True)
class Instants:
    invite: float | None
    trying: float | None
    early: float | None  # first 18x
    answer: float | None
    final: SipMessage | None  # the far end's final answer to our INVITE, as received
    cancel: float | None  # our CANCEL
    media: float | None  # first RTP
    first_speech: float | None
    hangup: float | None  # BYE sent or received on the answered leg (else the last leg down)
    hangup_by: str | None  # "us" / "them"
    bye_tx: float | None
    bye_answered: float | None
    end: float | None


def _invite_responses(messages: list[SipMessage], leg: int) -> list[SipMessage]:
    return [
        m
        for m in messages
        if m.leg == leg and m.direction == "RX" and m.is_response and m.cseq_method == "INVITE"
    ]


def final_response(messages: list[SipMessage], leg: int = 0) -> SipMessage | None:
    """The first 2xx to our INVITE; when none, the last final failure (after redirects)."""
    finals = [m for m in _invite_responses(messages, leg) if (m.status or 0) >= 200]
    answered = [m for m in finals if (m.status or 0) < 300]
    if answered:
        return answered[0]
    return finals[-1] if finals else None


def instants(record: CallRecord, leg: int = 0) -> Instants:
    messages = [m for m in record.messages if m.leg == leg]
    invite = next((m.t for m in messages if m.direction == "TX" and m.method == "INVITE"), None)
    responses = _invite_responses(messages, leg)
    trying = next((m.t for m in responses if m.status == 100), None)
    early = next((m.t for m in responses if 180 <= (m.status or 0) < 200), None)
    final = final_response(messages, leg)
    answer = final.t if final is not None and (final.status or 0) < 300 else None
    cancel = next((m.t for m in messages if m.direction == "TX" and m.method == "CANCEL"), None)
    media = next(
        (
            float(e["t"])
            for e in record.of("media")
            if e.get("status") == "first_rtp" and e.get("leg", 0) == leg
        ),
        None,
    )
    speech = [float(e["start"]) for e in record.of("audio") if e.get("kind") == "speech"]
    first_speech = next((s for s in sorted(speech) if answer is not None and s >= answer), None)
    byes = [m for m in record.messages if m.method == "BYE" and not m.is_response]
    bye = byes[0] if byes and answer is not None else None
    bye_tx = next((m.t for m in byes if m.direction == "TX"), None)
    bye_ok = next(
        (
            m.t
            for m in record.messages
            if m.direction == "RX" and m.cseq_method == "BYE" and (m.status or 0) >= 200
        ),
        None,
    )
    downs = [float(e["t"]) for e in record.of("state") if e.get("state") == "DISCONNECTED"]
    end = max(downs) if downs else (float(record.end["t"]) if record.end else None)
    hangup = bye.t if bye is not None else None
    hangup_by = None if bye is None else ("us" if bye.direction == "TX" else "them")
    return Instants(
        invite=invite,
        trying=trying,
        early=early,
        answer=answer,
        final=final,
        cancel=cancel,
        media=media,
        first_speech=first_speech,
        hangup=hangup,
        hangup_by=hangup_by,
        bye_tx=bye_tx,
        bye_answered=bye_ok if bye_tx is not None else None,
        end=end,
    )


def _ms(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return round((b - a) * 1000.0, 2)


def timings_ms(i: Instants) -> dict[str, float]:
    final_t = i.final.t if i.final is not None else None
    ring_end = i.answer or i.cancel or final_t or i.end
    phases = {
        "trying": _ms(i.invite, i.trying),
        "pdd": _ms(i.invite, i.early or final_t),
        "ring": _ms(i.early, ring_end) if i.early is not None else None,
        "answer": _ms(i.invite, i.answer),
        "media_start": _ms(i.answer, i.media),
        "first_speech": _ms(i.answer, i.first_speech),
        "duration": _ms(i.answer, i.hangup or i.end) if i.answer is not None else None,
        "sdd": _ms(i.bye_tx, i.bye_answered),
        "total": _ms(i.invite, i.hangup or (final_t if i.answer is None else None) or i.end),
    }
    return {name: value for name, value in phases.items() if value is not None}

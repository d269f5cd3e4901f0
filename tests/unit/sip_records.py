"""Synthetic call records for the phone channel's unit tests (what a worker would report)."""

from __future__ import annotations

from typing import Any

from adapters.sip.record import CallRecord


def _headers(extra: dict[str, str] | None) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in (extra or {}).items())


def request(
    t: float,
    method: str,
    *,
    direction: str = "TX",
    cseq: int = 1,
    leg: int = 0,
    headers: dict[str, str] | None = None,
    body: str = "",
) -> dict[str, Any]:
    text = (
        f"{method} sip:org@127.0.0.1 SIP/2.0\r\nCall-ID: c{leg}\r\nCSeq: {cseq} {method}\r\n"
        f"{_headers(headers)}\r\n{body}"
    )
    return {"ev": "sip", "t": t, "w": t, "dir": direction, "leg": leg, "text": text}


def response(
    t: float,
    code: int,
    reason: str,
    *,
    method: str = "INVITE",
    cseq: int = 1,
    direction: str = "RX",
    leg: int = 0,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    text = (
        f"SIP/2.0 {code} {reason}\r\nCall-ID: c{leg}\r\nCSeq: {cseq} {method}\r\n"
        f"{_headers(headers)}\r\n"
    )
    return {"ev": "sip", "t": t, "w": t, "dir": direction, "leg": leg, "text": text}


def record(*events: dict[str, Any], hangup: str | None = None, **end: Any) -> CallRecord:
    rec = CallRecord(job_id="j1", uri="sip:org@127.0.0.1")
    rec.add({"ev": "dial", "t": 99.999, "uri": rec.uri})
    for event in events:
        rec.add(event)
    rec.add(
        {"ev": "end", "t": max(e.get("t", 0) for e in events) + 0.01, "hangup_reason": hangup} | end
    )
    return rec


def ringing(code: int, reason: str, *, at: float = 101.0) -> list[dict[str, Any]]:
    """INVITE at 100.000, 100 at +2 ms, 180 at +20 ms, then the final response at `at`."""
    return [
        request(100.0, "INVITE"),
        response(100.002, 100, "Trying"),
        response(100.020, 180, "Ringing"),
        response(at, code, reason),
    ]


def speech(start: float, end: float) -> dict[str, Any]:
    return {"ev": "audio", "kind": "speech", "start": start, "end": end}


def tone(start: float, end: float, freq: float) -> dict[str, Any]:
    return {"ev": "audio", "kind": "tone", "start": start, "end": end, "freq": freq}

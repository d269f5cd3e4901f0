"""Transfers: evidence from signalling and audio, merged into transfer episodes.

One transfer often leaves several traces (a hold re-INVITE, then an UPDATE with the new
party's identity; a 302, then a Diversion header on the next leg's answer). Evidence closer
than MERGE_SECONDS to the previous one belongs to the same transfer. The count feeds Protocol
No. 6 columns 10-12: reached at once / transferred once / transferred several times.

Only what happens from the first answer on is a transfer (issue 14): a number the network
forwards before anyone answers (302, 181, Diversion, History-Info) still lets the caller reach
at once the first person who answers (column 10). Such forwards are kept as evidence.
"""

from __future__ import annotations

from typing import Any

from adapters.sip.record import CallRecord
from adapters.sip.sipmsg import SipMessage, sdp_direction, uri_of

MERGE_SECONDS = 5.0
_IDENTITY_HEADERS = ("p-asserted-identity", "remote-party-id")


def _identity(message: SipMessage) -> str | None:
    for name in _IDENTITY_HEADERS:
        value = message.header(name)
        if value:
            return uri_of(value)
    return None


def signalling_evidence(record: CallRecord) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    identity: dict[int, str] = {}  # per leg: a REFER leg is another party by design

    def add(kind: str, message: SipMessage, detail: str) -> None:
        if (kind, detail) in seen:
            return
        seen.add((kind, detail))
        found.append({"kind": kind, "t": message.t, "leg": message.leg, "detail": detail})

    for m in record.messages:
        if m.direction != "RX":
            continue
        status = m.status or 0
        if m.is_response and m.cseq_method == "INVITE" and 300 <= status < 400:
            add("redirect", m, f"{status} {m.reason} -> {uri_of(m.header('contact') or '')}")
        if status == 181:
            add("forwarded_181", m, f"181 {m.reason}")
        for value in m.header_all("diversion"):
            add("diversion", m, value)
        if len(m.header_all("history-info")) > 1 or "," in (m.header("history-info") or ""):
            add("history_info", m, "; ".join(m.header_all("history-info")))
        if not m.is_response and m.method == "REFER":
            add("refer", m, f"REFER to {uri_of(m.header('refer-to') or '')}")
        if not m.is_response and m.method in ("INVITE", "UPDATE") and m.body:
            direction = sdp_direction(m.body)
            if direction in ("sendonly", "inactive"):
                add("hold", m, f"{m.method} puts us on hold ({direction})")
        new_identity = _identity(m)
        if new_identity is not None and ((m.is_response and status < 300) or not m.is_response):
            before = identity.get(m.leg)
            if before is not None and new_identity != before:
                add("remote_party_changed", m, f"{before} -> {new_identity}")
            identity[m.leg] = new_identity
    return found


def split_forwards(
    evidence: list[dict[str, Any]], answer: float | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(forwards, transfer evidence): what arrived up to the answer (its 200 OK included, whose
    Diversion and History-Info tell how the call got there), and what came after it."""
    forwards = [e for e in evidence if answer is None or e["t"] <= answer]
    return forwards, [e for e in evidence if answer is not None and e["t"] > answer]


def forward_list(forwards: list[dict[str, Any]], t0: float) -> list[dict[str, Any]]:
    return [
        {"kind": e["kind"], "at_ms": round((e["t"] - t0) * 1000.0, 1), "detail": e["detail"]}
        for e in sorted(forwards, key=lambda e: e["t"])
    ]


def episodes(evidence: list[dict[str, Any]], t0: float) -> list[dict[str, Any]]:
    """Group evidence into transfers; times relative to t0 in ms."""
    result: list[dict[str, Any]] = []
    last_t: float | None = None
    for item in sorted(evidence, key=lambda e: e["t"]):
        entry = {
            "kind": item["kind"],
            "at_ms": round((item["t"] - t0) * 1000.0, 1),
            "detail": item["detail"],
        }
        if last_t is not None and item["t"] - last_t <= MERGE_SECONDS and result:
            result[-1]["evidence"].append(entry)
        else:
            result.append({"kind": item["kind"], "at_ms": entry["at_ms"], "evidence": [entry]})
        last_t = item["t"]
    return result


def summary(transfers: list[dict[str, Any]]) -> dict[str, Any]:
    count = len(transfers)
    label = "none" if count == 0 else "once" if count == 1 else "several"
    return {"count": count, "class": label, "list": transfers}

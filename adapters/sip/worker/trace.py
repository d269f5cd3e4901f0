"""SIP message trace: every message PJSIP sends or receives, stamped, routed to its call.

PJSIP's message logger calls our LogWriter right before a message is sent and right after one is
parsed, so a monotonic stamp taken there is the message's instant (checked against a packet
capture: within 0.5 ms) -- with one call. Under load a received message reaches that callback
late (PJSUA reads one datagram at a time, see `rxstamp`), so it is stamped with its arrival on
our socket instead: the kernel's stamp, else the transport's read stamp, each verified at start
and per message; the callback's own stamp is the fallback. Messages are routed by Call-ID;
those of a Call-ID not yet known (the INVITE logged inside makeCall, before the call knows its
id) wait until the call claims it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from adapters.sip.worker.rxstamp import COMPARE, SELF_TEST_PREFIX, RxClock

_HEAD = re.compile(r"^(TX|RX) \d+ bytes .*? (?:to|from) (\S+ \S+?):\s*\n", re.S)
_CALL_ID = re.compile(r"^(?:Call-ID|i)\s*:\s*(\S+)", re.M | re.I)
_REGISTER = re.compile(r"^CSeq\s*:\s*\d+\s+REGISTER", re.M | re.I)
_END = "--end msg--"


def parse_log_message(text: str) -> tuple[str, str, str, str] | None:
    """(direction, peer, call_id, sip text) of a PJSIP message-log entry, None for other logs."""
    match = _HEAD.match(text)
    if match is None:
        return None
    body = text[match.end() :]
    body = body.split(_END, 1)[0].rstrip("\r\n") + "\r\n"
    call_id = _CALL_ID.search(body)
    return match.group(1), match.group(2), call_id.group(1) if call_id else "", body


class Tracer(pj.LogWriter):
    def __init__(self, emit: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self._emit = emit
        self.rx_clock = RxClock()
        self._lock = threading.Lock()
        self._owners: dict[str, tuple[str, int]] = {}
        self._waiting: dict[str, list[dict[str, Any]]] = {}
        # Told of every message routed to a job (the engine uses it to follow BYE answers).
        self.observer: Callable[[str, dict[str, Any]], None] | None = None

    def write(self, entry: Any) -> None:
        try:
            self._write(entry)
        except Exception as error:  # nothing may escape a callback into PJSIP
            self._emit({"ev": "log", "level": "error", "text": f"trace: {error!r}"})

    def _write(self, entry: Any) -> None:
        stamp, wall = time.monotonic(), time.time()
        text = entry.msg
        # Most log lines are not messages: decide that with a prefix, before any regex.
        parsed = parse_log_message(text) if text.startswith(("TX ", "RX ")) else None
        if parsed is None:
            if entry.level <= 1:
                self._emit({"ev": "log", "level": "error", "text": entry.msg.strip()[:500]})
            return
        direction, peer, call_id, body = parsed
        event = {"ev": "sip", "t": stamp, "w": wall, "dir": direction, "peer": peer, "text": body}
        if direction == "RX":
            head, _, raw = text.partition("\n")
            arrival = self.rx_clock.instant(head, raw[:COMPARE], call_id, stamp, wall)
            if arrival is not None:
                # "lag": how long the message then waited for this callback; "src": which stamp.
                t, source = arrival
                event |= {
                    "t": t,
                    "w": wall - (stamp - t),
                    "lag": round(stamp - t, 6),
                    "src": source,
                }
        if call_id.startswith(SELF_TEST_PREFIX):
            return  # the start-up check of the read instants (and our answer to it)
        text = body
        if _REGISTER.search(text):
            self._emit({**event, "id": None})  # the trunk's own exchange, kept by the pool
            return
        with self._lock:
            owner = self._owners.get(call_id)
            if owner is None:
                self._waiting.setdefault(call_id, []).append(event)
                if len(self._waiting) > 64:  # REGISTER and strays: keep the newest only
                    self._waiting.pop(next(iter(self._waiting)))
                return
        self._route(event, *owner)

    def _route(self, event: dict[str, Any], job_id: str, leg: int) -> None:
        self._emit({**event, "id": job_id, "leg": leg})
        if self.observer is not None:
            self.observer(job_id, event)

    def claim(self, call_id: str, job_id: str, leg: int) -> None:
        """Route this Call-ID's messages (past and future) to a job's leg."""
        with self._lock:
            if call_id in self._owners:
                return
            self._owners[call_id] = (job_id, leg)
            waiting = self._waiting.pop(call_id, [])
        for event in waiting:
            self._route(event, job_id, leg)

    def release(self, job_id: str) -> None:
        with self._lock:
            for call_id in [c for c, (j, _) in self._owners.items() if j == job_id]:
                del self._owners[call_id]

    def unclaimed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e for events in self._waiting.values() for e in events]

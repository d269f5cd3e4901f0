"""Everything the parent learns about one call, as the worker reported it, in order.

The worker streams events (SIP messages with their instants, state changes, audio segments,
its own actions) as they happen; a CallRecord collects them. If the worker dies mid-call the
record is marked crashed and keeps what had arrived, which is evidence too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from adapters.sip.sipmsg import SipMessage, from_event


@dataclass
class CallRecord:
    job_id: str
    uri: str
    events: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    crashed: bool = False
    crash_detail: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)
            if event.get("ev") == "end":
                self.end = event

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("ev") == kind]

    @cached_property
    def messages(self) -> list[SipMessage]:
        """Parsed SIP messages in the order they happened (call only once the call is over)."""
        return sorted((from_event(e) for e in self.of("sip")), key=lambda m: m.t)

    @property
    def t0(self) -> float | None:
        """The dial instant (our clock) every relative time is measured from."""
        for event in self.events:
            if event.get("ev") == "dial":
                return float(event["t"])
        return None

    @property
    def hangup_reason(self) -> str | None:
        return (self.end or {}).get("hangup_reason")

    @property
    def error(self) -> tuple[str, str] | None:
        end = self.end or {}
        if end.get("error_class"):
            return str(end["error_class"]), str(end.get("error_detail", ""))
        return None

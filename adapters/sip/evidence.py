"""Evidence files of one call: the SIP trace (written as messages arrive) and the recording."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from probe.results import EvidenceRef

TRACE_NAME = "sip-trace.txt"
RECORDING_NAME = "recording.wav"


class TraceWriter:
    """Appends each SIP message to the trace file the moment the worker reports it, so a crash
    of the worker (or of this process) still leaves the trace up to that moment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._t0: float | None = None
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("ev")
        if kind == "dial" and self._t0 is None:
            self._t0 = float(event["t"])
            self._append(f"# dial {event.get('uri', '')}\n")
        elif kind == "sip":
            self._append(self._format(event))
        elif kind == "action":
            self._append(
                f"# {self._stamp(event)} action {event.get('kind')} "
                f"{event.get('reason', '') or event.get('digits', '')}\n"
            )

    def _stamp(self, event: dict[str, Any]) -> str:
        offset = (float(event["t"]) - self._t0) * 1000.0 if self._t0 is not None else 0.0
        return f"+{offset:.3f} ms"

    def _format(self, event: dict[str, Any]) -> str:
        wall = datetime.fromtimestamp(float(event.get("w", 0.0)), UTC)
        arrow = "sent to" if event["dir"] == "TX" else "received from"
        # A received message's instant is its arrival when known (worker/rxstamp.py: "kernel"
        # or "read"); the lag is how long it then waited for the callback that stamps the rest.
        read = ""
        if "lag" in event:
            read = f" ({event.get('src', 'read')}; callback +{float(event['lag']) * 1000.0:.3f} ms)"
        head = (
            f"== {wall.isoformat(timespec='microseconds')} {self._stamp(event)} "
            f"leg {event.get('leg', 0)} {event['dir']} {arrow} {event.get('peer', '')}{read}\n"
        )
        return head + str(event["text"]).replace("\r\n", "\n").rstrip("\n") + "\n\n"

    def _append(self, text: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)


def evidence_ref(kind: str, path: Path, media_type: str) -> EvidenceRef | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return EvidenceRef(
        kind=kind, path=str(path), sha256=digest, size=path.stat().st_size, media_type=media_type
    )


def collect(directory: Path) -> list[EvidenceRef]:
    refs = [
        evidence_ref("sip_trace", directory / TRACE_NAME, "text/plain"),
        evidence_ref("recording", directory / RECORDING_NAME, "audio/wav"),
    ]
    return [r for r in refs if r is not None]

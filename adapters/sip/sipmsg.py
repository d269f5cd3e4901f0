"""Just enough SIP parsing to read a trace: start line, headers, SDP body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# RFC 3261 compact header forms that matter here.
_COMPACT = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "m": "contact",
    "c": "content-type",
    "l": "content-length",
    "r": "refer-to",
}
_STATUS = re.compile(r"^SIP/2\.0 (\d{3}) ?(.*)$")


@dataclass(frozen=True)
class SipMessage:
    direction: str  # "TX" (we sent) or "RX" (we received)
    t: float  # monotonic seconds
    wall: float  # epoch seconds
    leg: int
    start_line: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""

    @property
    def is_response(self) -> bool:
        return self.start_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int | None:
        match = _STATUS.match(self.start_line)
        return int(match.group(1)) if match else None

    @property
    def reason(self) -> str:
        match = _STATUS.match(self.start_line)
        return match.group(2).strip() if match else ""

    @property
    def method(self) -> str:
        """The request's method, or for a response the method of its CSeq."""
        if self.is_response:
            return self.cseq_method
        return self.start_line.split(" ", 1)[0]

    @property
    def cseq_method(self) -> str:
        value = self.header("cseq") or ""
        parts = value.split()
        return parts[1] if len(parts) > 1 else ""

    @property
    def cseq(self) -> int:
        value = (self.header("cseq") or "0").split()
        return int(value[0]) if value and value[0].isdigit() else 0

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])


def parse(text: str, *, direction: str, t: float, wall: float = 0.0, leg: int = 0) -> SipMessage:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    headers: dict[str, list[str]] = {}
    last = ""
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last:  # folded header
            headers[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        headers.setdefault(key, []).append(value.strip())
        last = key
    return SipMessage(direction, t, wall, leg, lines[0].strip(), headers, body)


def from_event(event: dict[str, Any]) -> SipMessage:
    return parse(
        event["text"],
        direction=event["dir"],
        t=float(event["t"]),
        wall=float(event.get("w", 0.0)),
        leg=int(event.get("leg", 0)),
    )


def sdp_direction(body: str) -> str:
    """sendrecv / sendonly / recvonly / inactive of an SDP body (hold is sendonly, inactive,
    or the old c=0.0.0.0)."""
    direction = "sendrecv"
    for line in body.splitlines():
        line = line.strip()
        if line in ("a=sendonly", "a=recvonly", "a=inactive", "a=sendrecv"):
            direction = line[2:]
        elif line.startswith("c=IN IP4 0.0.0.0"):
            direction = "inactive"
    return direction


def uri_of(value: str) -> str:
    """The URI inside a name-addr (`"Name" <sip:x@y>;tag=1` -> sip:x@y)."""
    match = re.search(r"<([^>]*)>", value)
    if match:
        return match.group(1)
    return value.split(";", 1)[0].strip()

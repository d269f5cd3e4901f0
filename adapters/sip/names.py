"""The phone channel's name and its outcomes, spelled once (the spec declares them)."""

from __future__ import annotations

from typing import Final

CHANNEL: Final = "phone"


class Outcome:
    CONNECTED: Final = "connected"
    BUSY: Final = "busy"
    NO_ANSWER: Final = "no_answer"
    UNAVAILABLE: Final = "unavailable"
    REJECTED: Final = "rejected"
    ANSWERING_MACHINE: Final = "answering_machine"
    FAILED: Final = "failed"

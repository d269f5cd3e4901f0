"""The e-mail channel's name and its outcomes, spelled once (the spec declares them)."""

from __future__ import annotations

from typing import Final

from probe.channels import UNKNOWN_OUTCOME

CHANNEL: Final = "email"


class Outcome:
    REPLIED: Final = "replied"
    AUTO_REPLIED: Final = "auto_replied"
    BOUNCED: Final = "bounced"
    NO_REPLY: Final = "no_reply"
    SEND_FAILED: Final = "send_failed"
    UNKNOWN: Final = UNKNOWN_OUTCOME  # channel-independent: sent, its fate unknown

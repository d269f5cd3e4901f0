"""The channels and outcomes the protocols name, spelled once for the protocol parts
(probe/scoring, probe/export, probe/history) and the sandbox.

They spell what the phone, e-mail and web plugins declare (adapters/sip, email, web); they are
not the list of what exists, which is the registry's (probe.channels). Only the protocol parts,
the sandbox and the channels themselves name a concrete channel; results carry plain names.
"""

from __future__ import annotations

from typing import Final

from probe.channels import UNKNOWN_OUTCOME


class Channel:
    """The channels Protocols 5 and 6 score."""

    PHONE: Final = "phone"
    EMAIL: Final = "email"
    WEB: Final = "web"  # the organisation's website (Protocol 5 columns 7-12)


class Outcome:
    """The outcomes of the scored channels, as their plugins declare them."""

    # e-mail
    REPLIED: Final = "replied"
    AUTO_REPLIED: Final = "auto_replied"
    BOUNCED: Final = "bounced"
    NO_REPLY: Final = "no_reply"
    SEND_FAILED: Final = "send_failed"
    # phone
    CONNECTED: Final = "connected"
    BUSY: Final = "busy"
    NO_ANSWER: Final = "no_answer"
    UNAVAILABLE: Final = "unavailable"
    REJECTED: Final = "rejected"
    ANSWERING_MACHINE: Final = "answering_machine"
    FAILED: Final = "failed"
    # web: the site's home page loaded, or the site failed (DNS, TCP, TLS, an expired
    # certificate, an HTTP error, a timeout)
    SITE_CHECKED: Final = "site_checked"
    SITE_UNREACHABLE: Final = "site_unreachable"
    # any channel: started, its fate unknown (a crash of ours); resolved later
    UNKNOWN: Final = UNKNOWN_OUTCOME


PHONE_OUTCOMES: Final = frozenset(
    {
        Outcome.CONNECTED,
        Outcome.BUSY,
        Outcome.NO_ANSWER,
        Outcome.UNAVAILABLE,
        Outcome.REJECTED,
        Outcome.ANSWERING_MACHINE,
        Outcome.FAILED,
        Outcome.UNKNOWN,
    }
)
EMAIL_OUTCOMES: Final = frozenset(
    {
        Outcome.REPLIED,
        Outcome.AUTO_REPLIED,
        Outcome.BOUNCED,
        Outcome.NO_REPLY,
        Outcome.SEND_FAILED,
        Outcome.UNKNOWN,
    }
)
WEB_OUTCOMES: Final = frozenset(
    {Outcome.SITE_CHECKED, Outcome.SITE_UNREACHABLE, Outcome.FAILED, Outcome.UNKNOWN}
)
# Ours: never held against the organisation (the plugins declare them `ours`).
OUR_FAILURE_OUTCOMES: Final = frozenset({Outcome.SEND_FAILED, Outcome.FAILED, Outcome.UNKNOWN})

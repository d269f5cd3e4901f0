"""Which probe an incoming message answers.

Strongest first: the Message-IDs it points back to (In-Reply-To, a bounce's returned copy,
References), then the reference token anywhere in the subject or text, then, as a last resort
flagged as weak, the sender being the probed address with the probe's subject. A message that
arrived before a probe was sent cannot answer it, which also keeps stale mail in a reused
mailbox from matching new checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.email.classify import Classified, Kind
from adapters.email.message import TOKEN_RE

# Servers' clocks differ; a reply is never taken to predate its question by more than this.
CLOCK_SLACK = timedelta(minutes=5)
_PREFIXES = re.compile(r"^\s*((re|ha|aw|sv|отв|ответ|fw|fwd)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    check_id: int
    message_id: str
    token: str
    recipient: str
    subject: str
    sent_at: datetime


@dataclass(frozen=True)
class Match:
    check_id: int
    method: str  # in_reply_to, returned_message, references, token, sender_subject
    weak: bool = False


def subject_core(subject: str) -> str:
    """The subject without reply prefixes, the token, case and extra spaces."""
    text = TOKEN_RE.sub("", _PREFIXES.sub("", subject))
    text = text.replace("[]", "")
    return " ".join(text.lower().split())


def match(
    message: Classified, candidates: Sequence[Candidate], *, received_at: datetime
) -> Match | None:
    eligible = [c for c in candidates if c.sent_at <= received_at + CLOCK_SLACK]
    by_id = {c.message_id: c for c in eligible}
    for method, ids in (
        ("in_reply_to", [message.in_reply_to]),
        ("returned_message", [message.original_message_id]),
        ("references", list(reversed(message.references))),
    ):
        for message_id in ids:
            if message_id and message_id in by_id:
                return Match(by_id[message_id].check_id, method)
    if message.matched_token:
        by_token = [c for c in eligible if c.token == message.matched_token]
        if by_token:
            return Match(max(by_token, key=lambda c: c.sent_at).check_id, "token")
    return _weak(message, eligible)


def _weak(message: Classified, eligible: Sequence[Candidate]) -> Match | None:
    if message.kind in (Kind.UNRELATED,) and not message.subject:
        return None
    sender = (message.from_address or "").lower()
    core = subject_core(message.subject)
    same = [
        c
        for c in eligible
        if c.recipient.lower() == sender and core and subject_core(c.subject) in core
    ]
    if not same:
        return None
    return Match(max(same, key=lambda c: c.sent_at).check_id, "sender_subject", weak=True)

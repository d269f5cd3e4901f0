"""Which probe an incoming message answers.

Strongest first: the Message-IDs it points back to (In-Reply-To, a bounce's returned copy,
References), then the reference token anywhere in the subject or text, then, as a last resort
flagged as weak, the sender being the probed address with the probe's subject. A message that
arrived before a probe was sent cannot answer it, which also keeps stale mail in a reused
mailbox from matching new checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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


class CandidateIndex:
    """The candidates by Message-ID, token and recipient: a batch of messages is matched
    against thousands of checks without scanning them all for each message."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.by_id: dict[str, list[Candidate]] = {}
        self.by_token: dict[str, list[Candidate]] = {}
        self.by_recipient: dict[str, list[Candidate]] = {}
        for c in self.candidates:  # each list keeps the candidates' order
            self.by_id.setdefault(c.message_id, []).append(c)
            self.by_token.setdefault(c.token, []).append(c)
            if c.recipient:  # a follow-up has none: never matched by sender and subject
                self.by_recipient.setdefault(c.recipient.lower(), []).append(c)
        self._cores: dict[str, str] = {}

    def core(self, subject: str) -> str:
        if subject not in self._cores:
            self._cores[subject] = subject_core(subject)
        return self._cores[subject]


def match(
    message: Classified,
    candidates: Sequence[Candidate] | CandidateIndex,
    *,
    received_at: datetime,
) -> Match | None:
    index = candidates if isinstance(candidates, CandidateIndex) else CandidateIndex(candidates)
    latest = received_at + CLOCK_SLACK

    def eligible(found: Sequence[Candidate]) -> list[Candidate]:
        return [c for c in found if c.sent_at <= latest]

    for method, ids in (
        ("in_reply_to", [message.in_reply_to]),
        ("returned_message", [message.original_message_id]),
        ("references", list(reversed(message.references))),
    ):
        for message_id in ids:
            # Two checks with one Message-ID cannot happen; if it did, the last one wins.
            same_id = eligible(index.by_id.get(message_id, [])) if message_id else []
            if same_id:
                return Match(same_id[-1].check_id, method)
    if message.matched_token:
        by_token = eligible(index.by_token.get(message.matched_token, []))
        if by_token:
            return Match(max(by_token, key=lambda c: c.sent_at).check_id, "token")
    return _weak(message, index, eligible)


def _weak(
    message: Classified,
    index: CandidateIndex,
    eligible: Callable[[Sequence[Candidate]], list[Candidate]],
) -> Match | None:
    if message.kind in (Kind.UNRELATED,) and not message.subject:
        return None
    sender = (message.from_address or "").lower()
    core = subject_core(message.subject)
    if not core:
        return None
    from_sender = eligible(index.by_recipient.get(sender, []))
    same = [c for c in from_sender if index.core(c.subject) in core]
    if not same:
        return None
    return Match(max(same, key=lambda c: c.sent_at).check_id, "sender_subject", weak=True)

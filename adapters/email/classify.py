"""What an incoming message is: a human reply, an auto-reply, a bounce, a delay notice, or
unrelated; with what links it to a probe (In-Reply-To, References, the token, the returned copy).

Bounces: RFC 3464 `multipart/report; report-type=delivery-status`, and the non-standard
notices of Exim, qmail, Yandex and Mail.ru that carry the same facts in prose. Auto-replies:
RFC 3834 `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply`, and
`Precedence: bulk/junk` or no header at all together with the wording auto-responders use.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from typing import Any

from adapters.email.decode import (
    ENCODED_WORD as _ENCODED_WORD,
)
from adapters.email.decode import body_text, content_type, guess_decode, header, header_text
from adapters.email.message import find_token


class Kind(StrEnum):
    HUMAN_REPLY = "human_reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    DELAY = "delay"
    UNRELATED = "unrelated"


@dataclass
class Bounce:
    status: str | None
    action: str
    recipient: str | None
    diagnostic: str | None
    standard: bool  # an RFC 3464 report, not prose


@dataclass
class Classified:
    kind: Kind
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    from_address: str | None = None
    subject: str = ""
    date: datetime | None = None
    matched_token: str | None = None
    original_message_id: str | None = None  # the probe a bounce returns
    bounce: Bounce | None = None
    auto_reply_reason: str | None = None
    text: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "matched_token": self.matched_token,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "message_id": self.message_id,
            "original_message_id": self.original_message_id,
            "from": self.from_address,
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "auto_reply_reason": self.auto_reply_reason,
            "bounce": _bounce_json(self.bounce),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Classified:
        """Back from `as_json` (what an inbound row keeps), enough to match it again."""
        bounce = data.get("bounce")
        return cls(
            kind=Kind(data.get("kind") or Kind.UNRELATED.value),
            message_id=data.get("message_id"),
            in_reply_to=data.get("in_reply_to"),
            references=list(data.get("references") or []),
            from_address=data.get("from"),
            subject=data.get("subject") or "",
            matched_token=data.get("matched_token"),
            original_message_id=data.get("original_message_id"),
            bounce=Bounce(**bounce, standard=False) if bounce else None,
            auto_reply_reason=data.get("auto_reply_reason"),
        )

    def linked_ids(self) -> list[str]:
        """Message-IDs this message points back to, strongest first."""
        ids = [self.in_reply_to, self.original_message_id, *reversed(self.references)]
        return list(dict.fromkeys(i for i in ids if i))


def _bounce_json(bounce: Bounce | None) -> dict[str, Any] | None:
    if bounce is None:
        return None
    data = asdict(bounce)
    data.pop("standard")
    return data


class _Words:
    """A case-insensitive pattern, written in lower case, searched fast.

    Python's `re` is several times slower with IGNORECASE over Cyrillic alternatives (about
    0.1 ms per kilobyte of text for each of these patterns): the pattern is first searched
    without it in the case-folded text, and only where that finds something again with it in
    the text itself, for the words exactly as written.
    """

    def __init__(self, pattern: str, flags: int = 0, *, needs: tuple[str, ...] = ()) -> None:
        if pattern != pattern.lower():
            raise ValueError(f"write the pattern in lower case: {pattern!r}")
        self.quick = re.compile(pattern, flags)
        self.exact = re.compile(pattern, flags | re.IGNORECASE)
        # Words at least one of which every match contains: text without any is passed over
        # without the pattern (some, anchored at every line, cost tens of microseconds).
        self.needs = needs

    def search(self, text: str) -> re.Match[str] | None:
        folded = _casefold(text)
        if self.needs and not any(word in folded for word in self.needs):
            return None
        if self.quick.search(folded) is None:
            return None
        return self.exact.search(text)


_folded: tuple[str, str] = ("", "")


def _casefold(text: str) -> str:
    """`text.casefold()`, remembered for the last text: several patterns read the same one."""
    global _folded
    last = _folded  # read once: another thread may replace it
    if last[0] is text:
        return last[1]
    folded = text.casefold()
    _folded = (text, folded)
    return folded


_MSGID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*(re|ha|aw|sv|отв|ответ|fw|fwd)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mdaemon)@", re.IGNORECASE)
_BOUNCE_SENDER_NAME = re.compile(r"mail delivery (system|subsystem)|mailer.daemon", re.IGNORECASE)
_FAILURE_WORDS = _Words(
    r"undeliver|returned mail|delivery status notification \(failure\)|mail delivery failed|"
    r"failure notice|delivery failure|could not be delivered|permanent error|"
    r"message was not accepted|mail failure|недоставленное сообщение|не доставлено|"
    r"не удалось доставить|не может быть доставлено|не был[оа]? доставлен",
    needs=("deliver", "returned mail", "failure", "permanent error", "not accepted", "достав"),
)
_DELAY_WORDS = _Words(
    r"delayed mail|delivery status notification \(delay\)|still being retried|will retry|"
    r"delivery (has been )?delayed|warning: message .* delayed|задерж|отложен|"
    r"повторная попытка",
    needs=("delay", "retr", "задерж", "отложен", "повторная попытка"),
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_CODE_LINE = re.compile(r"\b([45]\d\d)[ -]([^\n]{0,300})")
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_AUTO_SUBJECT = _Words(
    r"автоответ|автоматическ\w* ответ|auto[- ]?reply|autoreply|automatic reply|auto[- ]?response|"
    r"out of (the )?office|^\s*auto:|отсутств\w* на рабочем месте|в отпуске",
    needs=("автоответ", "автоматическ", "auto", "out of ", "отсутств", "в отпуске"),
)
_AUTO_BODY = _Words(
    r"это автоматическ\w* (ответ|сообщение|уведомление)|автоматическ\w* ответ|"
    r"сформирован\w* автоматически|автоматически сформирован|"
    r"не отвечайте на (это|данное) (письмо|сообщение)|this is an auto|automatic reply|"
    r"auto-?reply|out of (the )?office|i am (currently )?away",
    needs=("автоматическ", "не отвечайте на ", "auto", "out of ", "i am "),
)
_ACK_BODY = _Words(
    r"ваше (письмо|обращение|сообщение) (было )?(получено|принято|зарегистрировано)|"
    r"we have received your (message|e-?mail|request)|thank you for your (message|e-?mail)",
    needs=("ваше ", "we have received your ", "thank you for your "),
)
_QUOTE_START = _Words(
    r"^(-{2,}\s*(original message|исходное сообщение|пересылаемое сообщение)|"
    r".*(wrote|писал\(а\)|пишет|написал\w*):\s*$)",
    re.MULTILINE,
    needs=("--", "wrote", "писал(а)", "пишет", "написал"),
)
_ACK_MAX_CHARS = 500  # an acknowledgement is short; a real answer that starts the same is not


def parse(raw: bytes) -> Message:
    """The message's structure, by the standard parser; headers are read raw and decoded by
    `decode.header`.

    The compat32 policy keeps headers as strings: `policy.default` builds and parses a header
    object on every access (Content-Type alone several times per message), which made a
    classification cost milliseconds.
    """
    return BytesParser(policy=policy.compat32).parsebytes(raw)


class _Head:
    """The first value of each of a message's headers, as `decode.raw_header` reads it, looked
    up once per message instead of a walk over all the headers per name."""

    def __init__(self, message: Message) -> None:
        self.raw: dict[str, str] = {}
        for key, value in message.raw_items():
            self.raw.setdefault(key.lower(), str(value))

    def text(self, name: str) -> str:
        """As `decode.header`."""
        raw = self.raw.get(name.lower())
        return "" if raw is None else header_text(raw)


def classify(raw: bytes) -> Classified:
    message = parse(raw)
    head = _Head(message)
    result = _envelope(head)
    result.text = body_text(message)
    bounce, original = _standard_report(message)
    if bounce is None and _looks_like_bounce(head, result):
        bounce, original = _prose_bounce(message, result)
    if original is not None:
        result.original_message_id = _first_id(header(original, "Message-ID"))
    result.matched_token = find_token(
        " ".join([result.subject, result.text, _headers_text(original)])
    )
    if bounce is not None:
        result.bounce = bounce
        result.kind = _bounce_kind(bounce.action)
        return result
    reason = _auto_reply_reason(head, result)
    if reason:
        result.kind, result.auto_reply_reason = Kind.AUTO_REPLY, reason
    elif result.linked_ids() or result.matched_token or _REPLY_PREFIX.match(result.subject):
        result.kind = Kind.HUMAN_REPLY
    return result


def _envelope(head: _Head) -> Classified:
    date_text = head.text("Date")
    date = None
    if date_text:
        try:
            date = parsedate_to_datetime(date_text)
            date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            date = None
    return Classified(
        kind=Kind.UNRELATED,
        message_id=_first_id(head.text("Message-ID")),
        in_reply_to=_first_id(head.text("In-Reply-To")),
        references=_MSGID.findall(head.text("References")),
        from_address=_from_address(head.raw.get("from") or ""),
        subject=head.text("Subject"),
        date=date,
    )


_SENDERS: dict[str, str | None] = {}


def _from_address(raw: str) -> str | None:
    """The sender's address from the raw From value; remembered (a mailbox's senders repeat)."""
    if raw in _SENDERS:
        return _SENDERS[raw]
    addresses = getaddresses([_address_source(raw)])
    found = addresses[0][1].lower() if addresses and addresses[0][1] else None
    if len(_SENDERS) >= 4096:
        _SENDERS.clear()
    _SENDERS[raw] = found
    return found


def _address_source(raw: str) -> str:
    """What to read the sender's address from. Encoded words stand in for a display name
    only, and decoded they may bring commas, quotes or brackets: each is replaced by a plain
    word first. Raw 8-bit text is decoded as for any header."""
    if raw.isascii():
        return " ".join(_ENCODED_WORD.sub("x", raw).split())
    return header_text(raw)


def _first_id(text: str) -> str | None:
    match = _MSGID.search(text)
    return match.group(0) if match else None


def _bounce_kind(action: str) -> Kind:
    if action == "failed":
        return Kind.BOUNCE
    if action == "delayed":
        return Kind.DELAY
    return Kind.UNRELATED  # delivered / relayed / expanded: a success notice


# -- RFC 3464 --------------------------------------------------------------------------------
def _standard_report(message: Message) -> tuple[Bounce | None, Message | None]:
    if content_type(message)[0] != "multipart/report":
        return None, None
    if str(message.get_param("report-type") or "").lower() != "delivery-status":
        return None, None
    blocks: list[Message] = []
    original: Message | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = _status_blocks(part)
        elif kind in ("message/rfc822", "message/global") and original is None:
            original = _attached(part)
        elif kind in ("text/rfc822-headers", "message/rfc822-headers") and original is None:
            original = _headers_part(part)
    recipients = [b for b in blocks if b.get("Action") or b.get("Final-Recipient")]
    if not recipients:
        return None, original
    chosen = next(
        (b for b in recipients if str(b.get("Action", "")).strip().lower() == "failed"),
        next(
            (b for b in recipients if str(b.get("Action", "")).strip().lower() == "delayed"),
            recipients[0],
        ),
    )
    return _bounce_from_block(chosen), original


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)]
    # Some mailers send the fields as text with a wrong content-transfer-encoding.
    raw = part.get_payload(decode=True)
    text = guess_decode(raw) if isinstance(raw, bytes) else str(payload)
    return [BytesParser(policy=policy.compat32).parsebytes(chunk.encode()) for chunk in
            re.split(r"\r?\n\r?\n", text) if chunk.strip()]  # fmt: skip


def _headers_part(part: Message) -> Message:
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else str(part.get_payload()).encode()
    return BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)


def _field(block: Message, name: str) -> str:
    value = " ".join(str(block.get(name, "")).split())
    return value.split(";", 1)[1].strip() if ";" in value else value


def _bounce_from_block(block: Message) -> Bounce:
    action = _field(block, "Action").lower() or "failed"
    status = _field(block, "Status") or None
    diagnostic = _field(block, "Diagnostic-Code") or None
    if status and not _STATUS.fullmatch(status) and diagnostic:
        status = _status_in(diagnostic)
    recipient = _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
    return Bounce(
        status=status,
        action=action,
        recipient=recipient.lower() or None,
        diagnostic=diagnostic,
        standard=True,
    )


def _status_in(text: str) -> str | None:
    match = _STATUS.search(text)
    return match.group(1) if match else None


# -- prose bounces ---------------------------------------------------------------------------
def _looks_like_bounce(head: _Head, envelope: Classified) -> bool:
    sender = envelope.from_address or ""
    from_header = head.text("From")
    by_sender = bool(_BOUNCE_SENDER.match(sender) or _BOUNCE_SENDER_NAME.search(from_header))
    if not (by_sender or head.text("Return-Path").strip() == "<>"):
        return False
    words = _FAILURE_WORDS.search(envelope.subject) or _DELAY_WORDS.search(envelope.subject)
    return bool(words or _FAILURE_WORDS.search(envelope.text[:4000]))


def _prose_bounce(message: Message, envelope: Classified) -> tuple[Bounce, Message | None]:
    text = envelope.text
    delayed = bool(_DELAY_WORDS.search(envelope.subject)) or (
        not _FAILURE_WORDS.search(envelope.subject) and bool(_DELAY_WORDS.search(text[:4000]))
    )
    code_line = _SMTP_CODE_LINE.search(text)
    status = _status_in(text)
    if status is None and code_line:
        status = f"{code_line.group(1)[0]}.0.0"
    ours = envelope.from_address or ""
    recipient = next((a.lower() for a in _ADDRESS.findall(text) if a.lower() != ours), None)
    original = _returned_headers(message, text)
    return (
        Bounce(
            status=status,
            action="delayed" if delayed else "failed",
            recipient=recipient,
            diagnostic=" ".join(code_line.group(0).split()) if code_line else None,
            standard=False,
        ),
        original,
    )


def _attached(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _returned_headers(message: Message, text: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == "message/rfc822" and (attached := _attached(part)):
            return attached
    # Exim and qmail quote the returned message inline after a marker line.
    match = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.IGNORECASE | re.MULTILINE)
    if match:
        return BytesParser(policy=policy.compat32).parsebytes(
            f"Message-ID: {match.group(1)}\n\n".encode(), headersonly=True
        )
    return None


def _headers_text(original: Message | None) -> str:
    if original is None:
        return ""
    return " ".join(header(original, name) for name in ("Subject", "Message-ID"))


# -- auto-replies ----------------------------------------------------------------------------
def _auto_reply_reason(head: _Head, envelope: Classified) -> str | None:
    auto_submitted = head.text("Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Auto-Reply"):
        value = head.text(name)
        if value and value.lower() not in ("no", "false"):
            return f"{name}: {value}"
    precedence = head.text("Precedence").lower()
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    own_text = _own_text(envelope.text)
    wording = _AUTO_SUBJECT.search(envelope.subject) or _AUTO_BODY.search(own_text)
    if precedence in ("bulk", "junk", "list") and (wording or _ACK_BODY.search(own_text)):
        return f"Precedence: {precedence} with auto-reply wording"
    if wording:
        return f"auto-reply wording: {wording.group(0)!r}"
    ack = _ACK_BODY.search(own_text)
    if ack and len(own_text.strip()) <= _ACK_MAX_CHARS:
        return f"acknowledgement wording: {ack.group(0)!r}"
    return None


def _own_text(text: str) -> str:
    """The text the sender wrote: quoted lines and the quoted original cut off."""
    match = _QUOTE_START.search(text)
    if match:
        text = text[: match.start()]
    lines = text.splitlines()
    if ">" not in text:
        return "\n".join(lines)
    return "\n".join(line for line in lines if not line.lstrip().startswith(">"))

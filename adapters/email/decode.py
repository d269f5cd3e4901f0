"""Reading real Russian mail: any charset it arrives in, declared, mislabelled or undeclared.

utf-8, koi8-r and windows-1251 bodies, encoded-word headers, quoted-printable and base64 are
handled by the standard library; this module adds what it leaves undone: raw 8-bit headers,
charsets it does not know by the name given, and bodies whose declared charset is wrong.
"""

from __future__ import annotations

import codecs
import html
import re
from email.message import EmailMessage, Message
from typing import Any

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LOWER_CYRILLIC = re.compile(r"[а-яё]")
_ALIASES = {"cp-1251": "cp1251", "win-1251": "cp1251", "x-cp1251": "cp1251", "koi8r": "koi8-r"}
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<(br|/p|/div|/tr|/li)\b[^>]*>", re.IGNORECASE)


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    name = _ALIASES.get(charset.lower().strip(), charset.lower().strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def guess_decode(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: the declared charset when it fits, else the likeliest Russian one.

    KOI8-R and windows-1251 both decode any byte string; Russian prose is mostly lower-case, and
    the two put lower and upper case in swapped ranges, so the candidate with more lower-case
    Cyrillic letters is the right one.
    """
    charset = _known(declared)
    if charset and charset not in ("ascii", "us-ascii"):
        try:
            text = data.decode(charset)
            if charset not in ("cp1251", "koi8-r") or _plausible(text):
                return text
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [data.decode(c, "replace") for c in ("cp1251", "koi8-r")]
    return max(candidates, key=lambda t: len(_LOWER_CYRILLIC.findall(t)))


def _plausible(text: str) -> bool:
    letters = len(_CYRILLIC.findall(text))
    return letters == 0 or len(_LOWER_CYRILLIC.findall(text)) * 2 >= letters


def header(message: Message, name: str) -> str:
    """A header as text; raw 8-bit header bytes are decoded like a body."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, AttributeError):
        value = message.get_all(name, [""])[0] if hasattr(message, "get_all") else ""
    if value is None:
        return ""
    text = str(value)
    if "\ufffd" in text or any("\udc80" <= c <= "\udcff" for c in text):
        text = _raw_header(message, name) or text
    return " ".join(text.split())


def _raw_header(message: Message, name: str) -> str | None:
    """Undeclared 8-bit bytes in a header (old Russian mailers send raw windows-1251)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            data = str(value).encode("utf-8", "surrogateescape")
            if b"=?" in data:
                return None
            return guess_decode(data)
    return None


def part_text(part: Message) -> str:
    payload: Any = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = guess_decode(payload, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


def html_to_text(markup: str) -> str:
    text = _BREAKS.sub("\n", markup)
    text = _TAGS.sub("", text)
    return html.unescape(text)


def body_text(message: EmailMessage | Message, *, limit: int = 50_000) -> str:
    """The readable text: the plain part when there is one, else the HTML one, as text.

    Attached messages (a bounce's returned copy, its delivery-status) are left out.
    """
    plain: list[str] = []
    markup: list[str] = []
    for part in _walk_skipping_attached(message):
        if part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            markup.append(part_text(part))
    return "\n".join(plain or markup)[:limit]


def _walk_skipping_attached(message: Message) -> list[Message]:
    found: list[Message] = []
    if message.is_multipart():
        for sub in message.get_payload():
            if isinstance(sub, Message) and sub.get_content_maintype() != "message":
                found.extend(_walk_skipping_attached(sub))
    elif message.get_content_maintype() == "text":
        found.append(message)
    return found

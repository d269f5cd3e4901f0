"""Reading real Russian mail: any charset it arrives in, declared, mislabelled or undeclared.

utf-8, koi8-r and windows-1251 bodies, encoded-word headers, quoted-printable and base64 are
handled by the standard library; this module adds what it leaves undone: raw 8-bit headers,
charsets it does not know by the name given, and bodies whose declared charset is wrong.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
from email.message import Message
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


def raw_header(message: Message, name: str) -> str | None:
    """The first `name` header as it came (folded, encoded words and 8-bit bytes left as is)."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def header(message: Message, name: str) -> str:
    """A header as one line of text (see `header_text`); "" when it is absent."""
    raw = raw_header(message, name)
    return "" if raw is None else header_text(raw)


def header_text(raw: str) -> str:
    """A raw header value as text: raw 8-bit bytes decoded like a body (old Russian mailers send
    undeclared windows-1251), encoded words decoded, folding and runs of spaces collapsed.

    Read straight from the raw value rather than through `email.policy.default`'s header objects,
    which parse every structured header in full on each access and made most of the cost of
    classifying a message.
    """
    text = raw
    if not text.isascii():
        text = guess_decode(text.encode("utf-8", "surrogateescape"))
    if "=?" in text:
        text = decode_words(text)
    return " ".join(text.split())


ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded, each charset read like a body's (`guess_decode`).

    Space between two encoded words is dropped (RFC 2047 6.2). Adjacent words in one charset
    are joined before decoding: some mailers split a multi-byte character between two words.
    A word that does not decode is left as it is.
    """
    out: list[str] = []
    run = bytearray()
    run_charset: str | None = None
    position = 0
    for word in ENCODED_WORD.finditer(text):
        data = _word_bytes(word.group(2), word.group(3))
        gap = text[position : word.start()]
        if data is None:
            continue  # stays in the next gap, as text
        charset = word.group(1).partition("*")[0].lower()  # RFC 2231: charset*language
        if run_charset is not None and not gap.strip() and charset == run_charset:
            run += data
        else:
            if run_charset is not None:
                out.append(_word_text(bytes(run), run_charset))
            if run_charset is None or gap.strip():
                out.append(gap)
            run, run_charset = bytearray(data), charset
        position = word.end()
    if run_charset is not None:
        out.append(_word_text(bytes(run), run_charset))
    out.append(text[position:])
    return "".join(out)


def _word_text(data: bytes, charset: str) -> str:
    known = _known(charset)
    if known in ("cp1251", "koi8-r") or known is None or known == "ascii":
        return guess_decode(data, charset)  # mislabelled, unknown or 8-bit "ascii": guessed
    # Declared and known: a broken byte is a broken character, not a wrong charset.
    return data.decode(known, "replace")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("ascii", "surrogateescape")
    if encoding in "qQ":
        return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4), validate=True)
    except binascii.Error:
        return None


def part_text(part: Message) -> str:
    payload: Any = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    kind, charset = content_type(part)
    text = guess_decode(payload, charset)
    if kind == "text/html":
        text = html_to_text(text)
    return text


_CONTENT_TYPES: dict[str, tuple[str, str | None]] = {}


def content_type(message: Message) -> tuple[str, str | None]:
    """`message.get_content_type()` and `message.get_content_charset()`.

    Both are read from the first Content-Type header alone (or the default type when there is
    none): they are remembered by that header's raw value, which a mailbox repeats from message
    to message, instead of its parameters being parsed again several times per message.
    """
    raw = raw_header(message, "Content-Type")
    if raw is None:
        return message.get_content_type(), message.get_content_charset()
    found = _CONTENT_TYPES.get(raw)
    if found is None:
        found = (message.get_content_type(), message.get_content_charset())
        if len(_CONTENT_TYPES) >= 1024:
            _CONTENT_TYPES.clear()
        _CONTENT_TYPES[raw] = found
    return found


def html_to_text(markup: str) -> str:
    text = _BREAKS.sub("\n", markup)
    text = _TAGS.sub("", text)
    return html.unescape(text)


def body_text(message: Message, *, limit: int = 50_000) -> str:
    """The readable text: the plain part when there is one, else the HTML one, as text.

    Attached messages (a bounce's returned copy, its delivery-status) are left out.
    """
    if not message.is_multipart():  # one part: what the walk below does for it
        kind = content_type(message)[0]
        if kind not in ("text/plain", "text/html"):
            return ""
        if message.get_content_disposition() == "attachment":
            return ""
        return part_text(message)[:limit]
    plain: list[str] = []
    markup: list[str] = []
    for part in _walk_skipping_attached(message):
        if part.get_content_disposition() == "attachment":
            continue
        kind = content_type(part)[0]
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            markup.append(part_text(part))
    return "\n".join(plain or markup)[:limit]


def _walk_skipping_attached(message: Message) -> list[Message]:
    found: list[Message] = []
    if message.is_multipart():
        for sub in message.get_payload():
            if isinstance(sub, Message) and not content_type(sub)[0].startswith("message/"):
                found.extend(_walk_skipping_attached(sub))
    elif content_type(message)[0].startswith("text/"):
        found.append(message)
    return found

"""Split and validate the e-mail addresses published in a directory cell.

Real cells hold several addresses, label prefixes ("эл. адрес:", "E-mail:"), HTML links,
Cyrillic look-alike letters typed into Latin addresses ("сsovor@yandex.ru" starts with a
Cyrillic "с") and spaces that PDF conversion put inside an address. Defects are reported with
a suggestion, never corrected silently: the contact key must be what the organisation publishes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from probe.directory.reasons import Reason, because

__all__ = ["ParsedEmail", "parse_emails"]


@dataclass(frozen=True)
class ParsedEmail:
    raw: str
    value: str | None
    why: Reason | None = None

    @property
    def error(self) -> str | None:
        """Why the address is not usable, in English (the CLI's report, `Contact.error`)."""
        return None if self.why is None else str(self.why)


_PREFIX_RE = re.compile(
    r"(?:\b(?:e-?mail|эл(?:ектронная)?\.?\s*(?:почта|адрес)|электронный\s+адрес|почта|mailto)"
    r"\s*[:.]?)",
    re.IGNORECASE,
)
_TAG_RE = re.compile(r"<[^>]*>")
_SEPARATOR_RE = re.compile(r"[,;\s]+")
# Where PDF conversion breaks an address, only spaces (not line breaks) are left inside it.
_PIECE_RE = re.compile(r"[^\s,;]+")
_LATIN_PIECE_RE = re.compile(r"^[\w.+\-@]+$")
_EDGE_PUNCTUATION = "\"'«»()[]<>.,;:!?"
_JOINERS = "@._-"
_DOMAIN_LIKE_RE = re.compile(r"^(?:https?://|www\.)|\.[a-z]{2,}/?$", re.IGNORECASE)

_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_LATIN_RE = re.compile(r"[A-Za-z]")

# Letters that look the same as a Latin one: someone typed the address on a Russian layout
# only for a key or two.
_LOOK_ALIKES = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
}  # fmt: skip
# Transliteration as used in Russian mailbox names (х -> h: "vdohnovenie"), for a run of
# Cyrillic letters that cannot be look-alikes because one of them has no Latin twin.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_CYRILLIC_RUN_RE = re.compile(r"[\u0400-\u04ff]+")


@dataclass
class _Piece:
    start: int
    end: int
    text: str


def _pieces(text: str) -> list[_Piece]:
    return [_Piece(m.start(), m.end(), m.group()) for m in _PIECE_RE.finditer(text)]


def _latin_fragment(piece: _Piece) -> bool:
    return bool(_LATIN_PIECE_RE.match(piece.text))


def _could_be_local_part(piece: _Piece) -> bool:
    """Not a phone number, a label word or a web address standing before an address."""
    text = piece.text
    return bool(_LATIN_RE.search(text)) and not _DOMAIN_LIKE_RE.search(text)


@dataclass
class _Address:
    raw: str
    joined: str
    ambiguous_space: bool


def _space_between(text: str, left: _Piece, right: _Piece) -> bool:
    gap = text[left.end : right.start]
    return gap != "" and gap.strip(" \t\u00a0") == ""


def _glue(text: str, left: _Piece, right: _Piece) -> bool | None:
    """True: the space is a conversion artefact; None: it might be, but what it replaced is
    unknowable ("gorkov tu@" could be "gorkovtu@" or "gorkov_tu@"); False: two tokens."""
    if not _space_between(text, left, right):
        return False
    if ("@" in left.text) == ("@" in right.text):
        return False
    if not (_latin_fragment(left) and _latin_fragment(right)):
        return False
    if left.text[-1] in _JOINERS or right.text[0] in _JOINERS:
        return True
    return None if "@" in right.text and _could_be_local_part(left) else False


def _addresses(text: str) -> list[_Address]:
    pieces = _pieces(text)
    addresses: list[_Address] = []
    i = 0
    while i < len(pieces):
        start, joined, ambiguous = pieces[i].start, pieces[i].text, False
        while i + 1 < len(pieces):
            glue = _glue(text, pieces[i], pieces[i + 1])
            if glue is False:
                break
            ambiguous = ambiguous or glue is None
            joined += pieces[i + 1].text
            i += 1
        if "@" in joined:
            raw = text[start : pieces[i].end].strip(_EDGE_PUNCTUATION)
            addresses.append(_Address(raw, joined.strip(_EDGE_PUNCTUATION), ambiguous))
        i += 1
    return addresses


def _suggestion(address: str) -> str:
    def replace(m: re.Match[str]) -> str:
        run = m.group()
        if all(ch in _LOOK_ALIKES for ch in run):
            return "".join(_LOOK_ALIKES[ch] for ch in run)
        return "".join(_TRANSLIT.get(ch.lower(), ch) for ch in run)

    return _CYRILLIC_RUN_RE.sub(replace, address)


def _mixed_script_error(address: str) -> Reason | None:
    """A part (local part or one domain label) mixing Latin and Cyrillic letters is a typo;
    an all-Cyrillic domain such as "школа.рф" is legitimate."""
    local, _, domain = address.rpartition("@")
    parts = [local, *domain.split(".")]
    if not any(_CYRILLIC_RE.search(p) and _LATIN_RE.search(p) for p in parts):
        return None
    # The first letter is named; the suggestion shows the whole corrected address.
    position = next(i for i, ch in enumerate(address) if _CYRILLIC_RE.match(ch))
    why = because(
        "cyrillic_letter", letter=address[position], address=address, position=position + 1
    )
    suggestion = _suggestion(address)
    if _valid(suggestion):
        return Reason("cyrillic_letter_suggested", why.values).adding(
            suggestion=_lower_domain(suggestion)
        )
    return why


def _lower_domain(address: str) -> str:
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{domain.lower()}"


def _valid(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _space_error(raw: str, joined: str) -> Reason:
    return because("space_inside", raw=raw, joined=joined, underscored="_".join(raw.split()))


def _parse_one(address: _Address, check_mx: bool) -> ParsedEmail:
    if address.ambiguous_space:
        return ParsedEmail(address.raw, None, _space_error(address.raw, address.joined))
    mixed = _mixed_script_error(address.joined)
    if mixed:
        return ParsedEmail(address.raw, None, mixed)
    try:
        info = validate_email(address.joined, check_deliverability=check_mx)
    except EmailNotValidError as exc:
        return ParsedEmail(
            address.raw, None, because("invalid_address", address=address.joined, detail=str(exc))
        )
    # The local part is the owner's: kept as published ("CSO-Test"); only the domain, which is
    # case-insensitive by definition, is lower-cased (email_validator does that). The contact
    # key and reply matching compare addresses without case.
    return ParsedEmail(address.raw, info.normalized)


def _clean(text: str) -> str:
    text = _TAG_RE.sub(" ", text)
    return _PREFIX_RE.sub(" ", text)


def _missing_at(text: str) -> list[ParsedEmail]:
    """A cell (or the part after an "e-mail:" label) that holds an address without its "@"."""
    results = []
    for m in _PREFIX_RE.finditer(text):
        after = _TAG_RE.sub(" ", text[m.end() :])
        pieces = _pieces(after)
        if pieces and not _starts_address(after, pieces):
            candidate = pieces[0].text.strip(_EDGE_PUNCTUATION)
            results.append(ParsedEmail(candidate, None, because("no_at", address=candidate)))
    return results


def _starts_address(text: str, pieces: list[_Piece]) -> bool:
    if "@" in pieces[0].text:
        return True
    return len(pieces) > 1 and _glue(text, pieces[0], pieces[1]) is not False


def parse_emails(text: str, *, check_mx: bool = False) -> list[ParsedEmail]:
    """Every e-mail address in a directory cell, in the order published.

    Text after an "e-mail:" style label that is not an address is reported; a non-empty cell
    without any address gives one result carrying the error; an empty cell gives [].
    `check_mx` asks email_validator to resolve the domain (network), so it is off by default.
    """
    if not text.strip():
        return []
    found = [_parse_one(a, check_mx) for a in _addresses(_clean(text))]
    results = sorted([*found, *_missing_at(text)], key=lambda r: _position(text, r.raw))
    if not results:
        return [ParsedEmail(text.strip(), None, because("no_email", text=text.strip()))]
    return results


def _position(text: str, raw: str) -> int:
    index = text.find(raw)
    return index if index >= 0 else len(text)

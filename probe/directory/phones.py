"""Split and normalise the phone numbers published in a directory cell.

The cells come from office documents converted to text: several numbers per cell, area codes
written in every possible way, spaces inserted inside numbers by PDF conversion, local numbers
that only make sense with the area code of a sibling number, and (in the Rostov and Omsk
appendices) the whole "address, phone, fax, e-mail" block in one cell. The splitting and the
Russian-specific cleanup are done here; `phonenumbers` only validates and formats the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from probe.directory.phone_runs import Candidate, split_run
from probe.directory.reasons import Reason, because

__all__ = ["ParsedPhone", "area_code_of", "parse_phones"]


@dataclass(frozen=True)
class ParsedPhone:
    raw: str
    value: str | None
    extension: str | None = None
    label: str | None = None
    is_fax: bool = False
    inferred: bool = False
    why: Reason | None = None

    @property
    def error(self) -> str | None:
        """Why the number is not usable, in English (the CLI's report, `Contact.error`)."""
        return None if self.why is None else str(self.why)


# --- area codes -------------------------------------------------------------------------------

# phonenumbers only knows the 3-digit ABC zone of a Russian number (381, 863, ...), never the
# city/district code inside it, so the zones the directories come from are spelled out here.
# Each entry: (prefix of the national number, area code length). Longest prefix wins.
_AREA_CODE_PREFIXES: dict[str, int] = {
    # Omsk region: Omsk city 3812 + 6 digits, every district 381xx + 5 digits.
    "3812": 4,
    "3813": 5,
    "3814": 5,
    "3815": 5,
    "3816": 5,
    "3817": 5,
    # Rostov region: Rostov-on-Don 863 + 7 digits (2xx-xx-xx, 3xx-xx-xx); Taganrog 8634,
    # Novocherkassk 8635, Shakhty 8636, Volgodonsk 8639 + 6 digits; districts 863xx + 5 digits.
    "8632": 3,
    "8633": 3,
    "8634": 5,
    "86343": 4,
    "86346": 4,
    "8635": 5,
    "86352": 4,
    "8636": 5,
    "86362": 4,
    "8637": 5,
    "8638": 5,
    "8639": 5,
    "86392": 4,
}


def _national_of(e164: str) -> str | None:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 7 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.national_significant_number(number)


def _known_area_code(national: str) -> str | None:
    for length in range(len(national), 0, -1):
        code_length = _AREA_CODE_PREFIXES.get(national[:length])
        if code_length is not None:
            return national[:code_length]
    return None


def area_code_of(e164: str) -> str | None:
    """Russian geographic area code of a +7 number ("3812", "38172", "86394"), else None."""
    national = _national_of(e164)
    if national is None:
        return None
    number = phonenumbers.parse(e164, None)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.FIXED_LINE:
        return None
    known = _known_area_code(national)
    if known is not None:
        return known
    # Outside the tabled zones phonenumbers' length is the ABC zone (3 digits): right for the
    # 7-digit big cities, and for anything else it makes a borrowed local number fail the
    # "code + local = 10 digits" check instead of producing a wrong number.
    length = phonenumbers.length_of_geographical_area_code(number)
    return national[:length] if length else None


# --- text cleanup -----------------------------------------------------------------------------

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_SPACES = str.maketrans({c: " " for c in "\t\u00a0\u2007\u202f\u2009\u200a"})
_BLANK = "\x00"

_EXTENSION_RE = re.compile(
    r"\(?\s*\b(?:доб(?:авочный)?|вн(?:утренний)?|ext)\b\.?[^\d\n)]{0,40}?(\d+(?:-\d+)*)\s*\)?",
    re.IGNORECASE,
)
# Web addresses, e-mail addresses and other Latin tokens carry digits that are not phones.
_LATIN_TOKEN_RE = re.compile(r"<[^>]*>|[^\s,;]*[A-Za-z@][^\s,;]*")
# A postcode: six bare digits followed by a comma and the place name.
_POSTCODE_RE = re.compile(r"(?<![\d+(\-])\b\d{6}\b(?=\s*,\s*[^\W\d_])")
_RUN_RE = re.compile(r"[+(]?[ ]*\d[\d()+\- ]*")

_LABEL_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bтел(?:ефон)?\.?\s*/\s*факс\b", re.IGNORECASE), "тел./факс"),
    (re.compile(r"\bфакс\b", re.IGNORECASE), "факс"),
    (re.compile(r"\bпри[её]мн\w*", re.IGNORECASE), "приемная"),
    (re.compile(r"\bтел(?:ефон)?\b\.?", re.IGNORECASE), "тел."),
    (re.compile(r"\b(?:моб(?:ильный)?|сот(?:овый)?)\b\.?", re.IGNORECASE), "моб."),
)
_LABEL_AT_END_RE = re.compile(
    r"(?:\bтел(?:ефон)?\.?\s*/\s*факс|\bфакс|\bпри[её]мн\w*(?:\s+граждан)?(?:\s+тел\.?)?"
    r"|\bтел(?:ефон)?|\bмоб(?:ильный)?|\bсот(?:овый)?)[\s.:\-]*$",
    re.IGNORECASE,
)
_TRAILING_LABEL_RE = re.compile(r"^[ ]*\(\s*([^\W\d_][^()\d]*?)\s*\)")
_SEPARATORS_ONLY_RE = re.compile(r"^[\s,;\x00]*$")


def _clean(text: str) -> str:
    """Same length as the input, so offsets still point into the published text."""
    return text.translate(_DASHES).translate(_SPACES).replace("\r", "\n")


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + _BLANK * (end - start) + text[end:]


@dataclass
class _Extension:
    start: int
    end: int
    digits: str


def _take_extensions(text: str) -> tuple[str, list[_Extension]]:
    found = [
        _Extension(m.start(), m.end(), m.group(1).replace("-", ""))
        for m in _EXTENSION_RE.finditer(text)
    ]
    for ext in found:
        text = _blank(text, ext.start, ext.end)
    return text, found


def _blank_non_phones(text: str) -> str:
    for pattern in (_LATIN_TOKEN_RE, _POSTCODE_RE):
        for m in pattern.finditer(text):
            text = _blank(text, m.start(), m.end())
    return text


# --- labels and extensions --------------------------------------------------------------------


def _label_name(words: str) -> str:
    for pattern, name in _LABEL_WORDS:
        if pattern.search(words):
            return name
    return " ".join(words.lower().split())


def _trailing_label_name(words: str) -> str:
    """Bracketed after the number. "(ф)" is the usual abbreviation of "факс" (seed 001, office
    No. 18): a fax number, kept as published and never called; "(т/ф)" is a phone that also
    takes faxes."""
    lowered = " ".join(words.lower().split())
    if lowered.rstrip(".") in ("факс", "ф"):
        return "факс"
    if lowered.rstrip(".") in ("т/ф", "тел/факс", "тел./факс"):
        return "тел./факс"
    return lowered


def _attach_labels(candidates: list[Candidate], text: str) -> None:
    previous_end = 0
    carried: str | None = None
    for c in candidates:
        gap = text[previous_end : c.start]
        at_end = _LABEL_AT_END_RE.search(gap)
        if at_end:
            carried = _label_name(at_end.group())
        elif not _SEPARATORS_ONLY_RE.match(_strip_parens(gap)):
            carried = None
        trailing = _TRAILING_LABEL_RE.match(text[c.end :])
        if trailing:
            c.label = _trailing_label_name(trailing.group(1))
            c.raw_end = max(c.raw_end, c.end + trailing.end())
        else:
            c.label = carried
        previous_end = max(c.end, c.raw_end)


def _strip_parens(gap: str) -> str:
    return gap.replace("(", "").replace(")", "").replace("-", "")


def _attach_extensions(
    candidates: list[Candidate], extensions: list[_Extension], text: str
) -> None:
    for ext in extensions:
        before = [c for c in candidates if c.end <= ext.start]
        if not before:
            continue
        owner = before[-1]
        gap = text[owner.end : ext.start]
        if _SEPARATORS_ONLY_RE.match(gap.replace("(", "")):
            owner.extension = ext.digits
            owner.raw_end = max(owner.raw_end, ext.end)


# --- turning candidates into results ----------------------------------------------------------


def _validated(national: str) -> str | None:
    try:
        number = phonenumbers.parse("+7" + national, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _raw(original: str, c: Candidate) -> str:
    return original[c.start : max(c.end, c.raw_end)].strip().rstrip(",;-\u2013\u2014 ")


def _borrowable_code(c: Candidate, value: str) -> str | None:
    known = _known_area_code(value[2:])
    if known is not None:
        return known
    return c.written_code or area_code_of(value)


def _result(
    c: Candidate, raw: str, value: str | None, why: Reason | None, inferred: bool
) -> ParsedPhone:
    return ParsedPhone(
        raw=raw,
        value=value,
        extension=c.extension,
        label=c.label,
        is_fax=c.label == "факс",
        inferred=inferred,
        why=why,
    )


def _full_result(c: Candidate, raw: str) -> tuple[ParsedPhone, str | None]:
    if c.problem:
        return _result(c, raw, None, c.problem.adding(raw=raw), False), None
    value = _validated(c.digits[-10:])
    if value is None:
        why = because("phone_invalid", national=c.digits[-10:], raw=raw)
        return _result(c, raw, None, why, False), None
    code = _borrowable_code(c, value)
    return _result(c, raw, value, None, False), code


def _local_result(c: Candidate, raw: str, code: str | None, sibling: bool) -> ParsedPhone:
    if c.problem:
        return _result(c, raw, None, c.problem.adding(raw=raw), False)
    if code is None:
        return _result(c, raw, None, because("local_no_code", raw=raw), False)
    if len(code) + len(c.digits) != 10:
        why = because("local_misfit", raw=raw, code=code, sibling=sibling, count=len(c.digits))
        return _result(c, raw, None, why, False)
    value = _validated(code + c.digits)
    if value is None:
        why = because("local_invalid", code=code, digits=c.digits, raw=raw)
        return _result(c, raw, None, why, False)
    return _result(c, raw, value, None, True)


def _sibling_code(codes: list[tuple[int, str | None]], index: int) -> str | None:
    before = [code for i, code in codes if i < index and code]
    if before:
        return before[-1]
    after = [code for i, code in codes if i > index and code]
    return after[0] if after else None


def _candidates(original: str) -> list[Candidate]:
    text = _clean(original)
    text, extensions = _take_extensions(text)
    text = _blank_non_phones(text)
    candidates: list[Candidate] = []
    for m in _RUN_RE.finditer(text):
        run = m.group().rstrip(" -(+")
        candidates.extend(split_run(run, m.start(), text))
    _attach_extensions(candidates, extensions, text)
    _attach_labels(candidates, text)
    return candidates


def parse_phones(
    text: str, *, default_area_code: str | None = None, region: str = "RU"
) -> list[ParsedPhone]:
    """Every phone number in a directory cell, in the order published.

    A cell with text but no recognisable number gives one result carrying the error, so the
    importer can report it; an empty cell gives an empty list.
    """
    if region != "RU":
        raise ValueError(f"only Russian directories are supported, not region {region!r}")
    if not text.strip():
        return []
    candidates = _candidates(text)
    if not candidates:
        why = because("no_phone", text=text.strip())
        return [ParsedPhone(raw=text.strip(), value=None, why=why)]
    results: list[ParsedPhone | None] = [None] * len(candidates)
    codes: list[tuple[int, str | None]] = []
    for i, c in enumerate(candidates):
        if c.full:
            results[i], code = _full_result(c, _raw(text, c))
            codes.append((i, code))
    for i, c in enumerate(candidates):
        if c.full:
            continue
        code = _sibling_code(codes, i)
        sibling = True
        if code is None and default_area_code:
            code, sibling = re.sub(r"\D", "", default_area_code), False
        result = _local_result(c, _raw(text, c), code, sibling)
        results[i] = result
    return [r for r in results if r is not None]

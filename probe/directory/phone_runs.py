"""Splitting a run of digits from a directory cell into phone numbers.

A run is a stretch of a cell of digits, spaces, dashes, brackets and "+":
"8 (381 72) 2-15-53 2-16-34".
Its digit groups are taken as one number while they add up to a full number (trunk prefix,
area code, local part) or, without an area code, as one local number while dashes hold them
together; `probe.directory.phones` then attaches labels and extensions and validates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from probe.directory.reasons import Reason, because

_GROUP_RE = re.compile(r"\d+")


@dataclass
class _Group:
    start: int  # offset in the whole text
    end: int
    lead: int  # where the number would start if this group opens it: before its "+" or "("
    digits: str
    plus: bool  # a "+" stands between the previous group and this one
    paren: bool  # a "(" stands between the previous group and this one
    soft: bool  # only whitespace separates it from the previous group


@dataclass
class Candidate:
    start: int
    end: int
    digits: str
    full: bool  # carries its own area code
    written_code: str | None = None
    problem: Reason | None = None  # its code and values, the raw text added by the caller
    extension: str | None = None
    raw_end: int = 0
    label: str | None = None


def _groups_of(run: str, offset: int) -> list[_Group]:
    groups: list[_Group] = []
    previous_end = 0
    for m in _GROUP_RE.finditer(run):
        between = run[previous_end : m.start()]
        marks = [k for k, ch in enumerate(between) if ch in "+("]
        groups.append(
            _Group(
                start=offset + m.start(),
                lead=offset + previous_end + (marks[0] if marks else len(between)),
                end=offset + m.end(),
                digits=m.group(),
                plus="+" in between,
                paren="(" in between,
                soft=bool(groups) and between.strip() == "" and between != "",
            )
        )
        previous_end = m.end()
    return groups


def _needed_digits(groups: list[_Group], i: int) -> int | None:
    """How many digits the number starting at group i has, or None when it is a local number."""
    first = groups[i]
    remaining = sum(len(g.digits) for g in groups[i:])
    if first.plus:
        return 11
    opens_code = i + 1 < len(groups) and groups[i + 1].paren
    if first.digits in ("7", "8") and (remaining >= 10 or opens_code):
        return 11  # a lone 7/8 is a trunk prefix: no area code is one digit long
    if first.paren:
        return 10
    if first.digits[0] in "78" and remaining >= 11:
        return 11
    if remaining >= 10 and first.digits[0] in "3489":
        return 10
    return None


def _starts_number(groups: list[_Group], i: int) -> bool:
    return groups[i].plus or groups[i].paren or _needed_digits(groups, i) is not None


def _written_code(groups: list[_Group], text: str) -> str | None:
    """The bracketed area code: "(381 72)" -> "38172", "(8 381 54)" -> "38154"."""
    opening = next((g for g in groups if g.paren), None)
    if opening is None:
        return None
    close = text.find(")", opening.start)
    inside = [g for g in groups if opening.start <= g.start < close]
    if close < 0 or not inside:
        return None
    if inside[0].digits in ("7", "8") and len(inside) > 1:
        inside = inside[1:]
    code = "".join(g.digits for g in inside)
    return code if 3 <= len(code) <= 5 else None


def _take_full(groups: list[_Group], i: int, needed: int, text: str) -> tuple[Candidate, int]:
    taken: list[_Group] = []
    count = 0
    j = i
    while j < len(groups) and count < needed and (j == i or not (groups[j].plus)):
        taken.append(groups[j])
        count += len(groups[j].digits)
        j += 1
    candidate = Candidate(
        start=taken[0].lead,
        end=taken[-1].end,
        digits="".join(g.digits for g in taken),
        full=True,
    )
    if groups[i].plus and not candidate.digits.startswith("7"):
        candidate.problem = because("phone_not_russian")
    elif count != needed:
        candidate.problem = because(
            "phone_digits", count=count, needed=needed, **_expected(groups[i])
        )
    else:
        candidate.written_code = _written_code(taken, text)
    return candidate, j


def _expected(first: _Group) -> dict[str, str]:
    """What a whole number should have been made of: the country code, a trunk prefix, or an
    area code, each followed by the rest of its 10 digits."""
    if first.plus:
        return {"how": "country"}
    if first.digits[0] in "78" and len(first.digits) == 1:
        return {"how": "trunk", "trunk": first.digits}
    return {"how": "area"}


def _take_local(groups: list[_Group], i: int) -> tuple[Candidate, int]:
    taken = [groups[i]]
    j = i + 1
    while j < len(groups) and not _starts_number(groups, j):
        dashed = any(not g.soft for g in taken[1:])
        # PDF conversion leaves "22-81- 75": a space next to a dash is still one number,
        # but "2-15-53 2-16-34" is two.
        if groups[j].soft and (dashed or _next_is_dashed(groups, j)):
            break
        taken.append(groups[j])
        j += 1
    candidate = Candidate(
        start=taken[0].lead,
        end=taken[-1].end,
        digits="".join(g.digits for g in taken),
        full=False,
    )
    return candidate, j


def _next_is_dashed(groups: list[_Group], j: int) -> bool:
    return j + 1 < len(groups) and not groups[j + 1].soft and not groups[j + 1].paren


def split_run(run: str, offset: int, text: str) -> list[Candidate]:
    groups = _groups_of(run, offset)
    if sum(len(g.digits) for g in groups) < 5:
        return []  # house numbers, "№ 1", stray digits: not a phone
    candidates: list[Candidate] = []
    i = 0
    while i < len(groups):
        needed = _needed_digits(groups, i)
        if needed is not None:
            candidate, i = _take_full(groups, i, needed, text)
        else:
            candidate, i = _take_local(groups, i)
            if not 5 <= len(candidate.digits) <= 7:
                candidate.problem = because("local_digits", count=len(candidate.digits))
        candidates.append(candidate)
    return candidates

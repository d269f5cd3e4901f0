"""Seed 001: the Omsk ministry and its territorial offices (appendix 1 of the regulation)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .tables import (
    OMSK,
    BuildError,
    numbered_rows,
    org,
    read_lines,
    section,
    squash,
)

SEED_OFFICES = "001_aa92297b72ad0e75.txt"


_MINISTRY_SHORT = "Министерство"
_MINISTRY_FULL = "Министерство труда и социального развития Омской области"
_MINISTRY_FULL_GEN = "Министерства труда и социального развития Омской области"


def _office_hours(lines: list[str]) -> str:
    """R9: the paragraphs of item 4 of the regulation, verbatim, one per line."""
    first, _ = section(lines, "4. График работы Министерства, территориальных органов:", None)
    paragraphs: list[str] = []
    for line in lines[first:]:
        if line.startswith("Информация о графике работы"):
            break
        if line.strip():
            paragraphs.append(line.strip())
    if len(paragraphs) < 4:
        raise BuildError("item 4 (office hours) of seed 001 not recognised")
    return "\n".join(paragraphs)


def _office_full_name(short: str) -> str:
    """R8: spell out "Министерство" as defined in the appendix's column 3 header."""
    if short == _MINISTRY_SHORT:
        return _MINISTRY_FULL
    if not short.startswith("Управление Министерства "):
        raise BuildError(f"unexpected office name {short!r}")
    return short.replace("Управление Министерства", f"Управление {_MINISTRY_FULL_GEN}", 1)


def _split_office_contacts(cell: str) -> dict[str, str]:
    """R5: 'index, address, 8 (code) phone[, ...], www..., e-mail' -> fields."""
    text = squash(cell)
    match = re.search(r",\s*(?=8[\s-]*\()", text)
    if not match:
        raise BuildError(f"no phone in {text!r}")
    address = text[: match.start()].strip()
    phones: list[str] = []
    websites: list[str] = []
    emails: list[str] = []
    for item in (part.strip() for part in text[match.end() :].split(",")):
        if not item:
            continue
        if item.startswith("www."):
            websites.append(item)
        elif "@" in item:
            emails.append(item)
        elif emails or websites:
            raise BuildError(f"phone after e-mail/site in {text!r}")
        else:
            phones.append(item)
    return {
        "address": address,
        "phones": ", ".join(phones),
        "website": ", ".join(websites),
        "emails": "\n".join(emails),
    }


def build_offices(seeds: Path) -> dict[str, Any]:
    lines = read_lines(seeds / SEED_OFFICES)
    hours = _office_hours(lines)
    first, last = section(lines, "Приложение № 1", "Приложение № 2")
    table = [
        line
        for line in lines[first:last]
        if re.match(r"\d+\t|\t", line) and line.strip() != "1\t2\t3"
    ]
    rows = numbered_rows(table, width=3, sub_rows=False)
    if len(rows) != 34:
        raise BuildError(f"expected 34 rows in seed 001 appendix 1, got {len(rows)}")
    organisations = []
    for row in rows:
        short = squash(row.cells[0])
        contacts = _split_office_contacts(row.cells[1])
        organisations.append(
            org(
                name=_office_full_name(short),
                short_name=short,
                region=OMSK,
                kind="министерство" if short == _MINISTRY_SHORT else "территориальное управление",
                hours=hours,
                **contacts,
            )
        )
    return {
        "name": "omsk-offices",
        "title": "Министерство труда и социального развития Омской области и его "
        "территориальные органы (административный регламент 2016)",
        "source": f"seed {SEED_OFFICES}, appendix 1; hours: item 4 of the regulation",
        "organisations": organisations,
    }

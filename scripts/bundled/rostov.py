"""Seed 004: the Rostov organisations of appendix 1 of the regulation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .tables import (
    ROSTOV,
    BuildError,
    org,
    read_lines,
    section,
    squash,
)

SEED_ROSTOV = "004_93b3f2c76496437c.txt"

# rostov, names (appendix 1, column 2), keyed by the published fragment.
ROSTOV_NAME_FIXES: dict[str, tuple[str, str]] = {
    # published fragment: (replacement, reason)
    "Куйбышевкого района": (
        "Куйбышевского района",
        "misspelt district; the same row's address reads 'Куйбышевский район'",
    ),
}


_ROSTOV_FORMS = (
    # (published legal form, abbreviation), longest first
    (
        "Государственное бюджетное учреждение социального обслуживания населения "
        "Ростовской области",
        "ГБУСОН РО",
    ),
    ("Муниципальное бюджетное учреждение социального обслуживания", "МБУСО"),
    ("Муниципальное бюджетное учреждение", "МБУ"),
    ("Муниципальное автономное учреждение", "МАУ"),
    ("Муниципальное учреждение", "МУ"),
)
_ROSTOV_TYPES = (
    # (published type of centre, abbreviation, kind), longest first
    ("Комплексный центр социального обслуживания населения", "КЦСОН", "КЦСОН"),
    ("Центр социального обслуживания граждан пожилого возраста и инвалидов", "ЦСО", "ЦСО"),
    ("Центр социального обслуживания населения", "ЦСОН", "ЦСО"),
)


def _rostov_kind(name: str) -> str:
    """R7: "КЦСОН" for a Комплексный центр социального обслуживания населения, "ЦСО" for any
    other Центр социального обслуживания (граждан пожилого возраста и инвалидов / населения),
    otherwise "учреждение соцобслуживания"."""
    for published, _abbr, kind in _ROSTOV_TYPES:
        if published in name:
            return kind
    return "учреждение соцобслуживания"


def _rostov_short(name: str) -> str:
    """R7: the legal form and the type of centre abbreviated, everything else kept:
    'Муниципальное бюджетное учреждение Аксайского района «Центр социального обслуживания
    граждан пожилого возраста и инвалидов»' -> 'МБУ Аксайского района «ЦСО»'."""
    short = name
    for published, abbr in _ROSTOV_FORMS:
        if short.startswith(published):
            short = abbr + short[len(published) :]
            break
    for published, abbr, _kind in _ROSTOV_TYPES:
        short = short.replace(published, abbr)
    return short


def _rostov_cells(lines: list[str]) -> list[str]:
    """Cells of appendix 1: a line starting with a tab opens a cell, other lines continue it."""
    cells: list[str] = []
    for line in lines:
        if line.startswith("Начальник отдела"):
            break
        if line.startswith("\t"):
            cells.append(line[1:])
        elif cells:
            cells[-1] += "\n" + line
    return cells


_EMAIL_LABEL = re.compile(r"^(эл\. адрес|E-mail)\s*:\s*", re.IGNORECASE)


def _split_rostov_contacts(cell: str) -> dict[str, str]:
    """R5: address lines, then "тел:" / "факс:" lines, then the e-mail line(s)."""
    address: list[str] = []
    phones: list[str] = []
    emails: list[str] = []
    for raw in cell.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if re.match(r"(тел|факс)\s*:", line):
            if emails:
                raise BuildError(f"phone after e-mail in {cell!r}")
            phones.append(line.rstrip(",").rstrip())
        elif _EMAIL_LABEL.match(line) or emails:
            emails.append(_EMAIL_LABEL.sub("", line).rstrip(",").strip())
        elif phones:
            raise BuildError(f"address after phone in {cell!r}")
        else:
            address.append(line)
    return {
        "address": squash(" ".join(address)).rstrip(","),
        "phones": "\n".join(phones),
        "emails": "\n".join(emails),
    }


def build_rostov(seeds: Path) -> dict[str, Any]:
    lines = read_lines(seeds / SEED_ROSTOV)
    first, last = section(lines, "Приложение № 1", "Приложение № 2")
    body = lines[first:last]
    # The table starts after its column-numbering row "\t1", "\t2", "\t3", "\t4".
    start = next(
        i + 4
        for i in range(len(body) - 3)
        if [body[i + k] for k in range(4)] == ["\t1", "\t2", "\t3", "\t4"]
    )
    cells = _rostov_cells(body[start:])
    if len(cells) % 4:
        raise BuildError(f"appendix 1 of seed 004 has {len(cells)} cells, not 4 per row")
    used_fixes: set[str] = set()
    organisations = []
    for i in range(0, len(cells), 4):
        number, raw_name, contacts, hours = cells[i : i + 4]
        # Rows are numbered "1. " ... "62. " ("31. 4" once); two rows have no number at all.
        if not re.fullmatch(r"(\d+\.)?\s*\d*", number.strip()):
            raise BuildError(f"unexpected row number {number!r}")
        name = squash(raw_name)
        for published, (replacement, _reason) in ROSTOV_NAME_FIXES.items():
            if published in name:
                name = name.replace(published, replacement)
                used_fixes.add(published)
        organisations.append(
            org(
                name=name,
                short_name=_rostov_short(name),
                region=ROSTOV,
                kind=_rostov_kind(name),
                hours="\n".join(p.strip() for p in hours.split("\n") if p.strip()),
                **_split_rostov_contacts(contacts),
            )
        )
    unused = set(ROSTOV_NAME_FIXES) - used_fixes
    if unused:
        raise BuildError(f"rostov overrides not used: {sorted(unused)}")
    return {
        "name": "rostov",
        "title": "Организации социального обслуживания Ростовской области "
        "(административный регламент 2015)",
        "source": f"seed {SEED_ROSTOV}, appendix 1",
        "organisations": organisations,
    }

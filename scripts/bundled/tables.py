"""What every seed reader shares: the table parser, the text rules R1-R4 and the row shape."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probe.directory.sources import COLUMNS

OMSK = "Омская область"
ROSTOV = "Ростовская область"

# The columns of the CSV/XLSX directory import, in its order, for every organisation; a
# protocol row, where a seed has one, comes after them as an extra key.
KEYS: tuple[str, ...] = tuple(column for column in COLUMNS if column != "protocol_row")

# Contacts (phones, e-mail addresses) have no override table: they stay as published and the
# importer reports their defects by one rule everywhere (a Cyrillic look-alike letter in a Latin
# address: omsk-kcson rows 1 and 12, rostov No. 1 "сsovor@yandex.ru"), with its suggestion, for
# an operator to confirm. A contact repaired here would be one nobody published.

# Override tables (KCSON_NAME_FIXES, ROSTOV_NAME_FIXES in their seed's module; omsk-offices needs
# none): every entry names the published text it replaces; the build fails when the published
# text is not found (or an entry is not used), so a changed seed cannot be mis-patched.


class BuildError(RuntimeError):
    """The seed does not have the shape this script expects."""


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def squash(text: str) -> str:
    """R4: collapse runs of white space to one space and strip."""
    return re.sub(r"\s+", " ", text).strip()


def append_fragment(cell: str, fragment: str) -> str:
    """R1: append a page-break continuation fragment to a cell."""
    fragment = fragment.strip()
    if not fragment:
        return cell
    if not cell:
        return fragment
    if cell.rstrip().endswith(fragment):
        # The converter repeated the cell's last line on the new page.
        return cell
    return f"{cell.rstrip()} {fragment}"


HYPHEN_TAILS = ("о", "го", "ого", "ного")


def dehyphenate(text: str) -> str:
    """R2: glue word-ending fragments left by PDF line breaks back onto their word."""
    tails = "|".join(sorted(HYPHEN_TAILS, key=len, reverse=True))
    return re.sub(rf"(?<=[а-яё]) ({tails})(?=[\s\"»,]|$)", r"\1", text)


def apply_fix(text: str, published: str, replacement: str, where: str) -> str:
    if published not in text:
        raise BuildError(f"override for {where}: {published!r} not found in {text!r}")
    return text.replace(published, replacement)


def org(**values: Any) -> dict[str, Any]:
    """One organisation with every key of KEYS (in order), then any extra keys given."""
    org: dict[str, Any] = {key: values.pop(key, "") for key in KEYS}
    org.update(values)
    return org


@dataclass
class Row:
    number: int
    cells: list[str]
    sub_rows: list[list[str]] = field(default_factory=list)


def section(lines: list[str], start: str, end: str | None, after: int = 0) -> tuple[int, int]:
    """Index range [first, last) from the line equal to ``start`` to the line equal to ``end``."""
    try:
        first = next(i for i in range(after, len(lines)) if lines[i].strip() == start)
    except StopIteration as exc:
        raise BuildError(f"line {start!r} not found") from exc
    if end is None:
        return first + 1, len(lines)
    try:
        last = next(i for i in range(first + 1, len(lines)) if lines[i].strip() == end)
    except StopIteration as exc:
        raise BuildError(f"line {end!r} not found after {start!r}") from exc
    return first + 1, last


def numbered_rows(lines: Iterable[str], width: int, *, sub_rows: bool) -> list[Row]:
    """Parse a tab-separated table whose data rows start with their number.

    Lines before the first numbered row (title and header), blank lines and repeated header rows
    (the "1\\t2\\t3..." numbering row, or a row starting with "№ п/п") are skipped. A line whose
    first column is empty continues the previous row: with ``sub_rows`` it is kept as a separate
    sub-row (table 2 lists a second address written to on its own line); otherwise each of its
    cells is appended to the same cell of the row (R1).
    """
    rows: list[Row] = []
    for line in lines:
        if not line.strip() or line.startswith("№") or re.fullmatch(r"1(\t\d+)+", line.strip()):
            continue
        cells = line.split("\t")
        cells += [""] * (width - len(cells))
        head = cells[0].strip()
        if head.isdigit():
            rows.append(Row(int(head), [c.strip() for c in cells[1:width]]))
        elif head == "" and rows:
            if sub_rows:
                rows[-1].sub_rows.append([c.strip() for c in cells[1:width]])
            else:
                row = rows[-1]
                row.cells = [
                    append_fragment(old, new)
                    for old, new in zip(row.cells, cells[1:width], strict=True)
                ]
        elif not rows or line.startswith("*"):
            continue  # title and header lines before the first row, or the footnote
        else:
            raise BuildError(f"unexpected table line: {line[:80]!r}")
    numbers = [r.number for r in rows]
    if numbers != list(range(1, len(rows) + 1)):
        raise BuildError(f"rows are not numbered 1..n: {numbers}")
    return rows

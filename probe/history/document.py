"""Read the text of a manual Protocol No. 6 (seed 000) into its two tables, cell by cell.

The protocol reaches us as tab-separated text converted from an office document: one line per
table row, except that a page break cuts a row in two, so the rest of its cells arrive on a
continuation line whose first cell is empty (the name's last word, the end of the call log).
The column-number row ("1 2 3 ... 16") and the header repeat after every page break.
Nothing here interprets the cells: that is `calllog` and `letters`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MailLine",
    "MailRow",
    "PhoneRow",
    "Protocol6Document",
    "Protocol6FormatError",
    "read_protocol6",
]

PHONE_COLUMNS = 16
MAIL_COLUMNS = 9
_HEADING = "Протокол № 6"
_TABLE_1 = "Таблица 1"
_TABLE_2 = "Таблица 2"
_SPACES = re.compile(r"\s+")


class Protocol6FormatError(ValueError):
    """The file is not a Protocol No. 6 this reader understands; nothing was imported."""


@dataclass
class PhoneRow:
    """Table 1: one organisation, cells joined across page breaks."""

    number: int
    line: int
    cells: list[str]

    @property
    def name(self) -> str:
        return self.cells[1]

    @property
    def published(self) -> str:
        return self.cells[2]

    @property
    def log(self) -> str:
        return self.cells[3]

    @property
    def total(self) -> str:
        return self.cells[4]

    @property
    def connected(self) -> str:
        return self.cells[5]

    @property
    def marks(self) -> list[str]:
        """Columns 7-16 as written ("+" or empty)."""
        return self.cells[6:16]


@dataclass
class MailLine:
    """Table 2: one line of an organisation's row (a second address gets a line of its own)."""

    line: int
    addresses: str
    sent: str
    replied: str
    marks: list[str]


@dataclass
class MailRow:
    number: int
    line: int
    name: str
    lines: list[MailLine] = field(default_factory=list)


@dataclass
class Protocol6Document:
    path: Path
    phone_rows: list[PhoneRow]
    mail_rows: list[MailRow]


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _join(left: str, right: str) -> str:
    return _squash(f"{left} {right}")


def _section(lines: list[str], start: int, end: int) -> list[tuple[int, list[str]]]:
    """Tab-split lines in [start, end) that belong to a table (more than one cell)."""
    rows = []
    for index in range(start, end):
        cells = lines[index].split("\t")
        if len(cells) > 1:
            rows.append((index + 1, cells))
    return rows


def _find(lines: list[str], text: str, start: int, path: Path) -> int:
    for index in range(start, len(lines)):
        if lines[index].strip() == text:
            return index
    raise Protocol6FormatError(f"{path}: no line '{text}' after line {start + 1}")


def _is_column_numbers(cells: list[str]) -> bool:
    return [c.strip() for c in cells] == [str(n) for n in range(1, len(cells) + 1)]


def _row_number(cells: list[str]) -> int | None:
    first = cells[0].strip()
    return int(first) if first.isdigit() else None


def _expect_next(number: int, previous: int, line: int, table: str) -> None:
    if number != previous + 1:
        raise Protocol6FormatError(
            f"line {line}: {table} row {number} follows row {previous} (expected {previous + 1})"
        )


def _read_phone_rows(section: list[tuple[int, list[str]]]) -> list[PhoneRow]:
    rows: list[PhoneRow] = []
    for line, cells in section:
        if _is_column_numbers(cells):
            continue
        if len(cells) != PHONE_COLUMNS:
            raise Protocol6FormatError(
                f"line {line}: table 1 has {PHONE_COLUMNS} columns, this line has {len(cells)}"
            )
        number = _row_number(cells)
        if number is not None:
            _expect_next(number, rows[-1].number if rows else 0, line, "table 1")
            rows.append(PhoneRow(number, line, [_squash(c) for c in cells]))
        elif any(c.strip() for c in cells[6:]) or not rows:
            # Header lines: the column titles (cells 7-16 filled) before the first row.
            if rows:
                raise Protocol6FormatError(
                    f"line {line}: a continuation line of table 1 with marks in columns 7-16"
                )
        else:
            previous = rows[-1]
            previous.cells = [_join(a, b) for a, b in zip(previous.cells, cells, strict=True)]
    return rows


def _mail_line(line: int, cells: list[str]) -> MailLine:
    return MailLine(
        line=line,
        addresses=_squash(cells[2]),
        sent=_squash(cells[3]),
        replied=_squash(cells[4]),
        marks=[_squash(c) for c in cells[5:9]],
    )


def _read_mail_rows(section: list[tuple[int, list[str]]]) -> list[MailRow]:
    rows: list[MailRow] = []
    for line, cells in section:
        if cells[0].strip() == "№ п/п" or not any(c.strip() for c in cells[:5]):
            continue  # the header repeated after a page break, or its second line
        if len(cells) != MAIL_COLUMNS:
            raise Protocol6FormatError(
                f"line {line}: table 2 has {MAIL_COLUMNS} columns, this line has {len(cells)}"
            )
        number = _row_number(cells)
        if number is not None:
            _expect_next(number, rows[-1].number if rows else 0, line, "table 2")
            rows.append(MailRow(number, line, _squash(cells[1])))
        elif not rows:
            raise Protocol6FormatError(f"line {line}: table 2 continues a row that never began")
        rows[-1].lines.append(_mail_line(line, cells))
    return rows


def read_protocol6(path: Path) -> Protocol6Document:
    """Both tables of the Protocol No. 6 in `path`, or Protocol6FormatError saying what is off."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Protocol6FormatError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise Protocol6FormatError(f"{path}: {error.strerror or error}") from None
    lines = text.splitlines()
    heading = _find(lines, _HEADING, 0, path)
    table1 = _find(lines, _TABLE_1, heading, path)
    table2 = _find(lines, _TABLE_2, table1, path)
    phone_rows = _read_phone_rows(_section(lines, table1, table2))
    mail_rows = _read_mail_rows(_section(lines, table2, len(lines)))
    if not phone_rows:
        raise Protocol6FormatError(f"{path}: table 1 has no rows")
    if not mail_rows:
        raise Protocol6FormatError(f"{path}: table 2 has no rows")
    return Protocol6Document(path=path, phone_rows=phone_rows, mail_rows=mail_rows)

"""Read the text of a manual Protocol No. 6 (seed 000) into its two tables, cell by cell.

Protocol No. 5 table 1, when the file has it before Protocol No. 6 (seed 000 does), is read too:
one row per organisation, a yes/no pair per remote channel.

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
    "Protocol5Row",
    "Protocol6Document",
    "Protocol6FormatError",
    "read_protocol6",
]

PHONE_COLUMNS = 16
MAIL_COLUMNS = 9
PROTOCOL5_COLUMNS = 12
_PROTOCOL5 = "Протокол № 5"
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
class Protocol5Row:
    """Protocol No. 5, table 1: one organisation, its name joined across page breaks."""

    number: int
    line: int
    cells: list[str]

    @property
    def name(self) -> str:
        return self.cells[1]

    @property
    def channels(self) -> list[tuple[int, str, str]]:
        """(first column, present, working) for phone, e-mail, web form, FAQ and survey."""
        return [(3 + 2 * i, self.cells[2 + 2 * i], self.cells[3 + 2 * i]) for i in range(5)]


@dataclass
class Protocol6Document:
    path: Path
    phone_rows: list[PhoneRow]
    mail_rows: list[MailRow]
    # Empty when the file has no Protocol No. 5 before Protocol No. 6.
    protocol5_rows: list[Protocol5Row] = field(default_factory=list)


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


def _yes_no_only(values: list[str]) -> bool:
    """Cells that hold only «да»/«нет» (some of them): a data row, never a header line."""
    folded = [v.strip().lower() for v in values]
    return any(folded) and all(v in ("", "да", "нет") for v in folded)


def _read_protocol5_rows(section: list[tuple[int, list[str]]]) -> list[Protocol5Row]:
    rows: list[Protocol5Row] = []
    for line, cells in section:
        if len(cells) != PROTOCOL5_COLUMNS:
            raise Protocol6FormatError(
                f"line {line}: Protocol No. 5 table 1 has {PROTOCOL5_COLUMNS} columns, "
                f"this line has {len(cells)}"
            )
        first, name, values = cells[0].strip(), cells[1].strip(), cells[2:]
        number = _row_number(cells)
        if number is not None:
            _expect_next(number, rows[-1].number if rows else 0, line, "Protocol No. 5 table 1")
            rows.append(Protocol5Row(number, line, [_squash(c) for c in cells]))
        elif first == "№ п/п" or (not first and not name and not _yes_no_only(values)):
            continue  # the header (repeated after each page break) and its second and third line
        elif first or not rows or any(v.strip() for v in values):
            raise Protocol6FormatError(
                f"line {line}: Protocol No. 5 table 1: neither a numbered row nor the rest of "
                "the name of the row before"
            )
        else:
            rows[-1].cells[1] = _join(rows[-1].cells[1], name)
    return rows


def _protocol5(lines: list[str], heading: int, path: Path) -> list[Protocol5Row]:
    """Protocol No. 5 table 1 when the file has it before `heading`, else no rows."""
    start = next((i for i in range(heading) if lines[i].strip() == _PROTOCOL5), None)
    if start is None:
        return []
    table = _find(lines, _TABLE_1, start, path)
    if table > heading:
        raise Protocol6FormatError(f"{path}: '{_PROTOCOL5}' has no '{_TABLE_1}'")
    rows = _read_protocol5_rows(_section(lines, table, heading))
    if not rows:
        raise Protocol6FormatError(f"{path}: Protocol No. 5 table 1 has no rows")
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
    return Protocol6Document(
        path=path,
        phone_rows=phone_rows,
        mail_rows=mail_rows,
        protocol5_rows=_protocol5(lines, heading, path),
    )

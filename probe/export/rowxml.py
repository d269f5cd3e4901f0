"""Rows of a write-only worksheet serialised straight to XML, as openpyxl itself would write them.

openpyxl's write-only mode still makes a cell object and an element tree per cell: about 20 µs a
cell, and an audit sheet of a large campaign has half a million. Here a row is one string, built
from a few f-strings per cell; the sheet around the rows (columns, merges, page setup, print
titles) and the styles are still openpyxl's. Values this module does not serialise itself (floats,
dates, strings openpyxl would truncate or refuse) are handed to openpyxl's own cell writer, so the
file is byte for byte what openpyxl would have written, with one deliberate difference: every
string is written as text, even one openpyxl would take for a formula ("=...") or an error code
("#N/A"). No export writes a formula.

It relies on two details of openpyxl 3.1 writing through et_xmlfile (not lxml): a write-only sheet
writes its rows through a generator it closes on save (`_rows`), and et_xmlfile's writer exposes
its output function (`_file`). `supported()` is false when openpyxl uses lxml; `Sheet` then falls
back to openpyxl's own cells. A newer openpyxl that drops either fails the export loudly (an
AttributeError on the first row), never silently.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, NamedTuple

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_MAX_TEXT = 32767  # openpyxl truncates longer strings
_ILLEGAL = ILLEGAL_CHARACTERS_RE.search


def supported() -> bool:
    return not openpyxl.LXML


def _escape(text: str) -> str:
    # The escaping of xml.etree's text serialiser (which et_xmlfile uses): &, < and > only.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CellStyle(NamedTuple):
    """A cell style and the XML that follows a cell's reference for each kind of value."""

    array: StyleArray | None
    text: str  # then the text, then _TEXT_END
    empty_text: str
    number: str  # then the number, then _NUMBER_END
    blank: str | None  # a styled empty cell; an unstyled one is not written


_TEXT_END = "</t></is></c>"
_NUMBER_END = "</v></c>"


def cell_style(style_id: int | None, array: StyleArray | None) -> CellStyle:
    s = f' s="{style_id}"' if style_id is not None else ""
    return CellStyle(
        array=array,
        text=f'"{s} t="inlineStr"><is><t',
        empty_text=f'"{s} t="inlineStr" />',
        number=f'"{s} t="n"><v>',
        blank=f'"{s} t="n" />' if array is not None else None,
    )


PLAIN = cell_style(None, None)


class RowWriter:
    """Writes rows into a write-only worksheet's sheetData; the sheet's close() ends it."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._letters: list[str] = []
        self._xf: Any = None
        self._write: Any = None
        self._failed = False
        ws._get_writer()
        rows = self._sheet_data()
        next(rows)
        # The sheet closes this generator when the workbook is saved, as it does its own.
        ws._rows = rows

    def _sheet_data(self) -> Generator[None, None, None]:
        writer = self.ws._writer
        assert writer is not None
        xf = writer.xf.send(True)
        self._xf, self._write = xf, xf._file
        with xf.element("sheetData"):
            try:
                while True:
                    yield
            except GeneratorExit:
                if self._failed:
                    raise  # a row failed: the file is abandoned, write nothing more
        writer.xf.send(None)

    def _letters_upto(self, count: int) -> list[str]:
        while len(self._letters) < count:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters

    def write(
        self, row: int, values: Sequence[Any], styles: Sequence[CellStyle], height: float | None
    ) -> None:
        """One row: styles[i] is the style of values[i]; height in points, None for the default."""
        if len(values) != len(styles):
            raise ValueError(f"{len(values)} values, {len(styles)} styles")
        try:
            self._write_row(row, values, styles, height)
        except BaseException:
            self._failed = True
            raise

    def _write_row(
        self, row: int, values: Sequence[Any], styles: Sequence[CellStyle], height: float | None
    ) -> None:
        # The attributes openpyxl writes for a row with a height (RowDimension's ht, customHeight).
        extra = f' ht="{height:.16g}" customHeight="1"' if height else ""
        parts = [f'<row r="{row}"{extra}>']
        # '<c r="B12' for each column: the rest of a cell's XML comes from its CellStyle.
        refs = [f'<c r="{letter}{row}' for letter in self._letters_upto(len(values))]
        for index, value in enumerate(values):
            style = styles[index]
            if value is None:
                if style.blank is not None:
                    parts.append(refs[index] + style.blank)
                continue
            kind = type(value)
            if kind is str:
                if value == "":
                    parts.append(refs[index] + style.empty_text)
                    continue
                # Text is always text: a name that starts with "=" or reads "#N/A" is written
                # as an inline string, never as a formula or an error (see text_cell).
                if len(value) <= _MAX_TEXT and _ILLEGAL(value) is None:
                    if value[0].isspace() or value[-1].isspace():
                        space = ' xml:space="preserve">' if value.strip() else ">"
                    else:
                        space = ">"
                    if "&" in value or "<" in value or ">" in value:
                        value = _escape(value)
                    parts.append(f"{refs[index]}{style.text}{space}{value}{_TEXT_END}")
                    continue
            elif kind is int:
                parts.append(f"{refs[index]}{style.number}{value:.16g}{_NUMBER_END}")
                continue
            # Anything else is openpyxl's to write (or to refuse), between our cells.
            self._write("".join(parts))
            parts = []
            self._openpyxl_cell(row, index + 1, value, style.array)
        parts.append("</row>")
        self._write("".join(parts))

    def _openpyxl_cell(self, row: int, column: int, value: Any, array: StyleArray | None) -> None:
        cell = text_cell(self.ws, value, array)
        cell.row, cell.column = row, column
        write_cell(self._xf, self.ws, cell, cell.has_style)


def text_cell(ws: WriteOnlyWorksheet, value: Any, array: StyleArray | None) -> WriteOnlyCell:
    """openpyxl's cell for `value`, a string always typed as a string.

    openpyxl types a string that starts with "=" as a formula and one that reads like an error
    code ("#N/A") as an error. Names, notes and contacts come from directories and websites
    (untrusted): written as formulas they would run in whoever opens the protocol.
    """
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if array is not None:
        cell._style = StyleArray(array)
    return cell

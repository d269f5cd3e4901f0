"""A write-only worksheet with the few styles a protocol table needs, and merged headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from probe.export import ExportError, rowxml
from probe.export.rowxml import PLAIN, CellStyle, RowWriter, cell_style

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
STYLES = (
    NamedStyle(
        name="protocol_title",
        font=Font(name="DejaVu Sans", bold=True, size=11),
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    ),
    NamedStyle(
        name="protocol_header",
        font=Font(name="DejaVu Sans", bold=True, size=8),
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        border=_BOX,
    ),
    NamedStyle(
        name="protocol_cell",
        font=Font(name="DejaVu Sans", size=8),
        alignment=Alignment(vertical="top", wrap_text=True),
        border=_BOX,
    ),
    NamedStyle(
        name="protocol_mark",
        font=Font(name="DejaVu Sans", size=8),
        alignment=Alignment(horizontal="center", vertical="top"),
        border=_BOX,
    ),
    NamedStyle(name="protocol_text", font=Font(name="DejaVu Sans", size=9)),
)


# Characters of an 8-point font per unit of column width, and points per wrapped line.
_CHARS_PER_WIDTH = 1.35
_WRAPPED = {"protocol_cell": 10.5, "protocol_header": 10.5}


def register_styles(workbook: Workbook) -> None:
    for style in STYLES:
        workbook.add_named_style(style)


def _illegal(title: str, row: int, values: Sequence[Any]) -> str:
    """Which text XLSX cannot hold, and where: XML has no place for most control characters."""
    for value in values:
        found = ILLEGAL_CHARACTERS_RE.search(value) if isinstance(value, str) else None
        if found:
            return (
                f"XLSX cannot hold the control character U+{ord(found.group()):04X} in "
                f"{value!r} (sheet «{title}», row {row}); correct the source (the directory) "
                "or export as csv or json"
            )
    return f"XLSX cannot hold a control character in sheet «{title}», row {row}"


class Sheet:
    """Rows go out as they are appended; merges and column widths are declared up front."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        self.width = len(widths)
        self.widths = list(widths)
        self._per_line = [max(1, int(width * _CHARS_PER_WIDTH)) for width in widths]
        self._styles: dict[str, CellStyle] = {}
        self._rows: RowWriter | None = None
        self.row = 0
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True

    def _style(self, name: str | None) -> CellStyle:
        # Resolved once per sheet, when first written: the workbook numbers cell styles in the
        # order cells use them, as it did when every cell carried its named style.
        if name is None:
            return PLAIN
        resolved = self._styles.get(name)
        if resolved is None:
            cell = WriteOnlyCell(self.ws)
            cell.style = name
            resolved = self._styles[name] = cell_style(cell.style_id, cell._style)
        return resolved

    def _height(self, values: Sequence[Any], points_per_line: float) -> float | None:
        # Spreadsheet programs do not grow a row for wrapped text they did not lay out
        # themselves, so the height is estimated from the longest cell.
        lines = 1
        for value, per_line in zip(values, self._per_line, strict=False):
            if isinstance(value, str) and value:
                if "\n" in value:
                    wrapped = sum(1 + len(part) // per_line for part in value.split("\n"))
                else:
                    wrapped = 1 + len(value) // per_line
                if wrapped > lines:
                    lines = wrapped
        return lines * points_per_line + 2 if lines > 1 else None

    def _write(self, values: Sequence[Any], styles: list[CellStyle], height: float | None) -> int:
        self.row += 1
        try:
            return self._write_row(values, styles, height)
        except IllegalCharacterError:
            raise ExportError(_illegal(self.ws.title, self.row, values)) from None

    def _write_row(
        self, values: Sequence[Any], styles: list[CellStyle], height: float | None
    ) -> int:
        if not rowxml.supported():
            if height is not None:
                self.ws.row_dimensions[self.row].height = height
            self.ws.append([self._cell(v, s) for v, s in zip(values, styles, strict=True)])
            return self.row
        if self._rows is None:
            self._rows = RowWriter(self.ws)
        self._rows.write(self.row, values, styles, height)
        return self.row

    def _cell(self, value: Any, style: CellStyle) -> Any:
        """openpyxl's own cell, where rows cannot be serialised directly (rowxml.supported)."""
        if style.array is None and not isinstance(value, str):
            return value
        return rowxml.text_cell(self.ws, value, style.array)

    def append(self, values: Sequence[Any], style: str | None = None) -> int:
        points = _WRAPPED.get(style or "")
        height = self._height(values, points) if points else None
        return self._write(values, [self._style(style)] * len(values), height)

    def append_styled(self, values: Sequence[tuple[Any, str]]) -> int:
        plain = [v for v, _ in values]
        height = self._height(plain, _WRAPPED["protocol_cell"])
        return self._write(plain, [self._style(s) for _, s in values], height)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if (first_row, first_col) == (last_row, last_col):
            return
        self.ws.merged_cells.add(
            f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"
        )

    def title(self, text: str) -> None:
        row = self.append([text] + [None] * (self.width - 1), "protocol_title")
        self.merge(row, 1, row, self.width)

    def text(self, text: str) -> None:
        self.append([text], "protocol_text")

    def repeat_header(self, first_row: int, last_row: int) -> None:
        self.ws.print_title_rows = f"{first_row}:{last_row}"

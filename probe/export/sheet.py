"""A write-only worksheet with the few styles a protocol table needs, and merged headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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


class Sheet:
    """Rows go out as they are appended; merges and column widths are declared up front."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        self.width = len(widths)
        self.widths = list(widths)
        self._styles: dict[str, Any] = {}
        self.row = 0
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = "9"  # A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True

    def _cell(self, value: Any, style: str | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        if style:
            # Looking a named style up for every cell costs three times the rest of the cell;
            # the resolved style array is the same for every cell of that style.
            resolved = self._styles.get(style)
            if resolved is None:
                cell.style = style
                self._styles[style] = cell._style
            else:
                cell._style = resolved
        return cell

    def _fit_height(self, values: Sequence[Any], points_per_line: float) -> None:
        # Spreadsheet programs do not grow a row for wrapped text they did not lay out
        # themselves, so the height is estimated from the longest cell.
        lines = 1
        for value, width in zip(values, self.widths, strict=False):
            if isinstance(value, str) and value:
                per_line = max(1, int(width * _CHARS_PER_WIDTH))
                wrapped = sum(1 + len(part) // per_line for part in value.split("\n"))
                lines = max(lines, wrapped)
        if lines > 1:
            self.ws.row_dimensions[self.row + 1].height = lines * points_per_line + 2

    def append(self, values: Sequence[Any], style: str | None = None) -> int:
        if style in _WRAPPED:
            self._fit_height(values, _WRAPPED[style])
        self.row += 1
        self.ws.append([self._cell(v, style) for v in values] if style else list(values))
        return self.row

    def append_styled(self, values: Sequence[tuple[Any, str]]) -> int:
        self._fit_height([v for v, _ in values], _WRAPPED["protocol_cell"])
        self.row += 1
        self.ws.append([self._cell(v, s) for v, s in values])
        return self.row

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

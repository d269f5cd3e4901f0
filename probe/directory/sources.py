"""Reading directory files (CSV, XLSX, YAML) into raw rows, without interpreting them.

Rows are numbered as a person sees them: in CSV and XLSX the header is row 1 and the first
organisation is row 2 (a CSV record spanning several lines takes the number of its first line);
in YAML the first organisation is row 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from probe.directory.reasons import Reason, because

COLUMNS = (
    "name",
    "short_name",
    "region",
    "kind",
    "address",
    "website",
    "phones",
    "emails",
    "hours",
    "timezone",
    "area_code",
    "protocol_row",
)
REQUIRED_COLUMNS = ("name",)
# Headers as a ministry's own spreadsheet may have them.
HEADER_ALIASES = {
    "наименование": "name",
    "название": "name",
    "полное наименование": "name",
    "краткое наименование": "short_name",
    "сокращенное наименование": "short_name",
    "регион": "region",
    "субъект": "region",
    "тип": "kind",
    "вид": "kind",
    "адрес": "address",
    "сайт": "website",
    "телефон": "phones",
    "телефоны": "phones",
    "e-mail": "emails",
    "email": "emails",
    "электронная почта": "emails",
    "режим работы": "hours",
    "график работы": "hours",
    "часовой пояс": "timezone",
    "код города": "area_code",
}


class DirectoryFileError(ValueError):
    """The file as a whole cannot be read (missing column, not a table): nothing is imported."""

    def __init__(self, why: Reason) -> None:
        super().__init__(str(why))
        self.why = why


@dataclass(frozen=True)
class RowProblem:
    file: str
    row: int | None
    field: str | None
    why: Reason
    severity: str = "error"  # "error": the row is rejected; "warning": imported, flagged

    @property
    def reason(self) -> str:
        """The English text (the CLI's report)."""
        return str(self.why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "code": self.why.code,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" if self.row is not None else self.file
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.reason}"


@dataclass
class RawRow:
    file: str
    row: int
    fields: dict[str, str]


@dataclass
class SourceFile:
    name: str
    rows: list[RawRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    encoding: str = "utf-8"


def read_directory_file(path: Path, *, display_name: str | None = None) -> SourceFile:
    name = display_name or path.name
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return read_csv(path.read_bytes(), name=name)
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx(path, name=name)
    if suffix in {".yaml", ".yml"}:
        return read_yaml(path.read_text(encoding="utf-8"), name=name)
    raise DirectoryFileError(because("unsupported_type", name=name, suffix=suffix))


def _header_key(header: str) -> str:
    folded = " ".join(str(header or "").strip().lower().replace("ё", "е").split())
    return HEADER_ALIASES.get(folded, folded)


def _check_header(name: str, header: list[str]) -> list[str]:
    keys = [_header_key(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        raise DirectoryFileError(
            because("missing_columns", name=name, missing=tuple(missing), header=tuple(header))
        )
    return keys


def _decode_lines(data: bytes) -> tuple[str, str, set[int]]:
    """Decode as UTF-8, or as cp1251 when the whole file is cp1251.

    A file that is UTF-8 except for some lines (rows pasted from another file) keeps its UTF-8
    lines; the line numbers (1-based) of the others are returned so their rows are rejected
    rather than imported as mojibake.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", set()
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad: set[int] = set()
    utf8_non_ascii = 0
    for number, line in enumerate(lines, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(number)
        else:
            utf8_non_ascii += any(b > 127 for b in line)
    if utf8_non_ascii == 0:
        return data.decode("cp1251"), "cp1251", set()
    text = "\n".join(
        line.decode("cp1251") if n in bad else line.decode("utf-8")
        for n, line in enumerate(lines, start=1)
    )
    return text, "utf-8 (mixed)", bad


_SEPARATORS = ",;\t"


def _separator(header_line: str) -> str:
    """The separator of the header line: comma, semicolon or tab.

    Only the separator is sniffed. A header line holds no doubled quotes, so a sniffer asked for
    the whole dialect guesses `doublequote=False` and splits at its comma an Excel cell that
    doubles its quotes (a name holding quotes and a comma: issue 14).
    """
    try:
        return csv.Sniffer().sniff(header_line, delimiters=_SEPARATORS).delimiter
    except csv.Error:
        counts = {sep: header_line.count(sep) for sep in _SEPARATORS}
        best = max(counts, key=lambda sep: counts[sep])
        return best if counts[best] else ","


def read_csv(data: bytes, *, name: str) -> SourceFile:
    text, encoding, bad_lines = _decode_lines(data)
    source = SourceFile(name=name, encoding=encoding)
    separator = _separator(text.split("\n", 1)[0])
    # The standard (Excel) dialect, doubled quotes included: only the separator varies.
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=separator)
    header = next(reader, None)
    if header is None:
        raise DirectoryFileError(because("file_empty", name=name))
    keys = _check_header(name, header)
    start = reader.line_num + 1
    for values in reader:
        end = reader.line_num
        row_lines = set(range(start, end + 1))
        row_number, start = start, end + 1
        if not any(v.strip() for v in values):
            continue
        if row_lines & bad_lines:
            source.problems.append(RowProblem(name, row_number, None, because("not_utf8")))
            continue
        if len(values) > len(keys):
            source.problems.append(
                RowProblem(
                    name,
                    row_number,
                    None,
                    because("too_many_cells", cells=len(values), columns=len(keys)),
                )
            )
            continue
        fields = {k: (v or "").strip() for k, v in zip(keys, values, strict=False)}
        source.rows.append(RawRow(name, row_number, fields))
    return source


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(path: Path, *, name: str) -> SourceFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several unrelated types for a broken file
        raise DirectoryFileError(because("not_xlsx", name=name, detail=str(error))) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DirectoryFileError(because("sheet_empty", name=name))
        keys = _check_header(name, [_cell_text(h) for h in header])
        source = SourceFile(name=name, encoding="xlsx")
        for number, values in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in values]
            if not any(cells):
                continue
            fields = {k: v for k, v in zip(keys, cells, strict=False) if k}
            source.rows.append(RawRow(name, number, fields))
        return source
    finally:
        workbook.close()


def read_yaml(text: str, *, name: str) -> SourceFile:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DirectoryFileError(because("not_yaml", name=name, detail=str(error))) from error
    items = document.get("organisations") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise DirectoryFileError(because("no_list", name=name))
    source = SourceFile(name=name)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            source.problems.append(RowProblem(name, number, None, because("not_a_mapping")))
            continue
        fields = {_header_key(k): _cell_text(v) for k, v in item.items()}
        source.rows.append(RawRow(name, number, fields))
    return source

#!/usr/bin/env python3
"""Build the bundled organisation directories from the source documents (the seeds).

    python scripts/build_bundled.py [--seeds DIR] [--out DIR] [--check]

Writes three YAML files into probe/data/directories/ (or --out):

* ``omsk-kcson.yaml``   - the 38 Omsk КЦСОН of seed 000, Protocol No. 6 tables 1 and 2;
* ``omsk-offices.yaml`` - the 34 rows of seed 001, appendix 1 (the ministry and its offices);
* ``rostov.yaml``       - the organisations of seed 004, appendix 1.

``--check`` writes nothing: it exits 1 with a diff summary when the files on disk differ from
what would be generated.

The seeds are plain text converted from office files (see ../shared/seeds/README.md). Tables come
as tab-separated rows; a page break repeats the header row and continues the broken row on the
next lines with an empty first column. All repairs of converter artefacts are the *rules* below
(each a small function, documented where it is defined) or the explicit, commented *override
tables* right below this docstring. The YAML files hold no hand-edited data.

Rules, in short (details at each function):

R1  page-break continuation: a fragment that continues a cell on the next page is appended to the
    cell with one space (the converter renders every in-cell line break as a space too); a
    fragment equal to the text the cell already ends with is dropped (the converter repeated the
    cell's last line on the new page: omsk-kcson row 37, 'района"').
R2  de-hyphenation of names (omsk-kcson table 1): the PDF line break inside a word survives as a
    space ("Большереченск ого", "административ ного", "Исилькульског о", "Шербакульско го").
    A lower-case fragment "о", "го", "ого" or "ного" is glued to the preceding Cyrillic word.
    Checked against table 2 of the same protocol, which has the same names without the breaks.
R3  the drafting device "(далее – БУ КЦСОН) " is not part of a name and is removed.
R4  names and addresses: runs of white space (justified-layout padding) become one space.
    Phones, e-mails and hours are kept verbatim (only leading/trailing blanks are stripped).
R5  omsk-offices and rostov contacts: the contact cell is split into address / phones / website /
    e-mails at its field separators; the separating comma at the end of a field is dropped.
    Rostov phone lines keep their "тел:" / "факс:" labels so that fax numbers can be told apart;
    the e-mail label ("эл. адрес:", "E-mail:") is dropped.
R6  area code of a phone cell that holds only local numbers (omsk-kcson row 19): taken from the
    numbers actually dialled in that organisation's call log (table 1, column 4).
R7  kind and short name are derived from the full name (see ``_rostov_kind``, ``_rostov_short``,
    ``_kcson_short``, ``_office_short``).
R8  omsk-offices: the appendix writes "Министерство" for "Министерство труда и социального
    развития Омской области" (defined in the header of its column 3); the full name spells it
    out, the short name keeps the published form. The ministry row gets kind "министерство".
R9  omsk-offices hours: the appendix has no per-office hours; every row gets the verbatim text of
    item 4 of the regulation ("График работы Министерства, территориальных органов").

YAML style: keys in the order of KEYS; one-line values single-quoted, values with line breaks
double-quoted with "\\n" escapes (so every field is one line and diffs stay small).

Left verbatim on purpose (doubtful; an operator has to confirm the real value):
* omsk-kcson row 1 e-mail "vдох_omsk@mail.ru" (Cyrillic "дох"; the Latin spelling is a guess);
* omsk-kcson row 12 second e-mail "isilkul_kcson@mtsр.omsportal.ru" (Cyrillic "р");
* rostov No. 1 e-mail "сsovor@yandex.ru" (a Cyrillic "с" first: probably "csovor", ЦСО
  Ворошиловского района like its neighbours' addresses; reported like the two above);
* omsk-kcson row 3 phone cell "(3812) 32-49-46 –" (trailing dash as published);
* omsk-offices row 6 e-mail "gorkov tu@omskmintrud.ru" (a space, probably a hidden "_");
* rostov No. 57 e-mail "a-z 1715@yandex.ru" (a space), the unnumbered Шолоховский row
  "cso-veshki.donpac.ru" (no "@"), No. 37 hours (only the lunch break is given: the importer
  keeps it with the Rostov ministry's days and hours), No. 45 phones and fax (identical to
  No. 38, Красносулинский, area code 86367: the importer holds them for both until an operator
  confirms).
* rostov: appendix 1 numbers its rows 1..62, but two rows carry no number (Кировский район of
  Rostov-on-Don after No. 2, Шолоховский район after No. 62): all 64 organisations are kept.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS = REPO_ROOT.parent / "shared" / "seeds"
DEFAULT_OUT = REPO_ROOT / "probe" / "data" / "directories"

SEED_KCSON = "000_4f0d44af83f0814c.txt"
SEED_OFFICES = "001_aa92297b72ad0e75.txt"
SEED_ROSTOV = "004_93b3f2c76496437c.txt"

OMSK = "Омская область"
ROSTOV = "Ростовская область"

# The columns of the CSV/XLSX directory import, in this order, for every organisation.
KEYS: tuple[str, ...] = (
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
)

# ---------------------------------------------------------------------------------------------
# Override tables. Every entry names the published text it replaces; the build fails when the
# published text is not found (or an entry is not used), so a changed seed cannot be mis-patched.
# ---------------------------------------------------------------------------------------------

# omsk-kcson, names (Protocol No. 6 table 1, column 2), keyed by protocol row.
KCSON_NAME_FIXES: dict[int, tuple[str, str, str]] = {
    # row: (published fragment, replacement, reason)
    21: (
        "Назьявевского",
        "Называевского",
        "misspelt district; table 2 row 21 and seed 001 ('по Называевскому району') agree",
    ),
    22: (
        "Нижеомского",
        "Нижнеомского",
        "misspelt district; table 2 row 22 and seed 001 ('по Нижнеомскому району') agree",
    ),
}

# rostov, names (appendix 1, column 2), keyed by the published fragment.
ROSTOV_NAME_FIXES: dict[str, tuple[str, str]] = {
    # published fragment: (replacement, reason)
    "Куйбышевкого района": (
        "Куйбышевского района",
        "misspelt district; the same row's address reads 'Куйбышевский район'",
    ),
}

# Contacts (phones, e-mail addresses) have no override table: they stay as published and the
# importer reports their defects by one rule everywhere (a Cyrillic look-alike letter in a Latin
# address: omsk-kcson rows 1 and 12, rostov No. 1 "сsovor@yandex.ru"), with its suggestion, for
# an operator to confirm. A contact repaired here would be one nobody published.

# omsk-offices and omsk-kcson names: none needed.


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


class BuildError(RuntimeError):
    """The seed does not have the shape this script expects."""


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _squash(text: str) -> str:
    """R4: collapse runs of white space to one space and strip."""
    return re.sub(r"\s+", " ", text).strip()


def _append_fragment(cell: str, fragment: str) -> str:
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


_HYPHEN_TAILS = ("о", "го", "ого", "ного")


def _dehyphenate(text: str) -> str:
    """R2: glue word-ending fragments left by PDF line breaks back onto their word."""
    tails = "|".join(sorted(_HYPHEN_TAILS, key=len, reverse=True))
    return re.sub(rf"(?<=[а-яё]) ({tails})(?=[\s\"»,]|$)", r"\1", text)


def _apply_fix(text: str, published: str, replacement: str, where: str) -> str:
    if published not in text:
        raise BuildError(f"override for {where}: {published!r} not found in {text!r}")
    return text.replace(published, replacement)


def _org(**values: Any) -> dict[str, Any]:
    """One organisation with every key of KEYS (in order), then any extra keys given."""
    org: dict[str, Any] = {key: values.pop(key, "") for key in KEYS}
    org.update(values)
    return org


# ---------------------------------------------------------------------------------------------
# Seed 000: Omsk КЦСОН, Protocol No. 6
# ---------------------------------------------------------------------------------------------

_TABLE1_HEADER = "\t".join(str(n) for n in range(1, 17))


@dataclass
class _Row:
    number: int
    cells: list[str]
    sub_rows: list[list[str]] = field(default_factory=list)


def _section(lines: list[str], start: str, end: str | None, after: int = 0) -> tuple[int, int]:
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


def _numbered_rows(lines: Iterable[str], width: int, *, sub_rows: bool) -> list[_Row]:
    """Parse a tab-separated table whose data rows start with their number.

    Lines before the first numbered row (title and header), blank lines and repeated header rows
    (the "1\\t2\\t3..." numbering row, or a row starting with "№ п/п") are skipped. A line whose
    first column is empty continues the previous row: with ``sub_rows`` it is kept as a separate
    sub-row (table 2 lists a second address written to on its own line); otherwise each of its
    cells is appended to the same cell of the row (R1).
    """
    rows: list[_Row] = []
    for line in lines:
        if not line.strip() or line.startswith("№") or re.fullmatch(r"1(\t\d+)+", line.strip()):
            continue
        cells = line.split("\t")
        cells += [""] * (width - len(cells))
        head = cells[0].strip()
        if head.isdigit():
            rows.append(_Row(int(head), [c.strip() for c in cells[1:width]]))
        elif head == "" and rows:
            if sub_rows:
                rows[-1].sub_rows.append([c.strip() for c in cells[1:width]])
            else:
                row = rows[-1]
                row.cells = [
                    _append_fragment(old, new)
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


_KCSON_FULL = "Комплексный центр социального обслуживания населения"
_KCSON_FORMS = {
    "Бюджетное учреждение Омской области": "БУ",
    "Автономное учреждение Омской области": "АУ",
    "БУ": "БУ",
}


def _kcson_name(row: int, raw: str) -> str:
    name = _dehyphenate(_squash(raw))
    # R3: "(далее – БУ КЦСОН) " defines an abbreviation for the rest of the document.
    name = re.sub(r"\s*\(далее\s*[–-][^)]*\)", "", name)
    if row in KCSON_NAME_FIXES:
        published, replacement, _reason = KCSON_NAME_FIXES[row]
        name = _apply_fix(name, published, replacement, f"omsk-kcson row {row}")
    return name


def _kcson_short(name: str) -> str:
    """R7: legal form abbreviated (БУ/АУ), 'КЦСОН', and the centre's own name if it has one.

    'Бюджетное учреждение Омской области "Комплексный центр ... населения "Вдохновение" ...'
    -> 'БУ "КЦСОН "Вдохновение"'; 'БУ "КЦСОН Горьковского района"' stays as it is.
    """
    form = next((f for f in _KCSON_FORMS if name.startswith(f + " ")), None)
    if form is None:
        raise BuildError(f"unknown legal form: {name!r}")
    short_form = _KCSON_FORMS[form]
    rest = name[len(form) + 1 :].replace(_KCSON_FULL, "КЦСОН")
    own = re.match(r'"КЦСОН "([^"]+)"', rest)
    if own:
        return f'{short_form} "КЦСОН "{own.group(1)}"'
    return f"{short_form} {rest}"


_PHONE_RE = re.compile(r"[+\d][\d\s()\-–]*\d")


def _derive_area_code(phones: str, call_log: str) -> str:
    """R6: the area code of a phone cell that lists only local numbers, or "".

    A cell is "local only" when none of its comma/semicolon-separated numbers has more than
    7 digits. The area code is then read from the numbers dialled in the call log (table 1,
    column 4) that end with one of the local numbers: the 10-digit national number minus the
    local part. All such numbers must agree.
    """
    items = [re.sub(r"\D", "", item) for item in re.split(r"[,;]", phones)]
    items = [item for item in items if item]
    if not items or any(len(item) > 7 for item in items):
        return ""
    codes: set[str] = set()
    for match in _PHONE_RE.finditer(call_log):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 11 and digits[0] in "78":
            digits = digits[1:]
        if len(digits) != 10:
            continue
        for local in items:
            if digits.endswith(local):
                codes.add(digits[: 10 - len(local)])
    if len(codes) != 1:
        raise BuildError(f"cannot derive the area code of {phones!r} from {call_log!r}")
    return codes.pop()


def build_kcson(seeds: Path) -> dict[str, Any]:
    lines = _read_lines(seeds / SEED_KCSON)
    p6_first, _ = _section(lines, "Протокол № 6", None)
    t1_first, t1_last = _section(lines, "Таблица 1", "Таблица 2", after=p6_first)
    t2_first, t2_last = _section(lines, "Таблица 2", None, after=t1_last - 1)
    table1 = _numbered_rows(
        (line for line in lines[t1_first:t1_last] if line.rstrip() != _TABLE1_HEADER),
        width=16,
        sub_rows=False,
    )
    table2 = _numbered_rows(lines[t2_first:t2_last], width=9, sub_rows=True)
    if len(table1) != 38 or len(table2) != 38:
        raise BuildError(f"expected 38 rows in both tables, got {len(table1)}, {len(table2)}")

    organisations = []
    for row1, row2 in zip(table1, table2, strict=True):
        name = _kcson_name(row1.number, row1.cells[0])
        phones = row1.cells[1]  # column 3, verbatim (fragments joined by R1)
        # Column 3 of table 2 and of each following sub-row: every address written to, the
        # primary first, in the order the protocol lists them; one address line per line.
        emails = "\n".join(c for c in [row2.cells[1]] + [s[1] for s in row2.sub_rows] if c)
        # Row 19 publishes "2-15-53, 2-16-34, 2-24-89" without an area code; its call log
        # (column 4) dialled "8-38- 174-2-15-53", so the area code is 38174 (R6).
        area_code = _derive_area_code(phones, row1.cells[2])
        organisations.append(
            _org(
                name=name,
                short_name=_kcson_short(name),
                region=OMSK,
                kind="КЦСОН",
                phones=phones,
                emails=emails,
                area_code=area_code,
                protocol_row=row1.number,
            )
        )
    return {
        "name": "omsk-kcson",
        "title": "Комплексные центры социального обслуживания населения Омской области "
        "(протокол 2020)",
        "source": f"seed {SEED_KCSON}, Protocol No. 6 tables 1 and 2",
        "organisations": organisations,
    }


# ---------------------------------------------------------------------------------------------
# Seed 001: Omsk ministry and its territorial offices, appendix 1
# ---------------------------------------------------------------------------------------------

_MINISTRY_SHORT = "Министерство"
_MINISTRY_FULL = "Министерство труда и социального развития Омской области"
_MINISTRY_FULL_GEN = "Министерства труда и социального развития Омской области"


def _office_hours(lines: list[str]) -> str:
    """R9: the paragraphs of item 4 of the regulation, verbatim, one per line."""
    first, _ = _section(lines, "4. График работы Министерства, территориальных органов:", None)
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
    text = _squash(cell)
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
    lines = _read_lines(seeds / SEED_OFFICES)
    hours = _office_hours(lines)
    first, last = _section(lines, "Приложение № 1", "Приложение № 2")
    table = [
        line
        for line in lines[first:last]
        if re.match(r"\d+\t|\t", line) and line.strip() != "1\t2\t3"
    ]
    rows = _numbered_rows(table, width=3, sub_rows=False)
    if len(rows) != 34:
        raise BuildError(f"expected 34 rows in seed 001 appendix 1, got {len(rows)}")
    organisations = []
    for row in rows:
        short = _squash(row.cells[0])
        contacts = _split_office_contacts(row.cells[1])
        organisations.append(
            _org(
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


# ---------------------------------------------------------------------------------------------
# Seed 004: Rostov organisations, appendix 1
# ---------------------------------------------------------------------------------------------

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
        "address": _squash(" ".join(address)).rstrip(","),
        "phones": "\n".join(phones),
        "emails": "\n".join(emails),
    }


def build_rostov(seeds: Path) -> dict[str, Any]:
    lines = _read_lines(seeds / SEED_ROSTOV)
    first, last = _section(lines, "Приложение № 1", "Приложение № 2")
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
        name = _squash(raw_name)
        for published, (replacement, _reason) in ROSTOV_NAME_FIXES.items():
            if published in name:
                name = name.replace(published, replacement)
                used_fixes.add(published)
        organisations.append(
            _org(
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


# ---------------------------------------------------------------------------------------------
# YAML output
# ---------------------------------------------------------------------------------------------


class _Quoted(str):
    """A string value, always quoted (keys stay plain).

    One-line values are single-quoted (the names are full of double quotes); values with line
    breaks are double-quoted with "\\n" escapes, so that every field stays on one line.
    """


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key ("organisations:\n  - name: ...")."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.Node:
    style = '"' if "\n" in value else "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


_Dumper.add_representer(_Quoted, _represent_quoted)


def _quote_values(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _quote_values(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_quote_values(value) for value in data]
    if isinstance(data, str):
        return _Quoted(data)
    return data


def render(directory: dict[str, Any], seed_file: str) -> str:
    header = (
        f"# Generated by scripts/build_bundled.py from ../shared/seeds/{seed_file}; "
        "do not edit by hand.\n"
    )
    body = yaml.dump(
        _quote_values(directory),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10**6,
        indent=2,
    )
    return header + body


BUILDERS: tuple[tuple[str, str, Callable[[Path], dict[str, Any]]], ...] = (
    ("omsk-kcson", SEED_KCSON, build_kcson),
    ("omsk-offices", SEED_OFFICES, build_offices),
    ("rostov", SEED_ROSTOV, build_rostov),
)


def generate(seeds: Path) -> Iterator[tuple[str, str]]:
    """(file name, YAML text) of every bundled directory."""
    for name, seed_file, builder in BUILDERS:
        yield f"{name}.yaml", render(builder(seeds), seed_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seed documents")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the files on disk are out of date"
    )
    args = parser.parse_args(argv)
    if not args.seeds.is_dir():
        print(f"seeds directory not found: {args.seeds}", file=sys.stderr)
        return 2
    try:
        generated = list(generate(args.seeds))
    except BuildError as exc:
        print(f"cannot build the bundled directories: {exc}", file=sys.stderr)
        return 2

    stale = 0
    for file_name, text in generated:
        path = args.out / file_name
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale += 1
            if current is None:
                print(f"{path}: missing")
                continue
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    f"{file_name} (on disk)",
                    f"{file_name} (generated)",
                    lineterm="",
                )
            )
            changed = sum(1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---"))
            print(f"{path}: out of date ({changed} changed lines)")
            for line in diff[:40]:
                print(f"    {line}")
            if len(diff) > 40:
                print(f"    ... {len(diff) - 40} more diff lines")
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"{stale} bundled directory file(s) out of date; run scripts/build_bundled.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

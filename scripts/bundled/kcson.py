"""Seed 000: the 38 Omsk КЦСОН of Protocol No. 6 (tables 1 and 2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .tables import (
    OMSK,
    BuildError,
    apply_fix,
    dehyphenate,
    numbered_rows,
    org,
    read_lines,
    section,
    squash,
)

SEED_KCSON = "000_4f0d44af83f0814c.txt"

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

_TABLE1_HEADER = "\t".join(str(n) for n in range(1, 17))

_KCSON_FULL = "Комплексный центр социального обслуживания населения"
_KCSON_FORMS = {
    "Бюджетное учреждение Омской области": "БУ",
    "Автономное учреждение Омской области": "АУ",
    "БУ": "БУ",
}


def _kcson_name(row: int, raw: str) -> str:
    name = dehyphenate(squash(raw))
    # R3: "(далее – БУ КЦСОН) " defines an abbreviation for the rest of the document.
    name = re.sub(r"\s*\(далее\s*[–-][^)]*\)", "", name)
    if row in KCSON_NAME_FIXES:
        published, replacement, _reason = KCSON_NAME_FIXES[row]
        name = apply_fix(name, published, replacement, f"omsk-kcson row {row}")
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
    lines = read_lines(seeds / SEED_KCSON)
    p6_first, _ = section(lines, "Протокол № 6", None)
    t1_first, t1_last = section(lines, "Таблица 1", "Таблица 2", after=p6_first)
    t2_first, t2_last = section(lines, "Таблица 2", None, after=t1_last - 1)
    table1 = numbered_rows(
        (line for line in lines[t1_first:t1_last] if line.rstrip() != _TABLE1_HEADER),
        width=16,
        sub_rows=False,
    )
    table2 = numbered_rows(lines[t2_first:t2_last], width=9, sub_rows=True)
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
            org(
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

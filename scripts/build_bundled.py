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
tables* of each seed's reader (scripts/bundled/, one module per seed). The YAML files hold no
hand-edited data.

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
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from scripts.bundled.kcson import SEED_KCSON, build_kcson  # noqa: E402
from scripts.bundled.offices import SEED_OFFICES, build_offices  # noqa: E402
from scripts.bundled.rostov import SEED_ROSTOV, build_rostov  # noqa: E402
from scripts.bundled.tables import BuildError  # noqa: E402

DEFAULT_SEEDS = REPO_ROOT.parent / "shared" / "seeds"
DEFAULT_OUT = REPO_ROOT / "probe" / "data" / "directories"

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
            _print_diff(path, current, text)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"{stale} bundled directory file(s) out of date; run scripts/build_bundled.py")
        return 1
    return 0


def _print_diff(path: Path, current: str, text: str) -> None:
    """The first lines of what regenerating `path` would change."""
    diff = list(
        difflib.unified_diff(
            current.splitlines(),
            text.splitlines(),
            f"{path.name} (on disk)",
            f"{path.name} (generated)",
            lineterm="",
        )
    )
    changed = sum(1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---"))
    print(f"{path}: out of date ({changed} changed lines)")
    for line in diff[:40]:
        print(f"    {line}")
    if len(diff) > 40:
        print(f"    ... {len(diff) - 40} more diff lines")


if __name__ == "__main__":
    sys.exit(main())

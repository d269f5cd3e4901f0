"""Check what `make demo` produced (CI runs it after the demo on a fresh clone).

    python scripts/check_demo.py [var/sandbox]

Fails unless: the campaign finished with every organisation's outcomes matching its sandbox
behaviour (a reply after the 3-working-day norm is `replied` and marked late, as seed 000
counted rows 24 and 35), every organisation has a row, the outcome counts equal the expected
ones (`email:late` among them), every connected number was transferred none / once / several
times as configured, every organisation's phone and e-mail channels are scored working («да»)
or not as 2020 did, and the XLSX
protocol opens with one row per organisation in the Protocol 6 phone table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from openpyxl import load_workbook


def main(folder: Path) -> int:
    summary = json.loads((folder / "sandbox-summary.json").read_text(encoding="utf-8"))
    problems = []
    if not summary["ok"]:
        problems.append(f"mismatches: {summary['mismatches']}")
    if summary["organisations"] != len(summary["rows"]) or not summary["rows"]:
        problems.append("not every organisation has a row")
    if summary["expected"] != summary["recorded"]:
        problems.append(f"counts differ: {summary['expected']} != {summary['recorded']}")
    moved = [
        f"row {row['row']} {phone['number']}: {phone['transfers']} != {phone['expected_transfers']}"
        for row in summary["rows"]
        for phone in row["phones"]
        if phone["observed"][-1:] == ["connected"]
        and min(phone["transfers"], 2) != phone["expected_transfers"]
    ]
    if moved:
        problems.append(f"transfers (none / once / several) differ: {moved}")
    # Protocol 5 column 4 as 2020 scored it (row 6: a dropped call, rung again, «да»).
    working = [
        f"row {row['row']}: {row.get('phone_working')} != {row.get('expected_phone_working')}"
        for row in summary["rows"]
        if "expected_phone_working" not in row
        or row.get("phone_working") is not row["expected_phone_working"]
    ]
    if working:
        problems.append(f"phone working (Protocol 5 column 4) differs: {working}")
    # Protocol 5's e-mail working as 2020 scored it (rows 24 and 35: late replies, «да»).
    mail = [
        f"row {row['row']}: {row.get('email_working')} != {row.get('expected_email_working')}"
        for row in summary["rows"]
        if "expected_email_working" not in row
        or row.get("email_working") is not row["expected_email_working"]
    ]
    if mail:
        problems.append(f"e-mail working (Protocol 5) differs: {mail}")
    book = load_workbook(summary["xlsx"], read_only=True)
    sheet = book.worksheets[0]
    names = {row["name"] for row in summary["rows"]}
    listed = {c for row in sheet.iter_rows(values_only=True) for c in row if c in names}
    if listed != names:
        problems.append(f"XLSX {sheet.title!r} lacks {sorted(names - listed)[:3]}...")
    for problem in problems:
        print(f"check_demo: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"check_demo: ok: {summary['organisations']} organisations, "
            f"{sum(summary['recorded'].values())} outcomes as configured, {summary['xlsx']} opens "
            f"({len(book.sheetnames)} sheets)"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/sandbox")))

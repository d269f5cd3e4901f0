"""Export a campaign's results: XLSX in the protocols' layout, or flat CSV and JSON.

`export_campaign` is the one entry point (the CLI and the web UI's export buttons call it).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.export.flat import campaign_dict, csv_rows
from probe.scoring import CampaignScore, score_campaign
from storage.engine import session_scope
from storage.models import Campaign

__all__ = ["FORMATS", "ExportError", "export_campaign", "find_campaign", "neutralise"]

FORMATS = ("xlsx", "csv", "json")


class ExportError(ValueError):
    """Nothing was written; the message says why."""


def _write_json(score: CampaignScore, out: Path) -> Path:
    with out.open("w", encoding="utf-8") as handle:
        json.dump(campaign_dict(score), handle, ensure_ascii=False, indent=2, default=str)
        handle.write("\n")
    return out


# What a spreadsheet program takes for the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that cannot run as a formula: a leading formula character gets a single
    quote before it (OWASP's recipe). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_csv(score: CampaignScore, out: Path) -> Path:
    header, rows = csv_rows(score)
    # UTF-8 with a BOM: the spreadsheet programs ministry staff open it with read it as UTF-8.
    # Every text cell quoted (numbers not), and names, contacts and notes (untrusted: from
    # directories and websites) neutralised, so that opening the file runs nothing.
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow([neutralise(v) for v in header])
        writer.writerows([neutralise(v) for v in row] for row in rows)
    return out


def _write_xlsx(score: CampaignScore, out: Path) -> Path:
    # openpyxl loads only when a workbook is written: the CLI starts without it.
    from probe.export.xlsx import write_xlsx

    return write_xlsx(score, out)


_WRITERS: dict[str, Callable[[CampaignScore, Path], Path]] = {
    "xlsx": _write_xlsx,
    "csv": _write_csv,
    "json": _write_json,
}


def find_campaign(*, session: Session, ref: str | int) -> Campaign:
    """By name, or by id; ExportError naming the reference otherwise."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = session.get(Campaign, int(ref))
        if found is not None:
            return found
    found = session.exec(select(Campaign).where(Campaign.name == str(ref))).first()
    if found is None:
        raise ExportError(f"no campaign named {str(ref)!r} (see `probe campaign list`)")
    return found


def default_name(campaign: Campaign, fmt: str) -> Path:
    return Path(f"{campaign.name}-protocols.{fmt}")


def export_campaign(
    *, engine: Engine, campaign: str | int, fmt: str, out: Path | None = None
) -> Path:
    """Write the campaign's results to `out` (default: NAME-protocols.FMT in the current
    directory) and return the path. The file appears whole or not at all."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    with session_scope(engine) as session:
        found = find_campaign(session=session, ref=campaign)
        score = score_campaign(session=session, campaign=found, audit=fmt != "csv")
    target = out or default_name(found, fmt)
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name")
    if not target.parent.exists():
        raise ExportError(f"{target.parent}: no such directory")
    # Written beside the target and renamed: a failed export never leaves half a file behind.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        _WRITERS[fmt](score, Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target

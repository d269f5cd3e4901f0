"""`probe export`: a campaign's protocol tables as XLSX, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

import typer

from probe.cli.common import open_engine
from probe.console import console, fail
from probe.export import FORMATS, ExportError, export_campaign


def export(
    campaign: str = typer.Argument(..., help="Campaign name (or id)."),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx, csv or json."),
    out: Path | None = typer.Option(
        None, "--out", help="File to write (default: CAMPAIGN-protocols.FORMAT here)."
    ),
) -> None:
    """Write Protocol No. 6 tables 1-2 and Protocol No. 5 table 1 for CAMPAIGN.

    XLSX has the protocols' own layout plus the pending, notes (rules) and audit sheets;
    CSV has one flat row per organisation; JSON has everything, nested per organisation.
    """
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    try:
        path = export_campaign(engine=open_engine(), campaign=campaign, fmt=fmt, out=out)
    except ExportError as error:
        fail(str(error))
    console.print(f"wrote {path}", highlight=False, soft_wrap=True)

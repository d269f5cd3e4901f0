"""`probe history`: import past manual protocols as historical campaigns."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from probe.cli.common import open_engine
from probe.console import console, err_console, fail, print_json
from probe.directory.regions import UnknownRegionError
from probe.history.context import HistoryImportError, HistoryImportReport
from probe.history.document import Protocol6FormatError
from probe.history.importer import import_protocol6

app = typer.Typer(help="Past manual protocols, imported for comparison.", no_args_is_help=True)


@app.command("import-protocol6")
def import_protocol6_command(
    file: Path = typer.Argument(..., help="Protocol No. 6 as tab-separated text (seed 000)."),
    name: str | None = typer.Option(None, help="Campaign name (default: protocol6-YEAR-REGION)."),
    region: str = typer.Option("omsk", help="Region of the organisations in the protocol."),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Import tables 1 and 2 (and Protocol No. 5 table 1) as a historical campaign.

    Organisations are matched by their protocol row; the bundled omsk-kcson directory is
    imported first when they are missing. Ambiguities are listed, never resolved silently.
    """
    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        report = import_protocol6(file, engine=open_engine(), name=name, region=region)
    except (Protocol6FormatError, HistoryImportError, UnknownRegionError) as error:
        fail(str(error))
    if as_json:
        print_json(report.as_dict())
        return
    _print(report)


_DIRECTORY_NOTE = "; the bundled omsk-kcson directory was imported first"


def _print(report: HistoryImportReport) -> None:
    console.print(
        f"{report.file}: campaign {report.campaign!r} (id {report.campaign_id}): "
        f"{report.organisations} organisation(s), {report.calls} call(s) of {report.dials} "
        f"dial(s), {report.letters} letter(s), {report.protocol5_rows} Protocol No. 5 row(s), "
        f"{report.reviews} review(s), "
        f"{report.contacts_created} historical contact(s) added"
        + (_DIRECTORY_NOTE if report.directory_imported else ""),
        highlight=False,
        soft_wrap=True,
    )
    if report.problems:
        table = Table("protocol", "table", "row", "problem", title="Reported, not guessed")
        for problem in report.problems:
            protocol = str(problem.protocol) if problem.table else ""
            table.add_row(
                protocol, str(problem.table or ""), str(problem.row or ""), problem.message
            )
        err_console.print(table)

"""`probe directory`: import, list and show organisations and their contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from probe.channels import all_specs
from probe.cli.common import open_engine
from probe.console import console, err_console, fail, load_settings, print_json
from probe.directory.importer import (
    ImportReport,
    StrictImportError,
    bundled_names,
    bundled_path,
    import_directory,
)
from probe.directory.reasons import held_english
from probe.directory.regions import UnknownRegionError, all_regions, find_region
from probe.directory.sources import DirectoryFileError
from storage.directory import (
    ConfirmError,
    confirm_contact,
    get_organisation,
    list_contacts,
    list_organisations,
)
from storage.engine import session_scope
from storage.models import Contact

app = typer.Typer(
    help="The directory of organisations and their published contacts.", no_args_is_help=True
)

EXIT_ROWS_REJECTED = 2


@app.command("import")
def import_(
    file: Path | None = typer.Argument(None, help="CSV, XLSX or YAML file.", show_default=False),
    bundled: str | None = typer.Option(
        None, help="Import a bundled directory instead of a file (see `probe directory bundled`)."
    ),
    region: str | None = typer.Option(None, help="Region for rows that do not name one."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    strict: bool = typer.Option(False, help="Any bad row fails the whole import; nothing written."),
    as_json: bool = typer.Option(False, "--json", help="Print the normalised result as JSON."),
) -> None:
    """Import organisations; re-importing updates in place and never duplicates.

    Exit status: 0 all rows imported; 2 some rows rejected (the rest imported); 1 nothing done.
    """
    if (file is None) == (bundled is None):
        fail("give either FILE or --bundled NAME")
    if region:
        try:
            region = find_region(region).code
        except UnknownRegionError as error:
            fail(str(error))
    try:
        path = bundled_path(bundled) if bundled else file
    except FileNotFoundError as error:
        fail(str(error))
    assert path is not None
    if not path.is_file():
        fail(f"{path}: no such file")
    engine = None if dry_run else open_engine()
    try:
        with Progress(console=err_console, transient=True, disable=as_json) as progress:
            task = progress.add_task("importing", total=None)
            report = import_directory(
                path,
                engine=engine,
                actor=f"cli:{load_settings().environment}",
                default_region=region,
                dry_run=dry_run,
                strict=strict,
                display_name=f"bundled:{bundled}" if bundled else str(path),
                progress=lambda n: progress.update(task, completed=n),
            )
    except StrictImportError as error:
        if as_json:
            print_json(error.report.as_dict())
        else:
            _print_problems(error.report)
        fail(str(error))
    except DirectoryFileError as error:
        fail(str(error))
    if as_json:
        print_json(report.as_dict())
    else:
        _print_summary(report, dry_run=dry_run)
    if report.rejected:
        raise typer.Exit(EXIT_ROWS_REJECTED)


# The summary's word for the contacts read from each directory column (a column a channel
# declares, such as `website`, is named after it: "website(s)").
_COUNTED = {"phones": "phone(s)", "emails": "e-mail(s)"}


def _print_summary(report: ImportReport, *, dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    contacts = ", ".join(
        f"{n} {_COUNTED.get(column, column + '(s)')}"
        for column, n in report.contact_counts().items()
    )
    console.print(
        f"{report.file}: {verb} {len(report.organisations)} organisation(s), {contacts}; "
        f"{len(report.rejected)} row(s) rejected, {len(report.warnings)} warning(s)",
        highlight=False,
        soft_wrap=True,
    )
    if report.stats:
        stats = report.stats
        console.print(
            f"organisations: {stats.organisations_created} new, {stats.organisations_updated} "
            f"updated, {stats.organisations_unchanged} unchanged; contacts: "
            f"{stats.contacts_created} new, {stats.contacts_updated} updated, "
            f"{stats.contacts_deactivated} deactivated",
            highlight=False,
            soft_wrap=True,
        )
    _print_problems(report)


def _print_problems(report: ImportReport) -> None:
    if not (report.rejected or report.warnings):
        return
    table = Table("", "row", "field", "reason", title="Problems")
    for problem in report.rejected + report.warnings:
        table.add_row(
            "[red]rejected[/]" if problem.severity == "error" else "[yellow]warning[/]",
            str(problem.row or ""),
            problem.field or "",
            problem.reason,
        )
    err_console.print(table)


@app.command("list")
def list_(
    region: str | None = typer.Option(None, help="Only this region (name or code)."),
    kind: str | None = typer.Option(None, help="Only this kind (e.g. КЦСОН)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List organisations with their number of active contacts."""
    region_code = find_region(region).code if region else None
    # the contact kinds of the channels staff work with (the registry's; not the test channel)
    kinds = [(spec.name, k.name) for spec in all_specs() if spec.listed for k in spec.contact_kinds]
    engine = open_engine()
    with session_scope(engine) as session:
        rows: list[dict[str, Any]] = []
        for org in list_organisations(session=session, region=region_code, kind=kind):
            assert org.id is not None
            contacts = list_contacts(session=session, organisation_id=org.id, active_only=True)
            rows.append(
                {
                    "id": org.id,
                    "name": org.name,
                    "short_name": org.short_name,
                    "region": org.region,
                    "kind": org.kind,
                    "timezone": org.timezone,
                    # per listed contact kind: "phones", "emails", "websites" (a stored
                    # contact names its channel: `web` for a website)
                    **{
                        f"{kind}s": sum(c.channel == channel and c.probeable for c in contacts)
                        for channel, kind in kinds
                    },
                    # A region's default hours, assumed for lack of the organisation's own,
                    # are not known hours.
                    "hours_known": org.hours is not None and not org.hours.get("assumed"),
                }
            )
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "region", "kind", *(f"{kind}s" for _, kind in kinds), "hours")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["short_name"] or row["name"],
            row["region"],
            row["kind"],
            *(str(row[f"{kind}s"]) for _, kind in kinds),
            "yes" if row["hours_known"] else "-",
        )
    console.print(table)
    console.print(f"{len(rows)} organisation(s)")


def _contact_json(contact: Contact) -> dict[str, Any]:
    """A contact as `show --json` gives it; a held one's reason in English beside its code."""
    data = contact.model_dump(mode="json")
    if contact.held is not None:
        data["held_reason"] = held_english(contact.held, contact.held_values)
    return data


@app.command()
def show(
    organisation: str = typer.Argument(..., help="Id, key, or a unique part of the name."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show one organisation, its working hours and every contact (inactive ones too)."""
    engine = open_engine()
    with session_scope(engine) as session:
        org = get_organisation(session=session, ref=organisation)
        if org is None:
            fail(f"no single organisation matches {organisation!r}")
        assert org.id is not None
        data = org.model_dump(mode="json")
        data["contacts"] = [
            _contact_json(c) for c in list_contacts(session=session, organisation_id=org.id)
        ]
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/]")
    for label in ("short_name", "region", "kind", "address", "website", "timezone", "hours_raw"):
        if data[label]:
            console.print(f"  {label}: {data[label]}", highlight=False)
    if (data["hours"] or {}).get("assumed"):
        console.print(f"  hours assumed: {data['hours']['assumed']}", highlight=False)
    table = Table("channel", "as published", "normalised", "ext", "notes")
    for c in data["contacts"]:
        notes = [
            n
            for n, on in (
                ("fax", c["is_fax"]),
                ("inferred area code", c["inferred"]),
                ("inactive", not c["active"]),
            )
            if on
        ]
        if c["error"]:
            notes.append(c["error"])
        if c["held"]:
            notes.append(f"held (#{c['id']}): {c['held_reason']}")
        elif c["confirmed_by"]:
            notes.append(f"confirmed by {c['confirmed_by']}")
        table.add_row(
            c["channel"], c["raw"], c["value"] or "-", c["extension"] or "", "; ".join(notes)
        )
    console.print(table)


@app.command()
def confirm(
    contact_id: int = typer.Argument(..., help="The held contact's id (`probe directory show`)."),
    reason: str = typer.Option("", help="Why it is this organisation's (kept in the audit log)."),
) -> None:
    """Confirm that a held contact (published by several organisations) is this one's.

    It is called from now on; re-importing the directory does not hold it again. A contact that
    is not this organisation's is corrected instead (`POST /api/contacts/{id}/correction`).
    """
    engine = open_engine()
    try:
        with session_scope(engine) as session:
            contact = confirm_contact(
                session=session,
                contact_id=contact_id,
                actor=f"cli:{load_settings().environment}",
                reason=reason,
            )
            raw = contact.raw
    except ConfirmError as error:
        fail(str(error))
    console.print(f"contact {contact_id} ({raw}) confirmed: it will be called", highlight=False)


@app.command()
def bundled() -> None:
    """List the bundled directories (built from the seed documents)."""
    for name in bundled_names():
        console.print(name)


@app.command()
def regions() -> None:
    """List the regions the importer knows, with their time zones."""
    table = Table("code", "name", "time zone")
    for region in all_regions():
        table.add_row(region.code, region.name, region.timezone)
    console.print(table)

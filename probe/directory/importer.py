"""Directory import: read, normalise, report, then write in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.channels import column_contact_kinds
from probe.directory.normalize import ContactDraft, OrganisationDraft, column_of, normalise_row
from probe.directory.reasons import Publisher, because, held_shared
from probe.directory.sources import RowProblem, SourceFile, read_directory_file
from storage.directory import UpsertStats, contacts_elsewhere, hold_contact, upsert_organisation
from storage.engine import session_scope

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data" / "directories"


@dataclass
class ImportReport:
    file: str
    encoding: str
    organisations: list[OrganisationDraft] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    stats: UpsertStats | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    def contact_counts(self) -> dict[str, int]:
        """The contacts read, by the directory column they come from: {"phones": ...,
        "emails": ..., "website": ...} — the two contact cells, then the column of every
        registered kind that has one (probe.channels.column_contact_kinds), zero included.
        A value the channel could not read counts too (its row has the warning)."""
        columns = ["phones", "emails"] + [k.column for _, k in column_contact_kinds() if k.column]
        counts = dict.fromkeys(columns, 0)
        for org in self.organisations:
            for contact in org.contacts:
                column = column_of(contact.channel)
                counts[column] = counts.get(column, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "written": self.written,
            "organisations": [o.as_dict() for o in self.organisations],
            "rejected": [p.as_dict() for p in self.rejected],
            "warnings": [p.as_dict() for p in self.warnings],
            "stats": self.stats.as_dict() if self.stats else None,
            "contacts_read": self.contact_counts(),
        }


class StrictImportError(ValueError):
    def __init__(self, report: ImportReport) -> None:
        problems = report.rejected + report.warnings
        super().__init__(
            f"{len(problems)} problem(s) in {report.file} and --strict is set: nothing written"
        )
        self.report = report


def bundled_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


def bundled_path(name: str) -> Path:
    path = BUNDLED_DIR / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"no bundled directory {name!r}; available: {', '.join(bundled_names())}"
        )
    return path


def plan_import(source: SourceFile, *, default_region: str | None = None) -> ImportReport:
    report = ImportReport(file=source.name, encoding=source.encoding)
    report.rejected.extend(source.problems)
    first_row_of: dict[str, int] = {}
    for raw in source.rows:
        draft, problems = normalise_row(raw, default_region=default_region)
        for problem in problems:
            (report.rejected if problem.severity == "error" else report.warnings).append(problem)
        if draft is None:
            continue
        if draft.key in first_row_of:
            first = first_row_of[draft.key]
            why = because("duplicate", first=first)
            report.rejected.append(RowProblem(raw.file, raw.row, "name", why))
            continue
        first_row_of[draft.key] = raw.row
        report.organisations.append(draft)
    report.warnings.extend(hold_shared_contacts(report.organisations))
    report.rejected.sort(key=lambda p: p.row or 0)
    report.warnings.sort(key=lambda p: p.row or 0)
    return report


def _in_file(org: OrganisationDraft) -> Publisher:
    return Publisher(org.short_name or org.name, None, org.source_row)


def _elsewhere(name: str, source: str, row: int | None) -> Publisher:
    return Publisher(name, source, row)


def _hold(org: OrganisationDraft, contact: ContactDraft, by: tuple[Publisher, ...]) -> RowProblem:
    """Hold the file's contact, published by `by` too; the row's warning."""
    contact.held, contact.held_values = held_shared(by)
    why = because("held_shared", raw=contact.raw, by=by)
    return RowProblem(org.source, org.source_row, column_of(contact.channel), why, "warning")


def _published(
    organisations: list[OrganisationDraft],
) -> dict[tuple[str, str], list[tuple[OrganisationDraft, ContactDraft]]]:
    """Every usable contact by (channel, key), with the organisations publishing it."""
    found: dict[tuple[str, str], list[tuple[OrganisationDraft, ContactDraft]]] = {}
    for org in organisations:
        for contact in org.contacts:
            if contact.value is not None:
                found.setdefault((contact.channel, contact.key), []).append((org, contact))
    return found


def hold_shared_contacts(organisations: list[OrganisationDraft]) -> list[RowProblem]:
    """Hold every number or address that more than one organisation of the file publishes.

    A campaign would otherwise call one organisation's line and charge the result to another
    (seed 004: No. 45 publishes exactly No. 38's phones and fax). Which of them the contact
    belongs to is an operator's call (`probe directory confirm`); until then it is not called
    for any of them. Faxes are held too: they are published contacts all the same.
    """
    problems: list[RowProblem] = []
    for sharing in _published(organisations).values():
        for org, contact in sharing:
            others = tuple(_in_file(o) for o, _c in sharing if o is not org)
            if others:
                problems.append(_hold(org, contact, others))
    return problems


def _hold_against_the_database(
    session: Session, report: ImportReport, actor: str
) -> list[RowProblem]:
    """The same rule across imports: a contact of the file that an organisation already in the
    database (from another file) publishes is held, and so is that organisation's."""
    published = _published(report.organisations)
    if not published:
        return []
    problems: list[RowProblem] = []
    elsewhere = contacts_elsewhere(
        session=session, keys=set(published), excluding={o.key for o in report.organisations}
    )
    for other, other_org in elsewhere:
        # Named the same way from either side, so a re-import finds the reason unchanged.
        name = _elsewhere(
            other_org.short_name or other_org.name, other_org.source, other_org.source_row
        )
        for org, contact in published[(other.channel, other.key)]:
            code, values = held_shared(
                (_elsewhere(org.short_name or org.name, org.source, org.source_row),)
            )
            hold_contact(session=session, contact=other, code=code, values=values, actor=actor)
            if contact.held is None:
                problems.append(_hold(org, contact, (name,)))
    return problems


def apply_import(
    report: ImportReport,
    *,
    engine: Engine,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> UpsertStats:
    stats = UpsertStats()
    with session_scope(engine) as session:
        report.warnings.extend(_hold_against_the_database(session, report, actor))
        report.warnings.sort(key=lambda p: p.row or 0)
        for number, draft in enumerate(report.organisations, start=1):
            values = draft.as_dict()
            contacts = [
                {**c, "key": contact.key}
                for c, contact in zip(values.pop("contacts"), draft.contacts, strict=True)
            ]
            values.pop("region_name")
            upsert_organisation(
                session=session, values=values, contacts=contacts, actor=actor, stats=stats
            )
            if progress:
                progress(number)
    report.stats = stats
    report.written = True
    return stats


def import_directory(
    path: Path,
    *,
    engine: Engine | None,
    actor: str = "cli",
    default_region: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    display_name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read and normalise `path`; write it unless `dry_run`. A bad row never aborts the rest."""
    source = read_directory_file(path, display_name=display_name)
    report = plan_import(source, default_region=default_region)
    if strict and (report.rejected or report.warnings):
        raise StrictImportError(report)
    if not dry_run:
        assert engine is not None
        apply_import(report, engine=engine, actor=actor, progress=progress)
    return report

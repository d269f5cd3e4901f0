"""Import a past manual Protocol No. 6 as historical checks under a campaign of its own.

Table 1's call log becomes one phone check per number dialled (a numbered item of the log is one
call: its checks share `details["call_group"]`); table 2 becomes one e-mail check per letter.
The "+" marks become operator reviews, authored by the importer; etiquette marks (columns 7-9,
one per person who answered) go to the connected calls they judge (see `import_calls._etiquette`).
Protocol No. 5 table 1, when the file has it, gives the web form, FAQ and survey columns as
organisation-level reviews (the same rows an operator's judgement makes); its phone and e-mail
columns are compared with what the imported checks give, and a disagreement is reported, never
written over the checks.
Everything is written in one transaction: a file that cannot be read imports nothing. What the
document leaves ambiguous is reported in `HistoryImportReport.problems`, and resolved only in the
stated way.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.directory.importer import bundled_path, import_directory
from probe.directory.regions import find_region
from probe.history.contacts import SOURCE
from probe.history.context import ACTOR, HistoryImportError, HistoryImportReport, ImportContext
from probe.history.document import (
    MailRow,
    PhoneRow,
    Protocol6Document,
    read_protocol6,
)
from probe.history.import_calls import import_phone_row
from probe.history.import_letters import import_mail_row
from probe.history.import_protocol5 import import_protocol5
from probe.history.letters import parse_mail_row
from probe.scoring.names import Channel
from storage.checks import create_campaign, get_campaign_by_name
from storage.engine import session_scope
from storage.models import Campaign, Organisation

__all__ = ["import_protocol6"]

BUNDLED_DIRECTORY = "omsk-kcson"


# --- organisations ----------------------------------------------------------------------------


def _find_organisations(
    session: Session, numbers: list[int], region: str
) -> tuple[dict[int, Organisation], dict[int, list[int]]]:
    found = session.exec(
        select(Organisation)
        .where(col(Organisation.protocol_row).in_(numbers))
        .where(Organisation.region == region)
        .where(col(Organisation.active).is_(True))
    ).all()
    by_row: dict[int, list[Organisation]] = {}
    for org in found:
        assert org.protocol_row is not None
        by_row.setdefault(org.protocol_row, []).append(org)
    unique = {n: orgs[0] for n, orgs in by_row.items() if len(orgs) == 1}
    clashes = {n: [o.id or 0 for o in orgs] for n, orgs in by_row.items() if len(orgs) > 1}
    return unique, clashes


def _organisations(
    engine: Engine, numbers: list[int], region: str, report: HistoryImportReport
) -> dict[int, Organisation]:
    with session_scope(engine) as session:
        found, clashes = _find_organisations(session, numbers, region)
    if len(found) + len(clashes) < len(numbers):
        import_directory(bundled_path(BUNDLED_DIRECTORY), engine=engine, actor=ACTOR)
        report.directory_imported = True
        with session_scope(engine) as session:
            found, clashes = _find_organisations(session, numbers, region)
    for number, ids in clashes.items():
        report.add(0, number, [f"row {number}: organisations {ids} all have protocol_row "
                               f"{number} in region {region}; row not imported"])  # fmt: skip
    for number in numbers:
        if number not in found and number not in clashes:
            report.add(0, number, [f"row {number}: no organisation has protocol_row {number} "
                                   f"in region {region}; row not imported"])  # fmt: skip
    return found


# --- the whole document -----------------------------------------------------------------------


def _campaign(
    session: Session, name: str, path: Path, days: list[date], report: HistoryImportReport
) -> Campaign:
    if get_campaign_by_name(session=session, name=name) is not None:
        raise HistoryImportError(
            f"campaign {name!r} already exists; give the import another name with --name"
        )
    campaign = create_campaign(
        session=session,
        name=name,
        title=f"Протокол № 6, {days[0].year} (импорт ручной проверки)",
        channels=[Channel.PHONE, Channel.EMAIL],
        spec={
            "source": SOURCE,
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "imported_at": datetime.now(UTC).isoformat(),
        },
        historical=True,
    )
    campaign.status = "done"
    campaign.starts_on, campaign.ends_on = min(days), max(days)
    report.campaign, report.campaign_id = campaign.name, campaign.id
    return campaign


_SENDER = re.compile(r"осуществлялась с электронного адреса\s+(\S+@[^\s,;]+)")


def _as_written(
    document: Protocol6Document, orgs: dict[int, Organisation], path: Path
) -> dict[str, Any]:
    """What the export prints as the document did: each organisation's name as written (the
    directory drops drafting devices such as «(далее – БУ КЦСОН)»; table 2's text, whole where
    table 1's is cut by page breaks) and the address letters were sent from (table 2's
    footnote)."""
    names: dict[str, str] = {}
    rows: list[PhoneRow | MailRow] = [*document.phone_rows, *document.mail_rows]
    for row in rows:
        if row.number in orgs and row.name:
            names[str(orgs[row.number].id)] = row.name
    spec: dict[str, Any] = {"names_as_written": names}
    sender = _SENDER.search(path.read_text(encoding="utf-8"))
    if sender:
        spec["sender"] = sender.group(1).rstrip(".")
    return spec


def _days(rows: list[MailRow]) -> list[date]:
    """The days letters were sent: they name the campaign's year before the rows are read."""
    days: list[date] = []
    for row in rows:
        try:
            days.extend(letter.sent for letter in parse_mail_row(row).letters)
        except ValueError:
            continue
    return days


def import_protocol6(
    path: Path,
    *,
    engine: Engine,
    name: str | None = None,
    region: str = "omsk",
) -> HistoryImportReport:
    """Import `path`; Protocol6FormatError or HistoryImportError when nothing could be."""
    document = read_protocol6(path)
    region_code = find_region(region).code
    report = HistoryImportReport(file=str(path))
    numbers = sorted(
        {r.number for r in document.phone_rows}
        | {r.number for r in document.mail_rows}
        | {r.number for r in document.protocol5_rows}
    )
    orgs = _organisations(engine, numbers, region_code, report)
    days = _days(document.mail_rows) or [date.today()]
    with session_scope(engine) as session:
        campaign = _campaign(
            session, name or f"protocol6-{min(days).year}-{region_code}", path, days, report
        )
        ctx = ImportContext(session=session, campaign=campaign, report=report)
        for phone_row in document.phone_rows:
            if phone_row.number in orgs:
                import_phone_row(ctx, phone_row, session.merge(orgs[phone_row.number]))
        for mail_row in document.mail_rows:
            if mail_row.number in orgs:
                import_mail_row(ctx, mail_row, session.merge(orgs[mail_row.number]))
        import_protocol5(ctx, document.protocol5_rows, orgs)
        if ctx.days:
            campaign.starts_on, campaign.ends_on = min(ctx.days), max(ctx.days)
        campaign.spec = {**campaign.spec, **_as_written(document, orgs, path)}
        report.organisations = len(orgs)
    return report

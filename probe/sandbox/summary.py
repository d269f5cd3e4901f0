"""The sandbox's summary: what each organisation did against what the sandbox told it to do,
and Protocol 5's working columns as the export scores them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.sandbox.campaign import CAMPAIGN, DEADLINE_WORKING_DAYS, PER_CONTACT
from probe.sandbox.webcheck import compare_web, web_cells
from probe.sandbox.world import (
    Organisation,
    Phone,
    World,
    expected_email_late,
    expected_email_outcome,
    expected_phone_outcomes,
)
from probe.scoring.model import Protocol5Row
from storage.models import Check


@dataclass
class SandboxReport:
    """What the sandbox found: the table, the counts and whether everything matched."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    expected: Counter[str] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    xlsx: Path | None = None
    summary: Path | None = None
    campaign_days: float = 0.0
    real_seconds: float = 0.0
    # The columns 7-9 proposed from the recordings against the greetings played (greetcheck.py)
    greetings: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches


Key = tuple[int | None, str]  # (protocol row, contact as the sandbox names it)


@dataclass
class Recorded:
    """What the campaign recorded, by protocol row and contact."""

    seen: dict[Key, list[str]] = field(default_factory=lambda: defaultdict(list))
    transfers: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(list))
    unfollowed: set[Key] = field(default_factory=set)
    late: set[Key] = field(default_factory=set)  # addresses whose reply was marked late
    # Published contacts the prober cannot use as written (a look-alike letter): while one is
    # left uncorrected, a channel that did not work waits for the operator (R11, R12).
    to_correct: set[Key] = field(default_factory=set)  # (protocol row, channel)
    web: dict[int | None, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Rows whose web check found contacts the directory lacks (the review queue's
    # «справочник может быть устаревшим», storage.published).
    unlisted: set[int | None] = field(default_factory=set)


def compare(engine: Engine, world: World) -> SandboxReport:
    """Each organisation's recorded outcomes against the behaviour the sandbox gave it."""
    result = SandboxReport()
    recorded = _recorded(engine)
    scored = _protocol5(engine)
    for organisation in world.organisations:
        row = organisation.protocol_row
        mismatched_before = len(result.mismatches)
        phones = [_compare_phone(result, recorded, row, phone) for phone in organisation.phones]
        emails = _compare_emails(result, recorded, organisation)
        p5 = scored.get(row)
        phone_working, email_working = (p5.phone.working, p5.email.working) if p5 else (None, None)
        working, mail_works = _expected_working(recorded, organisation, emails)
        web = compare_web(
            result, recorded.web.get(row, []), organisation, p5, (working, mail_works),
            unlisted=row in recorded.unlisted,
        )  # fmt: skip
        if phone_working is not working:
            result.mismatches.append(
                f"row {row}: phone working {phone_working} != {working} (Protocol 5 column 4)"
            )
        if email_working is not mail_works:
            result.mismatches.append(
                f"row {row}: e-mail working {email_working} != {mail_works} (Protocol 5)"
            )
        result.rows.append({"row": row, "name": organisation.name, "phones": phones,
                            "emails": emails, "phone_working": phone_working,
                            "expected_phone_working": working, "email_working": email_working,
                            "expected_email_working": mail_works, **web,
                            "match": len(result.mismatches) == mismatched_before})  # fmt: skip
    return result


def _recorded(engine: Engine) -> Recorded:
    """The sandbox campaign's checks (not those of a campaign started in the review UI)."""
    from storage.models import Campaign, CheckEvent, Contact, Organisation
    from storage.published import EVENT as UNLISTED_EVENT

    found = Recorded()
    with Session(engine) as session:
        rows = session.exec(
            select(Organisation.protocol_row, Contact, Check)
            .join(Contact, col(Contact.id) == col(Check.contact_id))
            .join(Organisation, col(Organisation.id) == col(Check.organisation_id))
            .join(Campaign, col(Campaign.id) == col(Check.campaign_id))
            .where(col(Campaign.name) == CAMPAIGN)
            .order_by(col(Check.id))
        ).all()
        found.unlisted = set(
            session.exec(
                select(Organisation.protocol_row)
                .join(Check, col(Check.organisation_id) == col(Organisation.id))
                .join(CheckEvent, col(CheckEvent.check_id) == col(Check.id))
                .join(Campaign, col(Campaign.id) == col(Check.campaign_id))
                .where(col(CheckEvent.kind) == UNLISTED_EVENT, col(Campaign.name) == CAMPAIGN)
            ).all()
        )
        found.to_correct = {
            (row, channel)
            for row, channel in session.exec(
                select(Organisation.protocol_row, Contact.channel)
                .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
                .where(col(Contact.active).is_(True), col(Contact.value).is_(None))
                .where(col(Contact.is_fax).is_(False))
            ).all()
        }
    for protocol_row, contact, check in rows:
        key = contact.value or contact.raw
        if contact.channel == "phone" and contact.extension:
            key += f";ext={contact.extension}"
        if contact.channel == "email":
            key = key.lower()  # the directory keeps a local part as published (BYKCSO@...)
        if contact.channel == "web":
            found.web[protocol_row].append(check.outcome or check.status)
            continue
        found.seen[(protocol_row, key)].append(check.outcome or check.status)
        details = check.details or {}
        found.transfers[(protocol_row, key)].append(int(details.get("transfers") or 0))
        if details.get("transfers_unfollowed"):
            found.unfollowed.add((protocol_row, key))
        if contact.channel == "email" and details.get("late") is True:
            found.late.add((protocol_row, key))
    return found


def _compare_phone(
    result: SandboxReport, recorded: Recorded, row: int | None, phone: Phone
) -> dict[str, Any]:
    expected = expected_phone_outcomes(phone, per_contact=PER_CONTACT)
    observed = recorded.seen.get((row, phone.number), [])
    result.expected.update(f"phone:{o}" for o in expected)
    result.observed.update(f"phone:{o}" for o in observed)
    moved = max(recorded.transfers.get((row, phone.number), [0]), default=0)
    if observed != expected:
        result.mismatches.append(f"row {row} {phone.number}: {observed} != {expected}")
    elif expected[-1] == "connected" and min(moved, 2) != phone.transfers:
        lost = (
            " (a transfer the prober could not follow)"
            if (row, phone.number) in recorded.unfollowed
            else ""
        )
        result.mismatches.append(
            f"row {row} {phone.number}: {moved} transfers != {phone.transfers}{lost}"
        )
    return {"number": phone.number, "expected": expected, "observed": observed,
            "transfers": moved, "expected_transfers": phone.transfers}  # fmt: skip


def _compare_emails(
    result: SandboxReport, recorded: Recorded, organisation: Organisation
) -> list[dict[str, Any]]:
    row = organisation.protocol_row
    emails = []
    written = True  # the primary address is written to; the next one after a bounce
    for mailbox in organisation.emails:
        expected_mail = expected_email_outcome(mailbox) if written else None
        written = expected_mail == "bounced"
        observed_mail = recorded.seen.get((row, mailbox.address.lower()), [])
        # A reply after the 3-working-day norm counts, marked late (seed 000 rows 24, 35).
        expected_late = expected_mail == "replied" and expected_email_late(
            mailbox, deadline_working_days=DEADLINE_WORKING_DAYS
        )
        observed_late = (row, mailbox.address.lower()) in recorded.late
        if expected_mail is not None:
            result.expected[f"email:{expected_mail}"] += 1
        result.expected["email:late"] += expected_late
        result.observed.update(f"email:{o}" for o in observed_mail)
        result.observed["email:late"] += observed_late
        if observed_mail != ([expected_mail] if expected_mail else []):
            result.mismatches.append(
                f"row {row} {mailbox.address}: {observed_mail} != [{expected_mail}]"
            )
        elif observed_late != expected_late:
            result.mismatches.append(
                f"row {row} {mailbox.address}: late {observed_late} != {expected_late}"
            )
        emails.append({"address": mailbox.address, "expected": expected_mail,
                       "observed": observed_mail, "late": observed_late,
                       "expected_late": expected_late})  # fmt: skip
    return emails


def _expected_working(
    recorded: Recorded, organisation: Organisation, emails: list[dict[str, Any]]
) -> tuple[bool | None, bool | None]:
    """Protocol 5's phone (column 4) and e-mail working as 2020 scored them."""
    row = organisation.protocol_row
    # Phone: «да» when one of its numbers connected.
    expectations = [
        expected_phone_outcomes(p, per_contact=PER_CONTACT) for p in organisation.phones
    ]
    working = any(e[-1:] == ["connected"] for e in expectations) if expectations else None
    if working is False and (row, "phone") in recorded.to_correct:
        working = None
    # E-mail: «да» when a letter was answered, late or not (rows 24 and 35 after 6 and 8
    # working days).
    mail_works = any(e["expected"] == "replied" for e in emails) if emails else None
    if mail_works is False and (row, "email") in recorded.to_correct:
        mail_works = None  # row 12: the second address has a Cyrillic «р»
    return working, mail_works


def _protocol5(engine: Engine) -> dict[int | None, Protocol5Row]:
    """Protocol 5 table 1 of each protocol row, as the campaign's export scores it (rules
    R11-R13, R15, indicator 1.2)."""
    from probe.scoring import score_campaign
    from storage.checks import get_campaign_by_name

    with Session(engine) as session:
        campaign = get_campaign_by_name(session=session, name=CAMPAIGN)
        if campaign is None:
            return {}
        score = score_campaign(session=session, campaign=campaign, audit=False)
    return {row.protocol_row: row for row in score.protocol5}


def print_summary(outcome: SandboxReport, console: Any) -> None:
    from rich.table import Table

    table = Table(title="Sandbox: what each centre did, and what it was told to do")
    for name in ("№", "organisation", "phone outcomes", "transfers", "phone works", "e-mail",
                 "e-mail works", "website", "7-12", "1.2", "match"):  # fmt: skip
        table.add_column(name, overflow="fold")
    for row in outcome.rows:
        phones = "; ".join("→".join(p["observed"]) or "—" for p in row["phones"]) or "—"
        moved = ", ".join(str(p["transfers"]) for p in row["phones"]) or "—"
        mail = (
            "; ".join(
                (",".join(e["observed"]) or "—") + (" (late)" if e["late"] else "")
                for e in row["emails"]
            )
            or "—"
        )
        match = "yes" if row["match"] else "[red]no[/red]"
        works = {True: "да", False: "нет", None: "—"}[row.get("phone_working")]
        mail_works = {True: "да", False: "нет", None: "—"}[row.get("email_working")]
        site = f"{row.get('website') or '—'}: {','.join(row.get('web_outcomes') or []) or '—'}"
        points = row.get("indicator_1_2")
        indicator = "—" if points is None else str(points)
        table.add_row(str(row["row"]), row["name"][:40], phones, moved, works, mail, mail_works,
                      site, web_cells(row), indicator, match)  # fmt: skip
    console.print(table)
    counts = Table(title="Outcomes: expected from the sandbox's behaviours, and recorded")
    for name in ("outcome", "expected", "recorded"):
        counts.add_column(name)
    for key in sorted(set(outcome.expected) | set(outcome.observed)):
        counts.add_row(key, str(outcome.expected[key]), str(outcome.observed[key]))
    console.print(counts)


def write_summary(
    outcome: SandboxReport, path: Path, *, staff_errors: list[str], telephony: dict[str, str]
) -> Path:
    """The run's JSON summary (what `scripts/check_demo.py` reads)."""
    path.write_text(
        json.dumps(
            {
                "ok": outcome.ok,
                "organisations": len(outcome.rows),
                "expected": dict(outcome.expected),
                "recorded": dict(outcome.observed),
                "mismatches": outcome.mismatches,
                "rows": outcome.rows,
                "xlsx": str(outcome.xlsx),
                "campaign_days": round(outcome.campaign_days, 2),
                "real_seconds": round(outcome.real_seconds, 1),
                "greetings": outcome.greetings,
                "staff_errors": staff_errors,
                "telephony": telephony,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return path

"""What the import of a past protocol writes through and reports into: its context (session,
campaign, attempts, days covered), the report of what was imported and what the document left
ambiguous, and the error that stops it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from probe.history.contacts import SOURCE
from probe.results import CheckResult
from probe.reviews import ReviewField
from storage.checks import add_review, create_check
from storage.checks import record_result as store_result
from storage.models import Campaign, Check, Organisation

ACTOR = "history:protocol6"


class HistoryImportError(ValueError):
    """Nothing was imported; the message says why."""


@dataclass
class Problem:
    table: int
    row: int | None
    message: str
    protocol: int = 6


@dataclass
class HistoryImportReport:
    file: str
    campaign: str = ""
    campaign_id: int | None = None
    directory_imported: bool = False
    organisations: int = 0
    calls: int = 0
    dials: int = 0
    letters: int = 0
    protocol5_rows: int = 0
    contacts_created: int = 0
    reviews: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, table: int, row: int | None, messages: list[str], *, protocol: int = 6) -> None:
        self.problems.extend(Problem(table, row, m, protocol) for m in messages)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportContext:
    session: Session
    campaign: Campaign
    report: HistoryImportReport
    attempts: dict[int, int] = field(default_factory=dict)
    # Local days of every dial, letter sent and reply received: the campaign's dates cover them.
    days: list[date] = field(default_factory=list)

    def check(self, *, contact_id: int, result: CheckResult, details: dict[str, Any]) -> Check:
        from storage.models import Contact

        contact = self.session.get(Contact, contact_id)
        assert contact is not None and self.campaign.id is not None
        attempt = self.attempts.get(contact_id, 0) + 1
        self.attempts[contact_id] = attempt
        check = create_check(
            session=self.session,
            contact=contact,
            campaign_id=self.campaign.id,
            attempt=attempt,
            historical=True,
            reason="imported from a manual Protocol No. 6",
        )
        result.details = {"source": SOURCE, **details}
        return store_result(session=self.session, check=check, result=result)

    def review(
        self,
        check: Check | None,
        field: ReviewField,
        value: str,
        row: int,
        *,
        organisation: Organisation | None = None,
    ) -> None:
        add_review(
            session=self.session,
            author=ACTOR,
            field=field.value,
            value=value,
            reason=f"Protocol No. 6, row {row}",
            check_id=check.id if check is not None else None,
            organisation_id=organisation.id if organisation is not None else None,
            campaign_id=self.campaign.id,
        )
        self.report.reviews += 1

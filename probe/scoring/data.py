"""Everything a campaign's scoring reads, loaded in a handful of queries (not one per row).

Rows are read with Core selects of only the columns the rules use, into named tuples: building
~70,000 ORM objects for a campaign of 10,000 organisations cost more than all the scoring.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, or_, select
from sqlmodel import Session

from storage.models import Campaign, Check, Contact, GreetingProposal, Organisation, Review


class OrganisationRow(NamedTuple):
    id: int
    name: str
    timezone: str
    protocol_row: int | None


class ContactRow(NamedTuple):
    id: int
    organisation_id: int
    channel: str
    raw: str
    value: str | None
    is_fax: bool
    position: int
    source: str
    active: bool
    error: str | None  # why the published text could not be used (unparsable, look-alike letter)
    superseded_by_id: int | None  # the operator's correction that replaced it


class CheckRow(NamedTuple):
    id: int
    organisation_id: int
    contact_id: int
    channel: str
    status: str
    outcome: str | None
    attempt: int
    historical: bool
    started_at: datetime | None
    finished_at: datetime | None
    details: dict[str, Any]


class ReviewRow(NamedTuple):
    id: int
    check_id: int | None
    organisation_id: int | None
    author: str
    field: str
    value: str
    created_at: datetime


@dataclass
class CampaignData:
    campaign: Campaign
    organisations: list[OrganisationRow]
    contacts: dict[int, ContactRow]
    contacts_by_org: dict[int, list[ContactRow]] = field(default_factory=dict)
    checks_by_org: dict[int, list[CheckRow]] = field(default_factory=dict)
    check_reviews: dict[int, list[ReviewRow]] = field(default_factory=dict)
    org_reviews: dict[int, list[ReviewRow]] = field(default_factory=dict)
    # (check id, review field) -> that check's reviews of that field, oldest id first.
    check_field_reviews: dict[tuple[int, str], list[ReviewRow]] = field(default_factory=dict)
    # check id -> person -> the etiquette the speech recognition proposed (issue 18)
    proposals: dict[int, dict[int, str]] = field(default_factory=dict)

    @property
    def channels(self) -> set[str]:
        """The campaign's channels as planned, else those its checks used."""
        if self.campaign.channels:
            return set(self.campaign.channels)
        return {c.channel for checks in self.checks_by_org.values() for c in checks}


_ORGS: Table = Organisation.__table__  # type: ignore[attr-defined]
_CONTACTS: Table = Contact.__table__  # type: ignore[attr-defined]
_CHECKS: Table = Check.__table__  # type: ignore[attr-defined]
_REVIEWS: Table = Review.__table__  # type: ignore[attr-defined]


def _rows(session: Session, row: Any, table: Table, where: Any, order: Any = None) -> list[Any]:
    """`row` (a NamedTuple class) for each matching row, its fields selected by name."""
    statement = select(*(table.c[name] for name in row._fields)).where(where)
    if order is not None:
        statement = statement.order_by(order)
    return [row._make(r) for r in session.execute(statement)]


def _sort_key(org: OrganisationRow) -> tuple[bool, int, int]:
    # The protocol's own row order when the directory has it, then the order of import.
    return (org.protocol_row is None, org.protocol_row or 0, org.id)


def load_campaign_data(*, session: Session, campaign: Campaign) -> CampaignData:
    assert campaign.id is not None
    # Core selects skip the ORM's autoflush: pending changes must be visible all the same.
    session.flush()
    in_campaign = _CHECKS.c.campaign_id == campaign.id
    org_level = and_(_REVIEWS.c.campaign_id == campaign.id, _REVIEWS.c.check_id.is_(None))
    checked_orgs = select(_CHECKS.c.organisation_id).where(in_campaign)
    reviewed_orgs = select(_REVIEWS.c.organisation_id).where(org_level)

    def of_campaign(column: Any) -> Any:
        return or_(column.in_(checked_orgs), column.in_(reviewed_orgs))

    organisations = _rows(session, OrganisationRow, _ORGS, of_campaign(_ORGS.c.id))
    contacts = _rows(session, ContactRow, _CONTACTS, of_campaign(_CONTACTS.c.organisation_id))
    checks = _rows(session, CheckRow, _CHECKS, in_campaign, _CHECKS.c.id)
    on_checks = _REVIEWS.c.check_id.in_(select(_CHECKS.c.id).where(in_campaign))
    reviews = _rows(session, ReviewRow, _REVIEWS, or_(on_checks, org_level), _REVIEWS.c.id)
    data = _grouped(campaign, sorted(organisations, key=_sort_key), contacts, checks, reviews)
    data.proposals = _proposals(session, select(_CHECKS.c.id).where(in_campaign))
    return data


def _proposals(session: Session, check_ids: Any) -> dict[int, dict[int, str]]:
    """The etiquette each person's greeting was proposed as (speech recognition, issue 18)."""
    table: Table = GreetingProposal.__table__  # type: ignore[attr-defined]
    statement = select(table.c.check_id, table.c.person, table.c.etiquette).where(
        table.c.check_id.in_(check_ids), table.c.status == "done"
    )
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for check_id, person, etiquette in session.execute(statement):
        if etiquette:
            found[check_id][person] = etiquette
    return dict(found)


def _grouped(
    campaign: Campaign,
    organisations: list[OrganisationRow],
    contacts: list[ContactRow],
    checks: list[CheckRow],
    reviews: list[ReviewRow],
) -> CampaignData:
    contacts_by_org: dict[int, list[ContactRow]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: (c.position, c.id)):
        contacts_by_org[contact.organisation_id].append(contact)
    checks_by_org: dict[int, list[CheckRow]] = defaultdict(list)
    for check in checks:
        checks_by_org[check.organisation_id].append(check)
    check_reviews: dict[int, list[ReviewRow]] = defaultdict(list)
    check_field_reviews: dict[tuple[int, str], list[ReviewRow]] = defaultdict(list)
    org_reviews: dict[int, list[ReviewRow]] = defaultdict(list)
    for review in reviews:
        if review.check_id is not None:
            check_reviews[review.check_id].append(review)
            check_field_reviews[(review.check_id, review.field)].append(review)
        elif review.organisation_id is not None:
            org_reviews[review.organisation_id].append(review)
    return CampaignData(
        campaign=campaign,
        organisations=organisations,
        contacts={c.id: c for c in contacts},
        contacts_by_org=dict(contacts_by_org),
        checks_by_org=dict(checks_by_org),
        check_reviews=dict(check_reviews),
        org_reviews=dict(org_reviews),
        check_field_reviews=dict(check_field_reviews),
    )

"""Everything a campaign's scoring reads, loaded in a handful of queries (not one per row)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.models import Campaign, Check, Contact, Organisation, Review


@dataclass
class CampaignData:
    campaign: Campaign
    organisations: list[Organisation]
    contacts: dict[int, Contact]
    contacts_by_org: dict[int, list[Contact]] = field(default_factory=dict)
    checks_by_org: dict[int, list[Check]] = field(default_factory=dict)
    check_reviews: dict[int, list[Review]] = field(default_factory=dict)
    org_reviews: dict[int, list[Review]] = field(default_factory=dict)

    @property
    def channels(self) -> set[str]:
        """The campaign's channels as planned, else those its checks used."""
        if self.campaign.channels:
            return set(self.campaign.channels)
        return {c.channel for checks in self.checks_by_org.values() for c in checks}


def _sort_key(org: Organisation) -> tuple[bool, int, int]:
    # The protocol's own row order when the directory has it, then the order of import.
    return (org.protocol_row is None, org.protocol_row or 0, org.id or 0)


def load_campaign_data(*, session: Session, campaign: Campaign) -> CampaignData:
    assert campaign.id is not None
    in_campaign = col(Check.campaign_id) == campaign.id
    org_level = and_(col(Review.campaign_id) == campaign.id, col(Review.check_id).is_(None))
    check_ids = select(Check.id).where(in_campaign)
    checked_orgs = select(Check.organisation_id).where(in_campaign)
    reviewed_orgs = select(Review.organisation_id).where(org_level)
    orgs_of_campaign = or_(
        col(Organisation.id).in_(checked_orgs), col(Organisation.id).in_(reviewed_orgs)
    )

    organisations = sorted(
        session.exec(select(Organisation).where(orgs_of_campaign)), key=_sort_key
    )
    contacts = session.exec(
        select(Contact).where(
            or_(
                col(Contact.organisation_id).in_(checked_orgs),
                col(Contact.organisation_id).in_(reviewed_orgs),
            )
        )
    ).all()
    checks = session.exec(select(Check).where(in_campaign).order_by(col(Check.id))).all()
    reviews = session.exec(
        select(Review)
        .where(or_(col(Review.check_id).in_(check_ids), org_level))
        .order_by(col(Review.id))
    ).all()

    data = CampaignData(
        campaign=campaign,
        organisations=organisations,
        contacts={c.id: c for c in contacts if c.id is not None},
    )
    contacts_by_org: dict[int, list[Contact]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: (c.position, c.id or 0)):
        contacts_by_org[contact.organisation_id].append(contact)
    checks_by_org: dict[int, list[Check]] = defaultdict(list)
    for check in checks:
        checks_by_org[check.organisation_id].append(check)
    check_reviews: dict[int, list[Review]] = defaultdict(list)
    org_reviews: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        if review.check_id is not None:
            check_reviews[review.check_id].append(review)
        elif review.organisation_id is not None:
            org_reviews[review.organisation_id].append(review)
    data.contacts_by_org = dict(contacts_by_org)
    data.checks_by_org = dict(checks_by_org)
    data.check_reviews = dict(check_reviews)
    data.org_reviews = dict(org_reviews)
    return data

"""Per-organisation results of a campaign in the protocols' terms (rules in `rules.py`)."""

from __future__ import annotations

from sqlmodel import Session

from probe.scoring.audit import audit_rows
from probe.scoring.data import CampaignData, load_campaign_data
from probe.scoring.mail import mail_row
from probe.scoring.model import CampaignScore
from probe.scoring.names import Channel
from probe.scoring.phone import phone_row
from probe.scoring.protocol5 import protocol5_row
from probe.scoring.rules import RULES_VERSION, deadline_working_days
from probe.scoring.view import OrganisationView
from storage.models import Campaign

__all__ = ["CampaignScore", "score_campaign"]


def _senders(data: CampaignData) -> list[str]:
    """Recorded by each letter (details "sender"), or for a past protocol by its import."""
    found: dict[str, None] = {}
    written = data.campaign.spec.get("sender") if isinstance(data.campaign.spec, dict) else None
    if isinstance(written, str) and written:
        found[written] = None
    for checks in data.checks_by_org.values():
        for check in checks:
            sender = check.details.get("sender") if check.channel == Channel.EMAIL else None
            if isinstance(sender, str) and sender:
                found[sender] = None
    return list(found)


def score_campaign(*, session: Session, campaign: Campaign, audit: bool = True) -> CampaignScore:
    """Protocol 6 tables 1-2, Protocol 5 table 1, what is pending, and (optionally) the audit."""
    data = load_campaign_data(session=session, campaign=campaign)
    score = CampaignScore(
        campaign=campaign,
        rules_version=RULES_VERSION,
        deadline_working_days=deadline_working_days(campaign.spec),
    )
    for number, organisation in enumerate(data.organisations, start=1):
        view = OrganisationView(data=data, organisation=organisation, number=number)
        phone = phone_row(view)
        mail = mail_row(view)
        score.table1.append(phone)
        score.table2.append(mail)
        score.protocol5.append(protocol5_row(view, phone, mail))
        score.pending.extend(view.pending)
        if audit:
            score.audit.extend(audit_rows(view))
    score.senders = _senders(data)
    return score

"""The campaign lifecycle as the runner drives it: a running campaign with no open work left is
finished, one that ended on results later shown to be our outage is reopened. Every change of a
campaign's status is an audit row saying who and why (the operators' own commands are
schedules/campaigns.py)."""

from __future__ import annotations

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.channels import mail_reply_channels, mail_reply_servers
from storage import campaigns as q
from storage import runs
from storage.audit import write_audit
from storage.engine import session_scope
from storage.models import Campaign

log = structlog.get_logger()


def set_status(
    session: Session, campaign: Campaign, status: str, *, actor: str, action: str,
    reason: str | None = None,
) -> None:  # fmt: skip
    """The runner changes a campaign's status, with an audit row saying why."""
    before = {"status": campaign.status}
    q.set_campaign_status(session=session, campaign=campaign, status=status)
    write_audit(
        session=session,
        actor=actor,
        action=action,
        entity="campaign",
        entity_id=str(campaign.id),
        before=before,
        after={"status": status, **({"reason": reason} if reason else {})},
    )


def finish_if_done(session: Session, campaign_id: int, *, actor: str) -> None:
    """A running campaign whose checks are all final (no letter waiting either) is done."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "running":
        return
    if q.open_work(session=session, campaign_id=campaign_id) == 0:
        set_status(session, campaign, "done", actor=actor, action="finish")
        log.info("campaign finished", campaign=campaign.name, actor=actor)


def reopen(session: Session, campaign_id: int, *, actor: str, reason: str) -> None:
    """A campaign that ended on results now retried (our outage after all): its work again."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None and campaign.status == "done":
        set_status(session, campaign, "running", actor=actor, action="reopen", reason=reason)


def finish_all_done(engine: Engine, *, actor: str) -> None:
    """Every running campaign that has nothing left to do is finished."""
    with session_scope(engine) as session:
        for campaign in runs.running_campaigns(session=session):
            assert campaign.id is not None
            finish_if_done(session, campaign.id, actor=actor)


def campaign_channels(engine: Engine) -> set[str]:
    """The channels of the running campaigns (whose services and sweeps the runner keeps), and
    the channels that end follow-ups answered by mail while one of theirs waits (a web-only
    campaign's test question needs the e-mail watcher: probe.channels.MailReply)."""
    with Session(engine) as session:
        campaigns = runs.running_campaigns(session=session)
        channels = {c for campaign in campaigns for c in campaign.channels}
        followed = channels & set(mail_reply_channels())
        if followed and q.any_waiting(
            session=session, campaign_ids=[c.id for c in campaigns if c.id], channels=followed
        ):
            channels |= mail_reply_servers()
        return channels

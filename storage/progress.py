"""Each campaign's checks counted by status, channel and outcome (the campaigns page, the API)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from probe.channels import outcomes_where
from probe.results import CheckStatus
from storage.models import Campaign, Check


def _failed() -> frozenset[str]:
    return outcomes_where(lambda o: o.verdict)


@dataclass
class CampaignProgress:
    campaign: Campaign
    total: int = 0
    done: int = 0
    in_flight: int = 0  # claimed by a worker now
    waiting: int = 0  # sent, waiting for something external (an e-mail reply)
    planned: int = 0
    failed: int = 0  # done with a failure on the organisation's side
    by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    by_outcome: Counter[str] = field(default_factory=Counter)


def campaign_progress(*, session: Session) -> list[CampaignProgress]:
    """Every campaign with its checks counted by status, channel and outcome."""
    campaigns = session.exec(select(Campaign).order_by(col(Campaign.id).desc())).all()
    progress = {c.id: CampaignProgress(campaign=c) for c in campaigns}
    columns = (
        col(Check.campaign_id),
        col(Check.channel),
        col(Check.status),
        col(Check.outcome),
    )
    grouped = session.execute(
        sa_select(*columns, func.count()).where(columns[0].is_not(None)).group_by(*columns)
    ).all()
    for campaign_id, channel, status, outcome, count in grouped:
        item = progress.get(campaign_id)
        if item is not None:
            _count(item, channel=channel, status=status, outcome=outcome, count=count)
    return list(progress.values())


def _count(
    item: CampaignProgress, *, channel: str, status: str, outcome: str | None, count: int
) -> None:
    item.total += count
    slot = {
        CheckStatus.DONE.value: "done",
        CheckStatus.RUNNING.value: "in_flight",
        CheckStatus.WAITING.value: "waiting",
        CheckStatus.PLANNED.value: "planned",
    }.get(status)
    if slot is not None:
        setattr(item, slot, getattr(item, slot) + count)
    if status == CheckStatus.DONE.value and outcome in _failed():
        item.failed += count
    item.by_channel.setdefault(channel, Counter())[status] += count
    if outcome is not None:
        item.by_outcome[outcome] += count

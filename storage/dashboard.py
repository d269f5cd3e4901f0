"""Aggregates behind a campaign's dashboard, read from the campaign's counters (storage.tally:
kept by the transactions that change its checks), never by counting its checks: a campaign of
a million checks comes back as a few thousand counters.

Every figure is about one campaign. Outcomes are the effective ones (after operators'
verdicts, `check_run.effective_outcome`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, cast, select
from sqlmodel import Session, col

from probe.results import CheckStatus
from storage.models import CampaignTally, Organisation
from storage.tally import MEASURES, Measure

__all__ = ["MEASURES", "CampaignFigures", "Measure", "OrganisationCounts", "campaign_figures"]


@dataclass
class OrganisationCounts:
    """One organisation's checks in the campaign: by status, and how many reached it."""

    total: int = 0
    done: int = 0
    success: int = 0  # done with an effective outcome that says the organisation was reachable
    by_status: Counter[str] = field(default_factory=Counter)


@dataclass
class CampaignFigures:
    campaign_id: int
    # (channel, status) -> checks; (channel, effective outcome) -> done checks.
    by_status: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_outcome: Counter[tuple[str, str]] = field(default_factory=Counter)
    overturned: int = 0  # done checks whose outcome an operator's verdict changed
    by_organisation: dict[int, OrganisationCounts] = field(default_factory=dict)
    organisations: dict[int, dict[str, str]] = field(default_factory=dict)  # id -> region, kind…
    timezone: str = "UTC"  # the zone most of the campaign's organisations are in
    by_day: Counter[tuple[date, str]] = field(default_factory=Counter)  # (local day, channel)
    # measure -> channel -> bucket -> checks (bucket: the measure divided by its width)
    histograms: dict[Measure, dict[str, Counter[int]]] = field(default_factory=dict)


def _organisations(session: Session, figures: CampaignFigures) -> None:
    """The campaign's organisations (the ones its counters name: a subquery, not thousands of
    bound ids)."""
    if not figures.by_organisation:
        return
    table = CampaignTally.__table__  # type: ignore[attr-defined]
    counted = select(table.c.a).where(
        table.c.campaign_id == figures.campaign_id, table.c.kind == "org"
    )
    orgs = session.execute(
        select(
            col(Organisation.id),
            col(Organisation.name),
            col(Organisation.short_name),
            col(Organisation.region),
            col(Organisation.kind),
            col(Organisation.address),
            col(Organisation.timezone),
        ).where(cast(col(Organisation.id), String).in_(counted))
    ).all()
    zones: Counter[str] = Counter()
    for org_id, name, short_name, region, kind, address, timezone in orgs:
        figures.organisations[org_id] = {
            "name": name,
            "short_name": short_name,
            "region": region,
            "kind": kind,
            "address": address,
            "timezone": timezone,
        }
        if org_id in figures.by_organisation:
            zones[timezone] += figures.by_organisation[org_id].total
    if zones:
        figures.timezone = zones.most_common(1)[0][0]


def _organisation(figures: CampaignFigures, org: str, state: str, count: int) -> None:
    status, _, reached = state.partition(":")
    item = figures.by_organisation.setdefault(int(org), OrganisationCounts())
    item.total += count
    item.by_status[status] += count
    if status == CheckStatus.DONE.value:
        item.done += count
        item.success += count if reached == "1" else 0


def campaign_figures(
    *, session: Session, campaign_id: int, offset_minutes: object = None
) -> CampaignFigures:
    """Everything the dashboard draws. `offset_minutes(zone) -> int` gives the campaign's zone
    offset from UTC for the local days (Russia keeps no summer time)."""
    figures = CampaignFigures(campaign_id=campaign_id)
    hours: Counter[tuple[int, str]] = Counter()
    histograms: dict[Measure, dict[str, Counter[int]]] = {m: {} for m in MEASURES}
    names = {f"{where}.{key}": (where, key) for where, key in MEASURES}
    table = CampaignTally.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(
        select(table.c.kind, table.c.channel, table.c.a, table.c.b, table.c.n).where(
            table.c.campaign_id == campaign_id, table.c.n != 0
        )
    )
    for kind, channel, a, b, count in rows:
        if kind == "status":
            figures.by_status[(channel, a)] += count
        elif kind == "outcome":
            figures.by_outcome[(channel, a)] += count
        elif kind == "overturned":
            figures.overturned += count
        elif kind == "org":
            _organisation(figures, a, b, count)
        elif kind == "hour":
            hours[(int(a), channel)] += count
        elif kind == "hist" and a in names:
            histograms[names[a]].setdefault(channel, Counter())[int(b)] += count
    figures.histograms = histograms
    _organisations(session, figures)
    offset = offset_minutes(figures.timezone) if callable(offset_minutes) else 0
    for (hour, channel), count in hours.items():
        local = datetime.fromtimestamp(hour * 3600, UTC) + timedelta(minutes=offset)
        figures.by_day[(local.date(), channel)] += count
    return figures

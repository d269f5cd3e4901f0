"""Aggregates behind a campaign's dashboard, counted by the database (GROUP BY), never by
looping over checks in Python: a campaign of a million checks comes back as a few hundred rows.

Every figure is about one campaign. Outcomes are the effective ones: an operator's verdict that
overturned the automatic outcome moves its check from one outcome to the other (the overturned
verdicts are few; they are read alone, through a partial index).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, select, text
from sqlmodel import Session, col

from probe.channels import UnknownChannelError, channel_spec, outcomes_where
from probe.results import CheckStatus
from probe.reviews import ReviewField
from storage.models import Check, Organisation, Review

# (where the number lives, its key): the JSON columns a channel fills (phase timings in ms,
# details such as the working days a reply took).
Measure = tuple[str, str]


@dataclass
class OrganisationCounts:
    """One organisation's checks in the campaign: by status, and how many reached it."""

    total: int = 0
    done: int = 0
    success: int = 0  # done with an outcome that says the organisation was reachable
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


def _allowed(channel: str) -> frozenset[str]:
    try:
        return channel_spec(channel).outcome_names
    except UnknownChannelError:
        return frozenset()


def overturned_outcomes(session: Session, check_ids: Any) -> dict[int, tuple[str, str, str]]:
    """check id -> (channel, automatic outcome, outcome after the newest valid verdict), for
    the checks among `check_ids` (a select of ids) whose verdict changed the outcome (rule R4:
    the newest valid verdict decides; «confirmed» keeps the automatic outcome)."""
    verdict = col(Review.field) == ReviewField.VERDICT.value
    # Spelled out, not bound: the partial index ix_review_overturned is chosen only for a
    # condition the planner can see implies its own.
    overturned = select(col(Review.check_id)).where(
        text("review.field = 'verdict' AND review.value <> 'confirmed'")
    )
    rows = session.execute(
        select(
            col(Review.check_id),
            col(Review.value),
            col(Review.created_at),
            col(Review.id),
            col(Check.channel),
            col(Check.outcome),
            col(Check.status),
        )
        .join(Check, col(Check.id) == col(Review.check_id))
        .where(verdict, col(Review.check_id).in_(overturned), col(Review.check_id).in_(check_ids))
    ).all()
    newest: dict[int, tuple[Any, ...]] = {}
    for check_id, value, created_at, review_id, channel, outcome, status in rows:
        if status != CheckStatus.DONE.value or (
            value != "confirmed" and value not in _allowed(channel)
        ):
            continue
        key = (created_at, review_id)
        if check_id not in newest or key > newest[check_id][0]:
            newest[check_id] = (key, value, channel, outcome)
    return {
        check_id: (channel, outcome, value)
        for check_id, (_, value, channel, outcome) in newest.items()
        if value != "confirmed" and value != outcome
    }


def _apply_verdicts(session: Session, campaign_id: int, figures: CampaignFigures) -> None:
    in_campaign = select(col(Check.id)).where(col(Check.campaign_id) == campaign_id)
    for channel, automatic, effective in overturned_outcomes(session, in_campaign).values():
        figures.by_outcome[(channel, automatic)] -= 1
        figures.by_outcome[(channel, effective)] += 1
        figures.overturned += 1
    for key in [k for k, n in figures.by_outcome.items() if n <= 0]:
        del figures.by_outcome[key]


def _by_organisation(session: Session, campaign_id: int, figures: CampaignFigures) -> None:
    reached = sorted(outcomes_where(lambda o: o.success))
    success = case((col(Check.outcome).in_(reached), 1), else_=0)
    rows = session.execute(
        select(col(Check.organisation_id), col(Check.status), success, func.count())
        .where(col(Check.campaign_id) == campaign_id)
        .group_by(col(Check.organisation_id), col(Check.status), success)
    ).all()
    for organisation_id, status, ok, count in rows:
        item = figures.by_organisation.setdefault(organisation_id, OrganisationCounts())
        item.total += count
        item.by_status[status] += count
        if status == CheckStatus.DONE.value:
            item.done += count
            item.success += count if ok else 0
    if not figures.by_organisation:
        return
    orgs = session.execute(
        select(
            col(Organisation.id),
            col(Organisation.name),
            col(Organisation.short_name),
            col(Organisation.region),
            col(Organisation.kind),
            col(Organisation.address),
            col(Organisation.timezone),
        ).where(col(Organisation.id).in_(list(figures.by_organisation)))
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
        zones[timezone] += figures.by_organisation[org_id].total
    figures.timezone = zones.most_common(1)[0][0]


def _local_day(session: Session, timezone: str, offset_minutes: int) -> Any:
    """The local day of a check's end: PostgreSQL converts by the zone itself; SQLite, which
    knows no zones, by the zone's offset (Russia keeps no summer time)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(timezone, col(Check.finished_at)), Date)
    return func.date(col(Check.finished_at), f"{offset_minutes:+d} minutes")


def _bucket(measure: Measure, width: float) -> Any:
    where, key = measure
    column = col(Check.timings_ms) if where == "timings_ms" else col(Check.details)
    value = column[key].as_float()
    done = col(Check.status) == CheckStatus.DONE.value
    return case((and_(done, value >= 0), cast(value / literal(width), Integer)), else_=None)


def _one_pass(
    session: Session,
    campaign_id: int,
    figures: CampaignFigures,
    offset: int,
    measures: dict[Measure, float],
) -> None:
    """Status, outcome, local day and every histogram's bucket in one GROUP BY: the campaign's
    checks are read once (a few thousand groups come back, not a million rows)."""
    day = _local_day(session, figures.timezone, offset)
    buckets = [_bucket(measure, width) for measure, width in measures.items()]
    keys = [col(Check.channel), col(Check.status), col(Check.outcome), day, *buckets]
    rows = session.execute(
        select(*keys, func.count()).where(col(Check.campaign_id) == campaign_id).group_by(*keys)
    ).all()
    histograms: dict[Measure, dict[str, Counter[int]]] = {m: {} for m in measures}
    for channel, status, outcome, when, *found, count in rows:
        figures.by_status[(channel, status)] += count
        if status != CheckStatus.DONE.value:
            continue
        if outcome is not None:
            figures.by_outcome[(channel, outcome)] += count
        if when is not None:
            when = when if isinstance(when, date) else date.fromisoformat(str(when))
            figures.by_day[(when, channel)] += count
        for measure, index in zip(measures, found, strict=True):
            if index is not None:
                histograms[measure].setdefault(channel, Counter())[int(index)] += count
    figures.histograms = histograms


def campaign_figures(
    *,
    session: Session,
    campaign_id: int,
    measures: dict[Measure, float],
    offset_minutes: Any = None,
) -> CampaignFigures:
    """Everything the dashboard draws. `measures`: each JSON number to histogram and its bucket
    width (in its own unit: ms, days); `offset_minutes(zone) -> int` gives SQLite the zone's
    offset from UTC for the local days."""
    figures = CampaignFigures(campaign_id=campaign_id)
    _by_organisation(session, campaign_id, figures)
    offset = offset_minutes(figures.timezone) if offset_minutes else 0
    _one_pass(session, campaign_id, figures, offset, measures)
    _apply_verdicts(session, campaign_id, figures)
    return figures


def campaign_stamp(*, session: Session, campaign_id: int) -> tuple[Any, ...]:
    """What changes whenever a figure may: the newest change to a check of the campaign (an
    index probe on ix_check_campaign_updated; a new check is a change too) and the newest
    review anywhere (a verdict moves an outcome)."""
    newest = session.execute(
        select(func.max(col(Check.updated_at))).where(col(Check.campaign_id) == campaign_id)
    ).scalar()
    review = session.execute(select(func.max(col(Review.id)))).scalar()
    return (newest, review)

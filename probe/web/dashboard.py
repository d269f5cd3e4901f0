"""A campaign at a glance (`/campaigns/{id}`): progress by channel and by day, effective
outcomes, reply latency in working days, ring and answer times, views by region, district and
kind of organisation; `/campaigns/{id}/live` is the same figures as a fragment the page fetches
again while the campaign runs (static/live.js).

The figures are the campaign's counters (storage.dashboard, storage.tally), kept by the
transactions that change its checks: every view reads them as they are now, a campaign of a
million checks as fast as a small one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.engine import Engine

from probe.directory.districts import district_of
from probe.directory.regions import all_regions
from probe.results import utc_now
from probe.web import labels, svg
from probe.web.deps import CurrentUser, PageError, page_user, web_state
from probe.web.render import render
from storage.dashboard import MEASURES, CampaignFigures, Measure, campaign_figures
from storage.engine import session_scope
from storage.models import Campaign
from storage.tally import ANSWER, REPLY_DAYS, RING

router = APIRouter(include_in_schema=False)
REGION_NAMES = {region.code: region.name for region in all_regions()}
REFRESH_S = 15  # the page asks for fresh figures this often while the campaign runs
LEFT = ("planned", "running")
LAST_BUCKET = {REPLY_DAYS: 10, RING: 12, ANSWER: 12}


def _offset_minutes(zone: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds() // 60) if offset else 0


def figures_for(engine: Engine, campaign: Campaign) -> CampaignFigures:
    """The campaign's figures as its counters hold them now."""
    assert campaign.id is not None
    with session_scope(engine) as db:
        return campaign_figures(session=db, campaign_id=campaign.id, offset_minutes=_offset_minutes)


# --- what the page shows ----------------------------------------------------------------------


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    waiting: int = 0
    left: int = 0
    cancelled: int = 0

    @property
    def percent(self) -> str:
        return f"{self.done * 100 / self.total:.0f}" if self.total else "0"


@dataclass
class GroupRow:
    name: str
    organisations: int = 0
    total: int = 0
    done: int = 0
    success: int = 0
    waiting: int = 0
    left: int = 0

    @property
    def share(self) -> str:
        return f"{self.success * 100 / self.done:.0f} %" if self.done else "—"


@dataclass
class DashboardView:
    campaign: Campaign
    zone: str
    progress: Progress
    by_channel: dict[str, Progress]
    outcomes: list[tuple[str, str, int]]  # channel, outcome, checks
    overturned: int
    charts: dict[str, Markup] = field(default_factory=dict)
    groups: dict[str, list[GroupRow]] = field(default_factory=dict)
    running: bool = False
    counted_at: str = ""


def _progress(figures: CampaignFigures) -> tuple[Progress, dict[str, Progress]]:
    whole, by_channel = Progress(), dict[str, Progress]()
    for (channel, status), count in sorted(figures.by_status.items()):
        for item in (whole, by_channel.setdefault(channel, Progress())):
            item.total += count
            if status == "done":
                item.done += count
            elif status == "waiting":
                item.waiting += count
            elif status in LEFT:
                item.left += count
            else:
                item.cancelled += count
    return whole, by_channel


def _groups(figures: CampaignFigures) -> dict[str, list[GroupRow]]:
    views: dict[str, dict[str, GroupRow]] = {"region": {}, "district": {}, "kind": {}}
    for org_id, counts in figures.by_organisation.items():
        org = figures.organisations.get(org_id, {})
        names = {
            "region": REGION_NAMES.get(org.get("region", ""), org.get("region", "")),
            "district": district_of(org.get("name", ""), org.get("address", "")),
            "kind": org.get("kind", ""),
        }
        for view, name in names.items():
            row = views[view].setdefault(name or "не указан", GroupRow(name or "не указан"))
            row.organisations += 1
            row.total += counts.total
            row.done += counts.done
            row.success += counts.success
            row.waiting += counts.by_status.get("waiting", 0)
            row.left += sum(counts.by_status.get(s, 0) for s in LEFT)
    return {view: sorted(rows.values(), key=lambda r: (-r.total, r.name))
            for view, rows in views.items()}  # fmt: skip


def _day_chart(figures: CampaignFigures) -> Markup:
    days = sorted({day for day, _ in figures.by_day})
    if not days:
        return Markup("")
    span = [days[0] + timedelta(days=n) for n in range((days[-1] - days[0]).days + 1)][-62:]
    channels = sorted({channel for _, channel in figures.by_day})
    series = [
        svg.Series(
            labels.label(labels.CHANNELS, ch), [figures.by_day.get((d, ch), 0) for d in span]
        )
        for ch in channels
    ]
    return svg.columns(
        [d.strftime("%d.%m") for d in span], series,
        title="Завершённые проверки по дням", y_label="проверок за день",
    )  # fmt: skip


def _colour(channel: str) -> str:
    """One colour per channel on every chart, in the registry's order."""
    names = labels.listed_channels()
    index = names.index(channel) if channel in names else len(names)
    return svg.PALETTE[index % len(svg.PALETTE)]


def _bucket_label(measure: Measure, index: int, last: bool) -> str:
    """A column's span in the chart's unit (working days, seconds: the caption says which)."""
    width = MEASURES[measure] / (1 if measure == REPLY_DAYS else 1000)
    low = f"{index * width:g}"
    return f"≥ {low}" if last else (low if width == 1 else f"{low}–{(index + 1) * width:g}")


def _histogram_chart(figures: CampaignFigures, measure: Measure, title: str, unit: str) -> Markup:
    found = figures.histograms.get(measure, {})
    if not any(found.values()):
        return Markup("")
    last = LAST_BUCKET[measure]
    series = []
    for channel, buckets in sorted(found.items()):
        capped: Counter[int] = Counter()
        for index, count in buckets.items():
            capped[min(index, last)] += count
        values = [capped.get(i, 0) for i in range(last + 1)]
        name = labels.label(labels.CHANNELS, channel)
        series.append(svg.Series(name, values, _colour(channel)))
    names = [_bucket_label(measure, i, i == last) for i in range(last + 1)]
    return svg.columns(names, series, title=title, y_label=unit)


def _outcome_chart(outcomes: list[tuple[str, str, int]]) -> Markup:
    items = [
        (f"{labels.label(labels.OUTCOMES, o)} ({labels.label(labels.CHANNELS, ch)})", n)
        for ch, o, n in outcomes
    ]
    colours = [_colour(ch) for ch, _, _ in outcomes]
    return svg.bars(items, title="Исходы завершённых проверок", colours=colours)


def dashboard_view(campaign: Campaign, figures: CampaignFigures) -> DashboardView:
    progress, by_channel = _progress(figures)
    outcomes = sorted(
        ((ch, o, n) for (ch, o), n in figures.by_outcome.items()), key=lambda x: (x[0], -x[2])
    )
    view = DashboardView(
        campaign=campaign, zone=figures.timezone, progress=progress, by_channel=by_channel,
        outcomes=outcomes, overturned=figures.overturned, groups=_groups(figures),
        running=campaign.status == "running",
        counted_at=labels.local_time(utc_now(), figures.timezone, zone_named=False),
    )  # fmt: skip
    view.charts = {
        "days": _day_chart(figures),
        "outcomes": _outcome_chart(outcomes),
        "reply": _histogram_chart(figures, REPLY_DAYS, "Срок ответа на письма", "писем"),
        "ring": _histogram_chart(figures, RING, "Длительность гудков до ответа", "звонков"),
        "answer": _histogram_chart(figures, ANSWER, "Время от вызова до ответа", "звонков"),
    }
    return view


def _campaign(engine: Engine, campaign_id: int) -> Campaign:
    if not 1 <= campaign_id <= 2**31 - 1:
        raise PageError(404, "Кампания не найдена.")
    with session_scope(engine) as db:
        campaign = db.get(Campaign, campaign_id)
        if campaign is None:
            raise PageError(404, "Кампания не найдена.")
        db.expunge(campaign)
    return campaign


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def dashboard(
    request: Request, campaign_id: int, user: CurrentUser = Depends(page_user)
) -> Response:
    engine = web_state(request).engine
    campaign = _campaign(engine, campaign_id)
    view = dashboard_view(campaign, figures_for(engine, campaign))
    return render(request, "dashboard.html", {"v": view, "refresh_s": REFRESH_S}, user=user)


@router.get("/campaigns/{campaign_id}/live", response_class=HTMLResponse)
def dashboard_live(
    request: Request, campaign_id: int, user: CurrentUser = Depends(page_user)
) -> Response:
    engine = web_state(request).engine
    campaign = _campaign(engine, campaign_id)
    view = dashboard_view(campaign, figures_for(engine, campaign))
    return render(request, "dashboard_live.html", {"v": view, "refresh_s": REFRESH_S}, user=user)

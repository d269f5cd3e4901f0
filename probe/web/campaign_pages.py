"""Running campaigns from the browser: create one (the YAML's spec, from a form), see its plan
as a calendar in each organisation's hours, start, pause, resume or cancel it — the CLI's own
functions (schedules.campaigns), so both refuse the same things."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData

from probe.channels import channel_labels
from probe.directory.regions import all_regions
from probe.hours import WeeklySchedule
from probe.policies import channel_sections
from probe.results import utc_now
from probe.ru import human_minutes
from probe.web import campaign_form, import_text, labels
from probe.web.audit import display_zone
from probe.web.deps import CurrentUser, PageError, csrf_form, page_admin, page_user, web_state
from probe.web.filters import MAX_ID
from probe.web.render import render
from schedules import campaigns as service
from schedules.skips import Skip
from schedules.spec import CampaignSpec, CampaignSpecError
from storage.engine import session_scope
from storage.models import AuditLog, Campaign, Check, Contact, Organisation
from storage.planning import PlannedAttempt
from storage.users import Role

router = APIRouter(include_in_schema=False)
REGION_NAMES = {region.code: region.name for region in all_regions()}
MAX_DAYS = 62  # calendar columns; a longer campaign shows its first two months
ACTIONS = {
    "start": "Запустить",
    "pause": "Приостановить",
    "resume": "Продолжить",
    "cancel": "Отменить кампанию",
}
DONE = {
    "start": "Кампания запущена",
    "pause": "Кампания приостановлена: новые проверки не начинаются, начатые завершатся.",
    "resume": "Кампания продолжена.",
    "cancel": "Кампания отменена: запланированные проверки сняты, результаты сохранены.",
    "created": "Кампания создана (черновик). Проверьте план и запустите её.",
}


JOURNAL = {
    "create": "создана",
    "start": "запущена",
    "pause": "приостановлена",
    "resume": "продолжена",
    "cancel": "отменена",
    "finish": "завершена: работы не осталось",
    "reopen": "открыта снова",
}
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def hours_text(hours: dict[str, Any] | None) -> str:
    """Stored working hours as staff read them: «пн–чт 8:30–17:45, пт 8:30–16:30; перерыв
    13:00–14:00», marked when they are the region's default rather than the organisation's."""
    if not hours:
        return "не известны (пятидневка по умолчанию)"
    schedule = WeeklySchedule.model_validate(hours)
    groups: list[tuple[list[int], str]] = []
    for day in schedule.days:
        breaks = ", ".join(f"{b.start:%-H:%M}–{b.end:%-H:%M}" for b in day.breaks)
        text = f"{day.opens:%-H:%M}–{day.closes:%-H:%M}" + (f", перерыв {breaks}" if breaks else "")
        if groups and groups[-1][1] == text and groups[-1][0][-1] == day.weekday - 1:
            groups[-1][0].append(day.weekday)
        else:
            groups.append(([day.weekday], text))
    shown = "; ".join(
        (WEEKDAYS[d[0]] if len(d) == 1 else f"{WEEKDAYS[d[0]]}–{WEEKDAYS[d[-1]]}") + f" {text}"
        for d, text in groups
    )
    return shown + (" (по умолчанию для региона)" if schedule.assumed else "")


def _choices(request: Request) -> dict[str, Any]:
    """What the form offers: the registry's channels, the regions and kinds in the directory."""
    with session_scope(web_state(request).engine) as db:
        active = col(Organisation.active).is_(True)
        regions = db.exec(select(Organisation.region).where(active).distinct()).all()
        kinds = db.exec(select(Organisation.kind).where(active).distinct()).all()
    names = channel_labels()
    return {
        "channels": [(c, names.get(c, c)) for c in labels.listed_channels()],
        "regions": sorted((r, REGION_NAMES.get(r, r)) for r in regions),
        "kinds": sorted(k for k in kinds if k),
        "numbers": campaign_form.numbers(),
        "switches": campaign_form.switches("retries"),
        "option_switches": campaign_form.switches("options"),
        "selects": campaign_form.selects(),
        "checklists": campaign_form.checklists(),
    }


def _form_page(
    request: Request,
    user: CurrentUser,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    lists: dict[str, list[str]],
    status: int = 200,
) -> Response:
    context = {"values": values, "errors": errors, "lists": lists, **_choices(request)}
    return render(request, "campaign_new.html", context, user=user, status_code=status)


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request, user: CurrentUser = Depends(page_admin)) -> Response:
    lists = {"channels": labels.listed_channels(), "region": [], "kind": []}
    with session_scope(web_state(request).engine) as db:
        zone = display_zone(db)
    # Two weeks from today, the ministry's today on the process's clock: the sandbox's
    # compressed clock is months away from the calendar on the wall.
    today = utc_now().astimezone(ZoneInfo(zone)).date()
    dates = {"start": today.isoformat(), "end": (today + timedelta(days=13)).isoformat()}
    return _form_page(request, user, {**campaign_form.defaults(), **dates}, {}, lists)


@router.post("/campaigns/new", response_class=HTMLResponse)
def create_campaign(
    request: Request, form: FormData = Depends(csrf_form), user: CurrentUser = Depends(page_admin)
) -> Response:
    data, shown = campaign_form.spec_data(form)
    lists = {k: [str(v) for v in form.getlist(k)] for k in ("channels", "region", "kind")}
    spec, errors = campaign_form.validate(data)
    if spec is not None:
        try:
            campaign = service.create(
                engine=web_state(request).engine, spec=spec, actor=user.username
            )
            return RedirectResponse(f"/campaigns/{campaign.id}/plan?done=created", status_code=303)
        except CampaignSpecError as error:
            errors = campaign_form.unknown_channel_errors(error.unknown_channels)
        except service.CampaignError:
            errors = {"name": [f"Кампания «{spec.name}» уже есть: выберите другое имя."]}
    return _form_page(request, user, shown, errors, lists, status=400)


@dataclass
class OrgRow:
    org: Organisation
    zone: str
    hours: str
    # Each attempt as (local time, channel, contact as published).
    days: dict[date, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))


def _campaign(db: Any, campaign_id: int) -> Campaign:
    campaign = db.get(Campaign, campaign_id) if 1 <= campaign_id <= MAX_ID else None
    if campaign is None:
        raise PageError(404, "Кампания не найдена.")
    return campaign


def _attempts(
    request: Request, campaign: Campaign
) -> tuple[list[PlannedAttempt], list[tuple[int, Skip]]]:
    """A draft: what `start` would plan now (nothing written); else its planned checks."""
    state = web_state(request)
    engine = state.engine
    if campaign.status == "draft":
        preview = state.previews.get(engine, campaign, utc_now())
        return preview.attempts, preview.skipped
    with session_scope(engine) as db:
        checks = db.exec(
            select(Check)
            .where(col(Check.campaign_id) == campaign.id, col(Check.status) == "planned")
            .order_by(col(Check.planned_at))
        ).all()
    return [
        PlannedAttempt(c.organisation_id, c.contact_id, c.channel, c.planned_at, "")
        for c in checks
        if c.planned_at is not None
    ], []


def _calendar(
    request: Request,
    spec: CampaignSpec,
    attempts: list[PlannedAttempt],
    skipped: list[tuple[int, Skip]],
) -> tuple[list[date], list[OrgRow], list[tuple[Organisation | None, str]]]:
    ids = {a.organisation_id for a in attempts} | {o for o, _ in skipped}
    with session_scope(web_state(request).engine) as db:
        orgs = {o.id: o for o in db.exec(select(Organisation).where(col(Organisation.id).in_(ids)))}
        contacts = {
            c.id: c for c in db.exec(select(Contact).where(col(Contact.organisation_id).in_(ids)))
        }
    names = channel_labels()
    rows: dict[int, OrgRow] = {}
    for attempt in attempts:
        org = orgs[attempt.organisation_id]
        row = rows.get(org.id or 0)
        if row is None:
            row = OrgRow(org=org, zone=org.timezone, hours=hours_text(org.hours))
            rows[org.id or 0] = row
        local = attempt.planned_at.astimezone(ZoneInfo(org.timezone))
        contact = contacts.get(attempt.contact_id)
        shown = contact.raw if contact is not None else f"№{attempt.contact_id}"
        channel = names.get(attempt.channel, attempt.channel)
        row.days[local.date()].append((f"{local:%H:%M}", channel, shown))
    days = [spec.start + timedelta(days=n) for n in range((spec.end - spec.start).days + 1)]
    missed = [(orgs.get(o), import_text.plan_reason(r)) for o, r in skipped]
    return days[:MAX_DAYS], sorted(rows.values(), key=lambda r: r.org.id or 0), missed


def _rules(spec: CampaignSpec) -> list[tuple[str, str]]:
    """The campaign page's rules: the windows, each channel's lines (its campaign section's
    `summary`), politeness with the channels' limits (their form fields' `summary`)."""
    rules = [
        (
            "Окна",
            f"в рабочие часы каждой организации, не раньше чем через "
            f"{human_minutes(spec.margins.after_opening_minutes)} после открытия и не позже чем за "
            f"{human_minutes(spec.margins.before_closing_minutes)} до закрытия",
        )
    ]
    politeness = [
        f"пауза между попытками к одной организации {human_minutes(spec.limits.quiet_minutes)}"
    ]
    for channel, section in channel_sections():
        if not channel.listed:
            continue
        if section.summary is not None:
            rules += section.summary(spec.policy(channel.name))
        politeness += [
            f.summary.format(spec.limits.value(f.path.removeprefix("limits.")))
            for f in section.form
            if f.summary and f.path.startswith("limits.")
        ]
    return [*rules, ("Вежливость", ", ".join(politeness))]


def _journal(request: Request, campaign_id: int, zone: str) -> list[tuple[str, str, str]]:
    """The campaign's audit rows, oldest first: (local time, who, what)."""
    with session_scope(web_state(request).engine) as db:
        rows = db.exec(
            select(AuditLog)
            .where(col(AuditLog.entity) == "campaign", col(AuditLog.entity_id) == str(campaign_id))
            .order_by(col(AuditLog.id))
        ).all()
    shown = []
    for row in rows:
        what = JOURNAL.get(row.action, row.action)
        reason = (row.after or {}).get("reason")
        local = row.at.replace(tzinfo=row.at.tzinfo or UTC).astimezone(ZoneInfo(zone))
        shown.append(
            (f"{local:%d.%m.%Y %H:%M}", row.actor, what + (f" ({reason})" if reason else ""))
        )
    return shown


def plan_page(
    request: Request, user: CurrentUser, campaign_id: int, *, error: str | None = None
) -> Response:
    with session_scope(web_state(request).engine) as db:
        campaign = _campaign(db, campaign_id)
    spec = CampaignSpec.model_validate(campaign.spec)
    attempts, skipped = _attempts(request, campaign)
    days, rows, missed = _calendar(request, spec, attempts, skipped)
    zones = sorted({r.zone for r in rows})
    # The journal in the zone of most of the plan's organisations (Moscow when it has none).
    counts = Counter(r.zone for r in rows) + Counter(o.timezone for o, _ in missed if o)
    journal_zone = counts.most_common(1)[0][0] if counts else "Europe/Moscow"
    by_channel: dict[str, int] = defaultdict(int)
    for attempt in attempts:
        by_channel[attempt.channel] += 1
    allowed = [a for a, (sources, _) in service.TRANSITIONS.items() if campaign.status in sources]
    done = request.query_params.get("done", "")
    context = {
        "c": campaign,
        "spec": spec,
        "days": days,
        "rows": rows,
        "missed": missed,
        "zones": zones,
        "total": len(attempts),
        "by_channel": dict(by_channel),
        "channel_names": channel_labels(),
        "rules": _rules(spec),
        "region_names": REGION_NAMES,
        "actions": [(a, ACTIONS[a]) for a in allowed] if user.at_least(Role.ADMIN) else [],
        "done": DONE.get(done),
        "error": error,
        "preview": campaign.status == "draft",
        "journal_zone": journal_zone,
        "journal": _journal(request, campaign_id, journal_zone),
    }
    return render(
        request, "campaign_plan.html", context, user=user, status_code=400 if error else 200
    )


@router.get("/campaigns/{campaign_id}/plan", response_class=HTMLResponse)
def campaign_plan(
    request: Request, campaign_id: int, user: CurrentUser = Depends(page_user)
) -> Response:
    return plan_page(request, user, campaign_id)


def refusal_text(refusal: service.NothingToPlan) -> str:
    """Why a campaign cannot start, in Russian, as `start` found it."""
    if not refusal.skipped:
        reasons = "ни одна действующая организация не подходит под выбор кампании"
    else:
        reasons = "; ".join(
            f"{import_text.plan_reason(r)} — организаций: {n}"
            for r, n in refusal.reasons().most_common()
        )
    text = f"Кампанию нельзя запустить: не удаётся запланировать ни одной проверки ({reasons})."
    if refusal.ended is not None:
        text += (
            f" Последний день кампании, {refusal.ended:%d.%m.%Y}, уже прошёл: создайте "
            "кампанию с новыми датами."
        )
    return text


@router.post("/campaigns/{campaign_id}/lifecycle", response_class=HTMLResponse)
def lifecycle(
    request: Request,
    campaign_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_admin),
) -> Response:
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        raise PageError(400, f"Неизвестное действие: «{action}».")
    with session_scope(web_state(request).engine) as db:
        campaign = _campaign(db, campaign_id)
    if action == "cancel" and form.get("confirm") != "1":
        return plan_page(
            request,
            user,
            campaign_id,
            error="Отмена кампании необратима: отметьте «Да, отменить» и нажмите кнопку ещё раз.",
        )
    try:
        report = service.transition(
            engine=web_state(request).engine,
            name=campaign.name,
            action=action,
            actor=user.username,
            now=utc_now(),
        )
    except service.NothingToPlan as refusal:
        return plan_page(request, user, campaign_id, error=refusal_text(refusal))
    except service.CampaignError:
        status = labels.label(labels.CAMPAIGN_STATUSES, campaign.status)
        return plan_page(
            request,
            user,
            campaign_id,
            error=f"Действие «{ACTIONS[action]}» "
            f"невозможно: кампания сейчас в состоянии «{status}».",
        )
    suffix = f"&planned={report['planned']}" if "planned" in report else ""
    return RedirectResponse(f"/campaigns/{campaign_id}/plan?done={action}{suffix}", status_code=303)

"""Campaign life cycle: create from a spec, plan, start, pause, resume, cancel."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from probe.channels import available_channels
from schedules.lifecycle import set_status
from schedules.planner import PlanResult, plan_campaign
from schedules.skips import Skip, skip_json
from schedules.spec import CampaignSpec, CampaignSpecError, check_options
from storage import campaigns as q
from storage.audit import write_audit
from storage.checks import create_campaign, get_campaign_by_name
from storage.engine import session_scope
from storage.models import Campaign

log = structlog.get_logger()

TRANSITIONS = {
    "start": ({"draft"}, "running"),
    "pause": ({"running", "recurring"}, "paused"),
    "resume": ({"paused"}, "running"),
    "cancel": ({"draft", "running", "paused", "recurring"}, "cancelled"),
}


class CampaignError(ValueError):
    pass


class NothingToPlan(CampaignError):
    """`start` refused: not one attempt can be planned. `skipped` says why, per organisation
    (empty when no organisation matches the selection); `ended` is the campaign's last day when
    it is already over at the start."""

    def __init__(
        self, name: str, skipped: list[tuple[int, Skip]], *, ended: date | None = None
    ) -> None:
        self.name = name
        self.skipped = skipped
        self.ended = ended
        super().__init__(f"cannot start campaign {name!r}: nothing can be planned ({self.why()})")

    def reasons(self) -> Counter[Skip]:
        """How many organisations were skipped for each reason."""
        return Counter(reason for _, reason in self.skipped)

    def why(self) -> str:
        if not self.skipped:
            return "no active organisation matches the campaign's selection"
        text = "; ".join(
            f"{count} organisation(s): {reason}" for reason, count in self.reasons().most_common()
        )
        if self.ended is not None:
            text += f"; the campaign's last day, {self.ended}, is already over"
        return text


def check_channels(spec: CampaignSpec) -> None:
    known = set(available_channels())
    unknown = [c for c in spec.channels if c not in known]
    if unknown:
        raise CampaignSpecError(
            spec.name,
            [
                f"channels: unknown channel {c!r}; available: {', '.join(sorted(known))}"
                for c in unknown
            ],
            unknown_channels=unknown,
        )


def create(*, engine: Engine, spec: CampaignSpec, actor: str) -> Campaign:
    """A draft campaign; refused (CampaignSpecError) before anything is written when a channel
    is unknown or a channel's options are not what its options model reads."""
    check_channels(spec)
    check_options(spec)
    with session_scope(engine) as session:
        if get_campaign_by_name(session=session, name=spec.name) is not None:
            raise CampaignError(f"a campaign named {spec.name!r} exists already")
        campaign = create_campaign(
            session=session,
            name=spec.name,
            title=spec.title,
            channels=spec.channels,
            spec=spec.model_dump(mode="json"),
        )
        campaign.starts_on, campaign.ends_on = spec.start, spec.end
        write_audit(
            session=session,
            actor=actor,
            action="create",
            entity="campaign",
            entity_id=str(campaign.id),
            before=None,
            after={"name": spec.name},
        )
        return campaign


def get(*, engine: Engine, name: str) -> Campaign:
    with session_scope(engine) as session:
        campaign = get_campaign_by_name(session=session, name=name)
        if campaign is None:
            raise CampaignError(f"no campaign named {name!r}")
        return campaign


def plan(*, engine: Engine, name: str, now: datetime) -> tuple[CampaignSpec, PlanResult]:
    """The plan the campaign would get if started at `now`; nothing is written."""
    campaign = get(engine=engine, name=name)
    spec = CampaignSpec.model_validate(campaign.spec)
    with session_scope(engine) as session:
        orgs = q.select_organisations(session=session, selection=spec.organisations)
        inputs = q.plan_inputs(session=session, organisations=orgs, channels=spec.channels)
    return spec, plan_campaign(spec, inputs, now=now)


def transition(
    *, engine: Engine, name: str, action: str, actor: str, now: datetime
) -> dict[str, Any]:
    """start (plans the first attempts), pause, resume or cancel; returns what was done."""
    allowed_from, target = TRANSITIONS[action]
    report: dict[str, Any] = {"campaign": name, "action": action}
    recurring = CampaignSpec.model_validate(get(engine=engine, name=name).spec).recurrence
    if recurring is not None and action in ("start", "resume"):
        # A template plans nothing itself: the runner starts dated copies.
        target = "recurring"
    elif action == "start":
        spec, result = plan(engine=engine, name=name, now=now)
        if not result.attempts:
            # Every Russian zone is ahead of UTC: a day over in UTC is over everywhere.
            ended = spec.end if spec.end < now.astimezone(UTC).date() else None
            raise NothingToPlan(name, result.skipped, ended=ended)
        report["planned"] = len(result.attempts)
        report["skipped"] = [skip_json(o, r) for o, r in result.skipped]
    with session_scope(engine) as session:
        campaign = get_campaign_by_name(session=session, name=name)
        if campaign is None:
            raise CampaignError(f"no campaign named {name!r}")
        if campaign.status not in allowed_from:
            raise CampaignError(
                f"cannot {action} campaign {name!r}: it is {campaign.status} "
                f"(only from {', '.join(sorted(allowed_from))})"
            )
        assert campaign.id is not None
        if action == "start" and target == "running":
            q.bulk_insert_attempts(
                session=session, campaign_id=campaign.id, attempts=result.attempts
            )
        if action == "cancel":
            report["cancelled_checks"] = q.cancel_planned(session=session, campaign_id=campaign.id)
        set_status(session, campaign, target, actor=actor, action=action)
    report["status"] = target
    return report


def progress(*, engine: Engine, name: str) -> dict[str, Any]:
    campaign = get(engine=engine, name=name)
    assert campaign.id is not None
    with session_scope(engine) as session:
        data = q.campaign_progress(session=session, campaign_id=campaign.id)
        greeting_backlog = _greetings(session, campaign.id)
    if greeting_backlog is not None:
        data["greetings"] = greeting_backlog
    data.update({"campaign": campaign.name, "status": campaign.status})
    return data


def _greetings(session: Any, campaign_id: int) -> dict[str, int] | None:
    """The greetings read from the campaign's recordings (Protocol 6 columns 7-9), once a
    greeting worker has run; None without one (the columns are the operator's alone)."""
    from probe.channels import all_specs
    from storage.greetings import backlog

    outcomes = {o.name for s in all_specs() for o in s.outcomes if "etiquette" in o.judgements}
    channels = [s.name for s in all_specs() if outcomes & {o.name for o in s.outcomes}]
    counts = backlog(session=session, channels=channels, outcomes=outcomes, campaign_id=campaign_id)
    return counts if counts["enqueued"] else None


def spawn_recurring(*, engine: Engine, now: datetime, actor: str = "runner") -> list[str]:
    """Create and start today's copy of every recurring campaign whose occurrence is today."""
    from schedules.recurrence import next_occurrence, period_label

    started: list[str] = []
    today = now.date()
    with session_scope(engine) as session:
        templates = [c for c in q.all_campaigns(session=session) if c.status == "recurring"]
    for template in templates:
        spec = CampaignSpec.model_validate(template.spec)
        assert spec.recurrence is not None
        if next_occurrence(spec.recurrence, today) != today:
            continue
        name = f"{spec.name}-{period_label(today, spec.recurrence.every)}"
        with session_scope(engine) as session:
            if get_campaign_by_name(session=session, name=name) is not None:
                continue
        copy = spec.model_copy(
            update={
                "name": name,
                "start": today,
                "end": today + timedelta(days=spec.recurrence.duration_days - 1),
                "recurrence": None,
            }
        )
        create(engine=engine, spec=copy, actor=actor)
        try:
            transition(engine=engine, name=name, action="start", actor=actor, now=now)
        except NothingToPlan as refusal:
            log.warning("recurring copy left a draft", campaign=name, why=refusal.why())
            continue
        started.append(name)
    return started

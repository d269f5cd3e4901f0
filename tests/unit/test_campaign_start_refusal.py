"""A campaign that can plan nothing refuses to start, with the reason (issue 16): the CLI here,
the browser in tests/integration/test_web_campaigns.py; both call schedules.campaigns."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from probe.cli.main import app
from schedules import campaigns as service
from schedules.spec import parse_campaign
from storage.engine import session_scope
from storage.models import AuditLog, Check
from tests.campaign_helpers import add_test_organisations

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "omsk-quarterly.yaml"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _checks(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(Check)).all())


def test_the_readme_example_at_its_printed_dates_refuses_to_start_with_the_reason(
    engine: Engine, cli: CliRunner
) -> None:
    assert cli.invoke(app, ["directory", "import", "--bundled", "omsk-kcson"]).exit_code in (0, 2)
    created = cli.invoke(app, ["campaign", "create", "-f", str(EXAMPLE)])
    assert created.exit_code == 0, created.output
    started = cli.invoke(
        app, ["campaign", "start", "omsk-2026-q2", "--at", "2026-12-06T05:00:00+00:00"]
    )
    assert started.exit_code == 1
    assert _flat(started.stderr) == _flat(
        "error: cannot start campaign 'omsk-2026-q2': nothing can be planned "
        "(38 organisation(s): no open window between start and end; "
        "the campaign's last day, 2026-04-17, is already over)"
    )
    assert service.get(engine=engine, name="omsk-2026-q2").status == "draft"
    assert _checks(engine) == 0


def _create_for_today(cli: CliRunner) -> None:
    """The README's example, created with its dates replaced by the next two weeks."""
    assert cli.invoke(app, ["directory", "import", "--bundled", "omsk-kcson"]).exit_code in (0, 2)
    today = date.today()
    created = cli.invoke(
        app,
        [
            "campaign", "create", "-f", str(EXAMPLE), "--start", today.isoformat(),
            "--end", (today + timedelta(days=13)).isoformat(),
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output


def test_the_readme_example_with_todays_dates_starts(engine: Engine, cli: CliRunner) -> None:
    """The README's way to run the example now: the file's dates replaced on the command line."""
    _create_for_today(cli)
    started = cli.invoke(app, ["campaign", "start", "omsk-2026-q2", "--json"])
    assert started.exit_code == 0, started.output
    report = json.loads(started.stdout)
    assert report["status"] == "running" and report["planned"] == _checks(engine) > 38
    spec = service.get(engine=engine, name="omsk-2026-q2").spec
    assert spec["calls"]["per_contact"] == 3 and spec["limits"]["emails_per_minute"] == 20


def test_a_selection_that_matches_nothing_refuses_to_start(engine: Engine) -> None:
    add_test_organisations(engine, {"A": ["a"]})
    spec = {
        "name": "nobody",
        "organisations": {"region": ["rostov"]},
        "channels": ["test"],
        "start": "2026-04-06",
        "end": "2026-04-17",
        "windows": "always",
    }
    service.create(engine=engine, spec=parse_campaign(spec), actor="t")
    now = datetime(2026, 4, 6, 5, tzinfo=UTC)
    with pytest.raises(service.NothingToPlan) as refusal:
        service.transition(engine=engine, name="nobody", action="start", actor="t", now=now)
    assert str(refusal.value) == (
        "cannot start campaign 'nobody': nothing can be planned "
        "(no active organisation matches the campaign's selection)"
    )
    assert refusal.value.skipped == [] and refusal.value.ended is None
    assert service.get(engine=engine, name="nobody").status == "draft"


def test_a_recurring_copy_that_can_plan_nothing_stays_a_draft(engine: Engine) -> None:
    add_test_organisations(engine, {"A": ["a"]})
    template = {
        "name": "quarterly",
        "organisations": {"region": ["rostov"]},
        "channels": ["test"],
        "start": "2026-01-01",
        "end": "2026-12-31",
        "windows": "always",
        "recurrence": {"every": "quarter", "weekday": "tuesday", "duration_days": 10},
    }
    service.create(engine=engine, spec=parse_campaign(template), actor="t")
    now = datetime(2026, 4, 1, tzinfo=UTC)
    service.transition(engine=engine, name="quarterly", action="start", actor="t", now=now)
    assert service.spawn_recurring(engine=engine, now=datetime(2026, 4, 7, 5, tzinfo=UTC)) == []
    assert service.get(engine=engine, name="quarterly-2026-q2").status == "draft"


def test_each_status_change_is_audited_with_its_actor_and_both_statuses(
    engine: Engine, cli: CliRunner
) -> None:
    _create_for_today(cli)
    now = datetime.now(UTC)
    for action, actor in (("start", "anna"), ("pause", "boris"), ("resume", "anna")):
        service.transition(engine=engine, name="omsk-2026-q2", action=action, actor=actor, now=now)
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.entity == "campaign").order_by(col(AuditLog.id))
        ).all()
        changes = [(a.action, a.actor, a.before, a.after) for a in rows if a.action != "create"]
    assert changes == [
        ("start", "anna", {"status": "draft"}, {"status": "running"}),
        ("pause", "boris", {"status": "running"}, {"status": "paused"}),
        ("resume", "anna", {"status": "paused"}, {"status": "running"}),
    ]

"""The plan page's preview of a draft (probe/web/plan_preview.py) is computed once and kept while
it is still what `schedules.campaigns.plan` would give: a change of the draft's spec or of the
directory, a new day, or its first attempt passing computes it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from probe.directory.importer import apply_import, plan_import
from probe.directory.sources import read_csv
from probe.web.plan_preview import Previews
from schedules import campaigns as service
from schedules.spec import parse_campaign
from storage.engine import session_scope
from storage.models import Campaign

NOW = datetime(2026, 4, 6, 2, 0, tzinfo=UTC)  # a Monday, 08:00 in Omsk
HEADER = "name;region;kind;phones;hours\n"
ROWS = [
    "ЦСО 1;omsk;КЦСОН;+7 3812 200001;пн-пт 9:00-18:00\n",
    "ЦСО 2;omsk;КЦСОН;+7 3812 200002;пн-пт 9:00-18:00\n",
]


def _import(engine: Engine, *rows: str) -> None:
    report = plan_import(read_csv((HEADER + "".join(rows)).encode(), name="d.csv"))
    apply_import(report, engine=engine, actor="test")


@pytest.fixture
def draft(engine: Engine) -> Campaign:
    _import(engine, *ROWS)
    spec = parse_campaign(
        {"name": "q2", "organisations": {"all": True}, "channels": ["phone"],
         "start": "2026-04-06", "end": "2026-04-17"}
    )  # fmt: skip
    return service.create(engine=engine, spec=spec, actor="test")


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """When the real planner ran (each call of schedules.campaigns.plan)."""
    calls: list[datetime] = []
    real = service.plan

    def plan(**kwargs: Any) -> Any:
        calls.append(kwargs["now"])
        return real(**kwargs)

    monkeypatch.setattr(service, "plan", plan)
    return calls


def _campaign(engine: Engine, campaign_id: int) -> Campaign:
    with session_scope(engine) as db:
        campaign = db.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign


def test_the_preview_is_computed_once_for_the_same_draft_and_directory(
    engine: Engine, draft: Campaign, computed: list[datetime]
) -> None:
    previews = Previews()
    first = previews.get(engine, draft, NOW)
    again = previews.get(engine, _campaign(engine, draft.id or 0), NOW + timedelta(minutes=5))
    assert again is first and computed == [NOW]
    assert len(first.attempts) == 2
    assert first.attempts == service.plan(engine=engine, name="q2", now=NOW)[1].attempts


def test_a_change_of_the_directory_or_the_draft_computes_it_again(
    engine: Engine, draft: Campaign, computed: list[datetime]
) -> None:
    previews = Previews()
    assert len(previews.get(engine, draft, NOW).attempts) == 2
    third = "ЦСО 3;omsk;КЦСОН;+7 3812 200003;пн-пт 9:00-18:00\n"
    _import(engine, *ROWS, third)
    assert len(previews.get(engine, draft, NOW).attempts) == 3
    before = {a.contact_id for a in previews.get(engine, draft, NOW).attempts}
    assert len(computed) == 2
    _import(engine, ROWS[0], ROWS[1].replace("200002", "200004"), third)
    changed = previews.get(engine, draft, NOW)  # ЦСО 2's number replaced, no new organisation
    assert len(computed) == 3 and len(changed.attempts) == 3
    assert {a.contact_id for a in changed.attempts} != before
    with session_scope(engine) as db:
        stored = db.get(Campaign, draft.id)
        assert stored is not None
        stored.spec = {**stored.spec, "organisations": {"names": ["ЦСО 1"]}}
    assert len(previews.get(engine, _campaign(engine, draft.id or 0), NOW).attempts) == 1
    assert len(computed) == 4


def test_a_new_day_or_a_first_attempt_gone_by_computes_it_again(
    engine: Engine, draft: Campaign, computed: list[datetime]
) -> None:
    previews = Previews()
    preview = previews.get(engine, draft, NOW)
    assert preview.first is not None
    previews.get(engine, draft, preview.first - timedelta(seconds=1))
    assert len(computed) == 1
    previews.get(engine, draft, preview.first + timedelta(seconds=1))
    assert len(computed) == 2
    previews.get(engine, draft, NOW + timedelta(days=1))
    assert len(computed) == 3

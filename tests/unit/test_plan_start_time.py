"""When a campaign started during the day gets its first attempts: the sandbox journey's
campaign (two Omsk centres of the bundled directory, phone and e-mail, «как можно раньше», the
form's dates) planned at fixed instants of the sandbox's day, with and without the sandbox's own
campaign's checks on the same centres.

The rule (docs/campaigns.md "When the first attempts land"): at the campaign's clock, in each
organisation's own zone, the first open instant of its windows, which end the
before-closing margin (30 min) ahead of closing. So a campaign started at 17:20 in Omsk, while
the centres are open until 17:45, is planned for the next working day at 09:00 (opening 08:30
plus the after-opening margin); another campaign's checks on the same centres do not move it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.directory.importer import bundled_path, import_directory
from probe.sandbox.campaign import CAMPAIGN, DEFAULT_START, ZONE, campaign_spec
from probe.sandbox.world import load_world
from schedules import campaigns as service
from schedules.gate import InFlight, MemoryState, blocked
from schedules.spec import Limits, parse_campaign
from storage.engine import session_scope
from storage.models import Check

OMSK = DEFAULT_START.tzinfo
ROWS = (3, 12)  # the journey's centres (tests/integration/test_sandbox_journey.py)
DAY = DEFAULT_START.date()  # Monday 06.04.2026; Omsk hours 08:30-17:45, lunch 13:00-14:00
_NAMES = itertools.count(1)


def _at(hour: int, minute: int, day: int = 0) -> datetime:
    return datetime.combine(DAY + timedelta(days=day), datetime.min.time(), OMSK).replace(
        hour=hour, minute=minute
    )


@pytest.fixture
def centres(engine: Engine) -> list[str]:
    """The sandbox's directory; the names of the journey's two centres."""
    import_directory(bundled_path("omsk-kcson"), engine=engine, actor="test")
    world = load_world("omsk-kcson")
    return [o.name for o in world.organisations if o.protocol_row in ROWS]


def _journey_spec(name: str, names: list[str], **extra: Any) -> dict[str, Any]:
    """What the journey's form submits: today (the sandbox's) to two weeks on, as prefilled."""
    return {
        "name": name,
        "organisations": {"names": names},
        "channels": ["phone", "email"],
        "start": DAY.isoformat(),
        "end": (DAY + timedelta(days=13)).isoformat(),
        "windows": "hours",
        "spread": "asap",
        **extra,
    }


def _first_attempts(engine: Engine, names: list[str], now: datetime, **extra: Any) -> set[str]:
    """The journey campaign's planned instants at `now`, local, as dd.mm HH:MM."""
    name = f"journey-{next(_NAMES)}"
    service.create(
        engine=engine, spec=parse_campaign(_journey_spec(name, names, **extra)), actor="t"
    )
    _spec, result = service.plan(engine=engine, name=name, now=now)
    assert result.skipped == [] and len(result.attempts) == 4  # two centres, a phone and a letter
    return {f"{a.planned_at.astimezone(OMSK):%d.%m %H:%M}" for a in result.attempts}


def _sandbox_campaign_ran(engine: Engine, names: list[str], until: datetime) -> None:
    """The sandbox's own campaign on the same centres, started at its clock's start; every check
    done a minute before `until` (the calls just ended), and one call again at `until`."""
    spec = campaign_spec(DEFAULT_START, load_world("omsk-kcson"))
    spec["organisations"] = {"names": names}
    service.create(engine=engine, spec=parse_campaign(spec), actor="sandbox")
    service.transition(engine=engine, name=CAMPAIGN, action="start", actor="t", now=DEFAULT_START)
    ended = (until - timedelta(minutes=1)).astimezone(UTC)
    with session_scope(engine) as session:
        checks = session.exec(select(Check).order_by(col(Check.id))).all()
        # a call and a letter to each centre (their sites are the sandbox run's own)
        assert sorted(c.channel for c in checks) == ["email", "email", "phone", "phone"]
        for check in checks:
            check.status, check.outcome = "done", "connected"
            check.started_at, check.finished_at = ended - timedelta(minutes=2), ended
        phone = next(c for c in checks if c.channel == "phone")
        again = Check(
            campaign_id=phone.campaign_id,
            organisation_id=phone.organisation_id,
            contact_id=phone.contact_id,
            channel="phone",
            status="planned",
            attempt=2,
            planned_at=until.astimezone(UTC),
        )
        session.add(again)


def test_a_campaign_started_in_the_afternoon_is_planned_that_afternoon(
    engine: Engine, centres: list[str]
) -> None:
    assert _first_attempts(engine, centres, _at(16, 0)) == {"06.04 16:00"}
    assert _first_attempts(engine, centres, _at(17, 14)) == {"06.04 17:14"}
    # In the lunch break: its end, the same day.
    assert _first_attempts(engine, centres, _at(13, 20)) == {"06.04 14:00"}


def test_after_the_closing_margin_the_next_working_morning_although_still_open(
    engine: Engine, centres: list[str]
) -> None:
    # Open until 17:45, but the last window ends 30 minutes before closing.
    assert _first_attempts(engine, centres, _at(17, 15)) == {"07.04 09:00"}
    assert _first_attempts(engine, centres, _at(17, 40)) == {"07.04 09:00"}
    # It is the margin, nothing else: without it the same instant is planned that evening.
    no_margin = {"margins": {"after_opening_minutes": 30, "before_closing_minutes": 0}}
    assert _first_attempts(engine, centres, _at(17, 40), **no_margin) == {"06.04 17:40"}


def test_an_earlier_campaigns_checks_on_the_same_centres_do_not_move_the_plan(
    engine: Engine, centres: list[str]
) -> None:
    before = {t: _first_attempts(engine, centres, _at(*t)) for t in ((10, 30), (17, 0), (17, 20))}
    for hour, minute in ((10, 30), (17, 0)):
        assert before[(hour, minute)] == {f"06.04 {hour:02}:{minute:02}"}
    _sandbox_campaign_ran(engine, centres, _at(17, 0))
    after = {t: _first_attempts(engine, centres, _at(*t)) for t in before}
    assert after == before
    # At run time the sandbox's call that just ended holds a call of the journey's campaign to
    # the same centre for the quiet period (3 min), across campaigns; never to another day.
    in_flight, ended = InFlight(), _at(16, 59).astimezone(UTC)
    with Session(engine) as session:
        sandbox = session.exec(select(Check).where(col(Check.channel) == "phone")).first()
        assert sandbox is not None and sandbox.campaign_id is not None
        org = sandbox.organisation_id
        in_flight.reserve(
            campaign_id=sandbox.campaign_id, channel="phone", organisation_id=org, now=ended
        )
        in_flight.release(
            campaign_id=sandbox.campaign_id, channel="phone", organisation_id=org, now=ended
        )
        journey = Check(campaign_id=999, organisation_id=org, contact_id=1, channel="phone")
        held = blocked(MemoryState(in_flight, session), journey, Limits(), _at(17, 0))
    assert held == ("quiet: period between calls", ended + timedelta(minutes=3))


def test_the_day_is_the_centres_local_day_not_the_utc_day(
    engine: Engine, centres: list[str]
) -> None:
    # 05:30 in Omsk is 23:30 UTC the day before: the first attempts open the local day.
    early = _at(5, 30)
    assert early.astimezone(UTC).date() == DAY - timedelta(days=1)
    assert _first_attempts(engine, centres, early) == {"06.04 09:00"}
    # 23:50 in Omsk is still 06.04 in UTC: the next local morning, not a UTC one.
    assert _first_attempts(engine, centres, _at(23, 50)) == {"07.04 09:00"}
    assert ZONE == "Asia/Omsk"

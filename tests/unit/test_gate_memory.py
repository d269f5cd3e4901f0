"""The gate on the in-process runner's own record (schedules/gate.py MemoryState): the same rules
as the queue workers' (tests/unit/test_queue_gate.py), answered from what this process runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from schedules.gate import InFlight, MemoryState, blocked
from schedules.spec import Limits
from storage.models import Check

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _check(organisation_id: int, channel: str = "test", campaign_id: int = 1) -> Check:
    return Check(
        campaign_id=campaign_id, organisation_id=organisation_id, contact_id=1, channel=channel
    )


def _reserve(in_flight: InFlight, check: Check, at: datetime = NOW) -> None:
    assert check.campaign_id is not None
    in_flight.reserve(
        campaign_id=check.campaign_id,
        channel=check.channel,
        organisation_id=check.organisation_id,
        now=at,
    )


def test_an_organisation_in_a_call_waits_and_the_quiet_period_follows_the_call(
    engine: Engine,
) -> None:
    in_flight = InFlight()
    limits = Limits(quiet_minutes=3)
    with Session(engine) as session:
        state = MemoryState(in_flight, session)
        _reserve(in_flight, _check(1))
        held = blocked(state, _check(1), limits, NOW)
        other = blocked(state, _check(2), limits, NOW)
        in_flight.release(campaign_id=1, channel="test", organisation_id=1, now=NOW)
        quiet = blocked(state, _check(1), limits, NOW + timedelta(minutes=1))
        later = blocked(state, _check(1), limits, NOW + timedelta(minutes=3))
    assert held is not None and held.reason == "politeness: organisation in a call"
    assert other is None
    assert quiet == ("quiet: period between calls", NOW + timedelta(minutes=3))
    assert later is None


def test_the_trunk_and_the_campaign_limits_count_what_this_runner_runs(engine: Engine) -> None:
    in_flight = InFlight()
    with Session(engine) as session:
        state = MemoryState(in_flight, session)
        _reserve(in_flight, _check(1))
        _reserve(in_flight, _check(2))
        trunk = blocked(state, _check(3), Limits(calls_in_parallel=2, quiet_minutes=0), NOW)
        campaign = blocked(state, _check(3), Limits(checks_in_parallel=2, quiet_minutes=0), NOW)
        other = blocked(
            state, _check(3, campaign_id=2), Limits(checks_in_parallel=2, quiet_minutes=0), NOW
        )
    assert trunk is not None and trunk.reason == "capacity: trunk channels"
    assert campaign is not None and campaign.reason == "capacity: checks in parallel"
    assert other is None


def test_the_smtp_rate_holds_until_the_oldest_send_of_the_minute_ages_out(
    engine: Engine,
) -> None:
    in_flight = InFlight()
    limits = Limits(emails_per_minute=2)
    with Session(engine) as session:
        state = MemoryState(in_flight, session)
        _reserve(in_flight, _check(1, "email"), NOW - timedelta(seconds=50))
        _reserve(in_flight, _check(2, "email"), NOW - timedelta(seconds=30))
        full = blocked(state, _check(3, "email"), limits, NOW)
        aged = blocked(state, _check(3, "email"), limits, NOW + timedelta(seconds=10))
    assert full == ("capacity: smtp rate", NOW + timedelta(seconds=10))
    assert aged is None


def test_a_parallel_channel_runs_at_most_its_declared_number_at_once(engine: Engine) -> None:
    # The web probe declares rate_limit.in_parallel=4 (each crawl may drive a browser): the
    # campaign's checks_in_parallel (16 in the sandbox) must not start 16 crawls at once.
    in_flight = InFlight()
    limits = Limits(checks_in_parallel=16)
    with Session(engine) as session:
        state = MemoryState(in_flight, session)
        for organisation in range(1, 5):
            _reserve(in_flight, _check(organisation, "web"))
        full = blocked(state, _check(5, "web"), limits, NOW)
        letter = blocked(state, _check(5, "email"), limits, NOW)
        in_flight.release(campaign_id=1, channel="web", organisation_id=1, now=NOW)
        freed = blocked(state, _check(5, "web"), limits, NOW)
    assert full is not None and full.reason == "capacity: web in parallel"
    assert letter is None
    assert freed is None

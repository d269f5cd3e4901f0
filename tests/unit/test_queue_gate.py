"""The worker's gate: which limit says "not now", and until when (checked on SQLite rows; the
same queries run on PostgreSQL under the advisory lock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schedules.gate import database_blocked as _blocked
from schedules.outage import ALERT, ENTITY
from schedules.spec import CampaignSpec
from storage.audit import write_audit
from storage.checks import create_check
from storage.engine import session_scope
from storage.models import Campaign, Check, Contact
from tests.campaign_helpers import add_test_organisations, start_test_campaign

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _setup(engine: Engine, **limits: float) -> None:
    add_test_organisations(engine, {"a": ["a0", "a1"], "b": ["b0"], "c": ["c0"]})
    start_test_campaign(engine, peer="127.0.0.1:1", now=NOW, limits={"quiet_minutes": 0, **limits})


def _spec(session: Session) -> CampaignSpec:
    campaign = session.exec(select(Campaign)).one()
    return CampaignSpec.model_validate(campaign.spec)


def _check(session: Session, value: str) -> Check:
    contact = session.exec(select(Contact).where(col(Contact.value) == value)).one()
    return session.exec(select(Check).where(col(Check.contact_id) == contact.id)).one()


def test_nothing_blocks_a_check_when_every_limit_has_room(engine: Engine) -> None:
    _setup(engine)
    with session_scope(engine) as session:
        assert _blocked(session, _check(session, "b0"), _spec(session), NOW) is None


def test_the_trunk_channels_are_counted_across_all_running_checks(engine: Engine) -> None:
    _setup(engine, calls_in_parallel=2)
    with session_scope(engine) as session:
        for value in ("a0", "b0"):
            _check(session, value).status = "running"
        session.flush()
        reason, at = _blocked(session, _check(session, "c0"), _spec(session), NOW) or ("", NOW)
    assert reason == "capacity: trunk channels"
    assert NOW < at <= NOW + timedelta(seconds=0.5)


def test_the_quiet_period_holds_the_next_call_to_the_organisation_until_it_ends(
    engine: Engine,
) -> None:
    _setup(engine, quiet_minutes=3)
    with session_scope(engine) as session:
        done = _check(session, "a0")
        done.status, done.finished_at = "done", NOW - timedelta(minutes=1)
        session.flush()
        blocked = _blocked(session, _check(session, "a1"), _spec(session), NOW)
        other = _blocked(session, _check(session, "b0"), _spec(session), NOW)
    assert blocked == ("quiet: period between calls", NOW + timedelta(minutes=2))
    assert other is None


def test_an_outage_pause_holds_the_channel_until_it_ends(engine: Engine) -> None:
    _setup(engine)
    until = NOW + timedelta(seconds=90)
    with session_scope(engine) as session:
        write_audit(
            session=session,
            actor="test",
            action=ALERT,
            entity=ENTITY,
            entity_id="test",
            before=None,
            after={"paused_until": until.isoformat(), "pause_seconds": 90},
        )
        session.flush()
        blocked = _blocked(session, _check(session, "b0"), _spec(session), NOW)
    assert blocked == ("outage: channel paused", until)


def test_the_smtp_rate_waits_for_the_oldest_send_of_the_minute_to_age_out(
    engine: Engine,
) -> None:
    _setup(engine, emails_per_minute=2)
    from storage.directory import UpsertStats, upsert_organisation

    with session_scope(engine) as session:
        org = upsert_organisation(
            session=session,
            values={"key": "omsk:mail", "name": "mail", "region": "omsk", "timezone": "Asia/Omsk"},
            contacts=[
                {
                    "channel": "email",
                    "key": f"m{n}@x.ru",
                    "raw": f"m{n}@x.ru",
                    "value": f"m{n}@x.ru",
                }
                for n in range(3)
            ],
            actor="test",
            stats=UpsertStats(),
        )
        campaign = session.exec(select(Campaign)).one()
        contacts = session.exec(
            select(Contact).where(col(Contact.organisation_id) == org.id).order_by(col(Contact.id))
        ).all()
        sent = []
        for n, contact in enumerate(contacts):
            check = create_check(session=session, contact=contact, campaign_id=campaign.id)
            sent.append(check)
            if n < 2:
                check.status, check.started_at = "waiting", NOW - timedelta(seconds=50 - 20 * n)
        session.flush()
        blocked = _blocked(session, sent[2], _spec(session), NOW)
    assert blocked == ("capacity: smtp rate", NOW - timedelta(seconds=50) + timedelta(minutes=1))

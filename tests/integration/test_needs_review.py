"""The review queue's flag (`check_run.needs_review`, storage.needs_review) equals its rule
evaluated afresh after every path that changes what the rule reads: results, new attempts
(a retry, a re-queue, a follow-up, a bulk plan), verdicts that confirm or overturn,
judgements, a directory finding and its answer, a suspect outcome turned into our outage, a
review removed, a bulk cancellation; and the queue and its total show exactly the checks the
rule picks. On SQLite and PostgreSQL; migration 0012 fills the flag of an installation that
had checks, verdicts and findings already."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from probe.channels import our_failure_outcome
from probe.results import CheckResult, FollowUp
from storage import needs_review
from storage.campaigns import bulk_insert_attempts, cancel_planned
from storage.checks import (
    add_review,
    create_check,
    create_follow_up,
    record_result,
    requeue_check,
)
from storage.engine import make_engine, session_scope
from storage.events import add_event
from storage.judgements import refresh_effective_outcome
from storage.migrate import upgrade
from storage.models import Check, Contact, Review
from storage.planning import PlannedAttempt
from storage.published import EVENT
from storage.review_queue import QueueFilter, queue_total, review_queue
from tests.integration.test_web_support import T0, seed

pytestmark = pytest.mark.integration


def _url(backend: str, sqlite_url: str, request: Any) -> str:
    return sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")


def _agree(db: Session, **filters: Any) -> set[int]:
    """The stored flags equal the rule's; the queue (all of it, newest first) and its total
    are the rule's checks. Returns the flagged ids."""
    db.flush()
    assert needs_review.stale(db) == []
    expected = list(
        db.exec(select(Check.id).where(needs_review.rule()).order_by(col(Check.id).desc())).all()
    )
    flagged = set(db.exec(select(Check.id).where(col(Check.needs_review))).all())
    assert flagged == set(expected)
    page = review_queue(session=db, filters=QueueFilter(**filters), limit=200)
    if not filters:
        assert [row.check.id for row in page.rows] == expected
        assert queue_total(session=db, filters=QueueFilter()) == len(expected)
    return {i for i in flagged if i is not None}


def _done(db: Session, contact: Contact, campaign_id: int, outcome: str, **extra: Any) -> Check:
    check = create_check(session=db, contact=contact, campaign_id=campaign_id)
    at = T0 + timedelta(hours=2)
    result = CheckResult(
        channel=contact.channel,
        outcome=outcome,
        started_at=at,
        finished_at=at + timedelta(seconds=40),
        **extra,
    )
    record_result(session=db, check=check, result=result)
    return check


def _review(db: Session, check: Check, field: str, value: str) -> Review:
    return add_review(session=db, author="op", field=field, value=value, check_id=check.id)


def _results_and_verdicts(db: Session, campaign_id: int, rostov: Contact) -> None:
    flagged = _agree(db)
    older = db.exec(select(Check).where(Check.contact_id == rostov.id)).one()
    assert older.id in flagged  # a no_answer without a verdict
    fresh = create_check(session=db, contact=rostov, campaign_id=campaign_id)
    assert older.id not in _agree(db)  # a newer attempt: not the last word
    at = T0 + timedelta(hours=1)
    result = CheckResult(
        channel="phone", outcome="busy", started_at=at, finished_at=at + timedelta(seconds=40)
    )
    record_result(session=db, check=fresh, result=result)
    assert fresh.id in _agree(db)
    assert fresh.needs_review  # the object in the session carries the flag
    verdict = _review(db, fresh, "verdict", "confirmed")
    assert fresh.id not in _agree(db)
    db.delete(verdict)  # a review removed: the check asks again
    assert fresh.id in _agree(db)
    _review(db, fresh, "verdict", "connected")  # overturned: now it needs its judgements
    assert fresh.id in _agree(db)
    assert fresh.id in _agree(db, outcome="connected", region="rostov")
    _review(db, fresh, "etiquette", "full,,none")  # an item left empty: not judged yet
    _review(db, fresh, "transfers", "none")
    _review(db, fresh, "grade", "good")
    assert fresh.id in _agree(db)
    _review(db, fresh, "etiquette", "full")
    assert fresh.id not in _agree(db)
    _review(db, fresh, "verdict", "no_answer")  # overturned again, to a failure with a verdict
    assert fresh.id not in _agree(db)


def _findings_and_outage(db: Session, campaign_id: int, rostov: Contact) -> None:
    answered = _done(db, rostov, campaign_id, "connected")
    for field, value in (("etiquette", "full"), ("transfers", "none"), ("grade", "good")):
        _review(db, answered, field, value)
    assert answered.id not in _agree(db)
    add_event(session=db, check=answered, kind=EVENT, data={"phone": ["+73852000000"]})
    assert answered.id in _agree(db)  # contacts the directory lacks
    _review(db, answered, "directory", "current")
    assert answered.id not in _agree(db)
    suspect = _done(db, rostov, campaign_id, "unavailable")
    assert suspect.id in _agree(db)
    suspect.outcome = our_failure_outcome("phone")  # schedules.completion: our outage
    refresh_effective_outcome(session=db, check=suspect)
    db.add(suspect)
    assert suspect.id not in _agree(db)


def _new_attempts(db: Session, campaign_id: int, rostov: Contact, mail: Contact) -> None:
    busy = _done(db, rostov, campaign_id, "busy")
    assert busy.id in _agree(db)
    again = requeue_check(session=db, check=busy, actor="op", reason="ещё раз")
    assert {busy.id, again.id}.isdisjoint(_agree(db))  # the new attempt waits for the planner
    silent = _done(db, mail, campaign_id, "no_reply")
    assert silent.id in _agree(db)
    create_follow_up(
        session=db,
        check=silent,
        follow_up=FollowUp(kind="question", started_at=T0 + timedelta(hours=3), details={}),
    )
    assert silent.id not in _agree(db)
    bounced = _done(db, mail, campaign_id, "bounced")
    assert bounced.id in _agree(db)
    planned = PlannedAttempt(
        organisation_id=mail.organisation_id,
        contact_id=mail.id or 0,
        channel="email",
        planned_at=T0 + timedelta(days=1),
        reason="plan",
    )
    bulk_insert_attempts(session=db, campaign_id=campaign_id, attempts=[planned])
    assert bounced.id not in _agree(db)  # a planned attempt follows it (a bulk INSERT)
    cancel_planned(session=db, campaign_id=campaign_id)
    assert bounced.id not in _agree(db)  # cancelled, the attempt still came after it


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_flag_equals_the_rule_after_every_path(
    backend: str, sqlite_url: str, request: Any, tmp_path: Path
) -> None:
    url = _url(backend, sqlite_url, request)
    upgrade(url)
    engine = make_engine(url)
    seeded = seed(engine, tmp_path / "var")
    with session_scope(engine) as db:
        rostov = db.exec(select(Contact).where(Contact.organisation_id == seeded.rostov_id)).one()
        mail = db.exec(select(Contact).where(Contact.channel == "email")).one()
        assert {seeded.busy_id, seeded.connected_id, seeded.no_answer_id} <= _agree(db)
        assert seeded.retried_id not in _agree(db) and seeded.judged_id not in _agree(db)
        _results_and_verdicts(db, seeded.campaign_id, rostov)
        _findings_and_outage(db, seeded.campaign_id, rostov)
        _new_attempts(db, seeded.campaign_id, rostov, mail)
    with session_scope(engine) as db:  # committed as kept
        _agree(db)
        needs_review.recount(db)
        _agree(db)
    engine.dispose()


MIGRATION_CHECKS = (  # id, contact, status, outcome, effective outcome, needs a human after
    (1, 1, "done", "busy", "busy", False),  # a newer attempt (2) follows it
    (2, 1, "done", "busy", "busy", True),  # no verdict
    (3, 2, "done", "connected", "connected", True),  # not judged
    (4, 2, "done", "connected", "connected", False),  # judged
    (5, 3, "done", "no_answer", "no_answer", False),  # confirmed
    (6, 4, "done", "connected", "connected", True),  # judged, but a directory finding
    (7, 5, "done", "busy", "connected", True),  # overturned to connected, not judged
    (8, 5, "planned", None, None, False),
)
MIGRATION_REVIEWS = (
    (4, "etiquette", "full"), (4, "transfers", "none"), (4, "grade", "good"),
    (5, "verdict", "confirmed"),
    (6, "etiquette", "full"), (6, "transfers", "none"), (6, "grade", "good"),
    (7, "verdict", "connected"),
)  # fmt: skip


def _installation_at_0011(url: str) -> None:
    engine = make_engine(url)
    t = {"t": "2026-03-02 04:00:00"}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisation (id, key, name, short_name, region, kind, address, website,"
            " timezone, hours_raw, area_code, source, active, created_at, updated_at) VALUES"
            " (1, 'o', 'Центр', '', 'omsk', '', '', '', 'Asia/Omsk', '', '', '', true, :t, :t)"
        ), t)  # fmt: skip
        connection.execute(text(
            "INSERT INTO campaign (id, name, title, status, channels, spec, historical,"
            " created_at, updated_at) VALUES (1, 'c', '', 'done', '[]', '{}', false, :t, :t)"
        ), t)  # fmt: skip
        for contact_id in range(1, 6):
            connection.execute(text(
                "INSERT INTO contact (id, organisation_id, channel, key, raw, is_fax, inferred,"
                " position, source, active, created_at, updated_at) VALUES"
                " (:id, 1, 'phone', :k, 'r', false, false, 0, '', true, :t, :t)"
            ), {**t, "id": contact_id, "k": f"k{contact_id}"})  # fmt: skip
        for check_id, contact_id, status, outcome, effective, _ in MIGRATION_CHECKS:
            row = {"id": check_id, "c": contact_id, "s": status, "o": outcome, "e": effective}
            connection.execute(text(
                "INSERT INTO check_run (id, campaign_id, organisation_id, contact_id, channel,"
                " status, outcome, effective_outcome, attempt, historical, finished_at,"
                " timings_ms, details, evidence, created_at, updated_at) VALUES (:id, 1, 1, :c,"
                " 'phone', :s, :o, :e, 1, false, :t, '{}', '{}', '[]', :t, :t)"
            ), {**t, **row})  # fmt: skip
        for check_id, field, value in MIGRATION_REVIEWS:
            connection.execute(text(
                "INSERT INTO review (check_id, campaign_id, author, field, value, reason,"
                " created_at) VALUES (:c, 1, 'op', :f, :v, '', :t)"
            ), {**t, "c": check_id, "f": field, "v": value})  # fmt: skip
        connection.execute(text(
            "INSERT INTO check_event (check_id, at, kind, message, data)"
            " VALUES (6, :t, :k, '', '{}')"
        ), {**t, "k": EVENT})  # fmt: skip
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0012_fills_the_flag_by_the_rule(
    backend: str, sqlite_url: str, request: Any
) -> None:
    url = _url(backend, sqlite_url, request)
    upgrade(url, "0011")
    _installation_at_0011(url)
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as db:
        flags = dict(db.execute(select(Check.id, Check.needs_review)).all())
        assert flags == {row[0]: row[-1] for row in MIGRATION_CHECKS}
        assert needs_review.stale(db) == []
        page = review_queue(session=db, filters=QueueFilter(), limit=200)
        assert [row.check.id for row in page.rows] == [7, 6, 3, 2]
    engine.dispose()

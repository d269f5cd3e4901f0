"""A campaign's counters (storage.tally) equal its checks counted afresh after a realistic run
(planned in bulk, claimed, released after a crash, retried, sent and answered later, overturned
and confirmed, re-queued, a suspect outcome turned into our failure, the rest cancelled), on
SQLite and PostgreSQL; migration 0011 fills the effective outcomes and the counters of an
installation that had checks and verdicts already."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from probe.results import CheckResult
from probe.scoring.names import Outcome
from storage import tally
from storage.campaigns import bulk_insert_attempts, cancel_planned, claim_check
from storage.checks import add_review, create_check, record_result, requeue_check
from storage.dashboard import campaign_figures
from storage.engine import make_engine, session_scope
from storage.judgements import current_outcome, refresh_effective_outcome
from storage.migrate import upgrade
from storage.models import Check, Contact, Review
from storage.planning import PlannedAttempt
from tests.integration.test_web_support import T0, seed

pytestmark = pytest.mark.integration


def _url(backend: str, sqlite_url: str, request: Any) -> str:
    return sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")


def _result(channel: str, outcome: str, minutes: int, **extra: Any) -> CheckResult:
    at = T0 + timedelta(minutes=minutes)
    return CheckResult(
        channel=channel,
        outcome=outcome,
        started_at=at,  # type: ignore[arg-type]
        finished_at=at + timedelta(seconds=40),
        **extra,
    )


def _claim(db: Session, check_id: int) -> Check:
    assert claim_check(
        session=db, check_id=check_id, worker="w1", now=T0, lease_until=T0 + timedelta(minutes=5)
    )
    check = db.get(Check, check_id)
    assert check is not None
    db.refresh(check)
    return check


def _run(db: Session, campaign_id: int, phones: list[Contact], mail: Contact) -> None:
    planned = [
        PlannedAttempt(
            organisation_id=c.organisation_id,
            contact_id=c.id or 0,
            channel="phone",
            planned_at=T0 + timedelta(hours=n),
            reason="plan",
        )
        for n, c in enumerate(phones * 4)
    ]
    bulk_insert_attempts(session=db, campaign_id=campaign_id, attempts=planned)
    ids = db.exec(
        select(Check.id).where(Check.campaign_id == campaign_id, Check.status == "planned")
    ).all()
    outcomes = [Outcome.CONNECTED, Outcome.BUSY, Outcome.NO_ANSWER, Outcome.UNAVAILABLE]
    for n, check_id in enumerate(ids[:-3]):  # the last three stay planned, then cancelled
        check = _claim(db, check_id or 0)
        if n == 2:  # a worker crashed: released, claimed again later
            check.status, check.claimed_by = "planned", None
            db.add(check)
            db.flush()
            check = _claim(db, check_id or 0)
        outcome = outcomes[n % len(outcomes)]
        timings = {"ring": 3_000 + 4_000 * n, "answer": 3_500 + 4_000 * n}
        record_result(
            session=db,
            check=check,
            result=_result(
                "phone",
                outcome,
                60 * 13 * n,
                timings_ms=timings if outcome == "connected" else {},
            ),
        )
        if outcome in ("busy", "no_answer"):  # the policy's retry
            retry = create_check(
                session=db,
                contact=db.get(Contact, check.contact_id),  # type: ignore[arg-type]
                campaign_id=campaign_id,
                attempt=2,
                planned_at=T0,
            )
            record_result(
                session=db,
                check=_claim(db, retry.id or 0),
                result=_result("phone", Outcome.BUSY, 60 * 13 * n + 30),
            )
    letter = create_check(session=db, contact=mail, campaign_id=campaign_id)
    record_result(session=db, check=letter, result=_result("email", "replied", 5, pending=True))
    record_result(
        session=db,
        check=letter,
        result=_result(
            "email",
            Outcome.REPLIED,
            3 * 24 * 60,
            details={"working_days": 3},
        ),
    )
    done = db.exec(
        select(Check)
        .where(Check.campaign_id == campaign_id, Check.status == "done")
        .order_by(col(Check.id))
    ).all()
    busy = [c for c in done if c.outcome == "busy"]
    for field_value in ("no_answer", "confirmed"):  # overturned, then confirmed after all
        add_review(session=db, author="op", field="verdict", value=field_value, check_id=busy[0].id)
    add_review(session=db, author="op", field="verdict", value="connected", check_id=busy[1].id)
    add_review(session=db, author="op", field="verdict", value="no_answer", check_id=busy[2].id)
    add_review(session=db, author="op", field="grade", value="good", check_id=busy[1].id)
    suspect = next(c for c in done if c.outcome == "unavailable")
    suspect.outcome = "failed"  # the control probe failed too: our outage (schedules.completion)
    refresh_effective_outcome(session=db, check=suspect)
    db.add(suspect)
    db.flush()
    cancel_planned(session=db, campaign_id=campaign_id)
    requeue_check(session=db, check=busy[-1], actor="op", reason="ещё раз")


def _fresh_sql(db: Session, campaign_id: int) -> tuple[Counter[Any], Counter[Any]]:
    """Progress and effective outcomes counted by plain GROUP BYs."""
    where = col(Check.campaign_id) == campaign_id
    by_status = Counter(
        {
            (ch, st): n
            for ch, st, n in db.execute(
                select(Check.channel, Check.status, func.count())
                .where(where)
                .group_by(Check.channel, Check.status)
            )
        }
    )
    by_outcome = Counter(
        {
            (ch, o): n
            for ch, o, n in db.execute(
                select(Check.channel, Check.effective_outcome, func.count())
                .where(where, Check.status == "done")
                .group_by(Check.channel, Check.effective_outcome)
            )
        }
    )
    return by_status, by_outcome


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_counters_equal_a_fresh_count_after_a_realistic_run(
    backend: str, sqlite_url: str, request: Any, tmp_path: Path
) -> None:
    url = _url(backend, sqlite_url, request)
    upgrade(url)
    engine = make_engine(url)
    seeded = seed(engine, tmp_path / "var")
    with session_scope(engine) as db:
        phones = list(db.exec(select(Contact).where(Contact.channel == "phone")).all())
        mail = db.exec(select(Contact).where(Contact.channel == "email")).one()
        _run(db, seeded.campaign_id, phones, mail)
    with session_scope(engine) as db:
        kept = tally.stored_counts(db, seeded.campaign_id)
        assert kept == tally.counted_afresh(db, seeded.campaign_id)
        figures = campaign_figures(session=db, campaign_id=seeded.campaign_id)
        by_status, by_outcome = _fresh_sql(db, seeded.campaign_id)
        assert figures.by_status == by_status
        assert figures.by_outcome == by_outcome
        assert {s for _, s in by_status} == {"done", "cancelled", "planned"}  # the re-queue
        assert figures.overturned == 2 and sum(figures.histograms[tally.RING]["phone"].values())
        checks = db.exec(select(Check)).all()
        verdicts = db.exec(select(Review).where(Review.field == "verdict")).all()
        for check in checks:
            mine = [v for v in verdicts if v.check_id == check.id]
            assert check.effective_outcome == current_outcome(check, mine), check.id
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0011_fills_effective_outcomes_and_counters(
    backend: str, sqlite_url: str, request: Any
) -> None:
    url = _url(backend, sqlite_url, request)
    upgrade(url, "0010")
    engine = make_engine(url)
    now = "2026-03-02 04:00:00"
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO organisation (id, key, name, short_name, region, kind, address, website,"
            " timezone, hours_raw, area_code, source, active, created_at, updated_at) VALUES"
            " (1, 'o', 'Центр', '', 'omsk', '', '', '', 'Asia/Omsk', '', '', '', true, :t, :t)",
            "INSERT INTO contact (id, organisation_id, channel, key, raw, is_fax, inferred,"
            " position, source, active, created_at, updated_at) VALUES"
            " (1, 1, 'phone', 'k', 'r', false, false, 0, '', true, :t, :t)",
            "INSERT INTO campaign (id, name, title, status, channels, spec, historical,"
            " created_at, updated_at) VALUES (1, 'c', '', 'done', '[]', '{}', false, :t, :t)",
        ):
            connection.execute(text(statement), {"t": now})
        for check_id, outcome in enumerate(("busy", "busy", "no_answer", "connected"), start=1):
            connection.execute(
                text(
                    "INSERT INTO check_run (id, campaign_id, organisation_id, contact_id, channel,"
                    " status, outcome, attempt, historical, finished_at, timings_ms, details,"
                    " evidence, created_at, updated_at) VALUES (:id, 1, 1, 1, 'phone', 'done', :o,"
                    " 1, false, :t, '{}', '{}', '[]', :t, :t)"
                ),
                {"id": check_id, "o": outcome, "t": now},
            )
        for review_id, check_id, value in (
            (1, 1, "no_answer"),
            (2, 2, "no_answer"),
            (3, 2, "confirmed"),
            (4, 3, "confirmed"),
        ):
            connection.execute(
                text(
                    "INSERT INTO review (id, check_id, campaign_id, author, field, value, reason,"
                    " created_at) VALUES (:id, :c, 1, 'op', 'verdict', :v, '', :t)"
                ),
                {"id": review_id, "c": check_id, "v": value, "t": now},
            )
    upgrade(url)
    with session_scope(engine) as db:
        effective = dict(db.execute(select(Check.id, Check.effective_outcome)).all())
        assert effective == {1: "no_answer", 2: "busy", 3: "no_answer", 4: "connected"}
        assert tally.stored_counts(db, 1) == tally.counted_afresh(db, 1)
        figures = campaign_figures(session=db, campaign_id=1)
        assert figures.by_outcome == {
            ("phone", "no_answer"): 2,
            ("phone", "busy"): 1,
            ("phone", "connected"): 1,
        }
        assert figures.overturned == 1
    engine.dispose()

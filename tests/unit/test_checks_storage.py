"""Checks, timelines, reviews and re-queueing through the storage functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from probe.results import CheckResult
from probe.scoring.names import Channel, Outcome
from storage.audit import list_audit
from storage.campaigns import due_checks, unplaced_checks
from storage.checks import (
    add_review,
    create_campaign,
    create_check,
    list_events,
    list_reviews,
    record_result,
    requeue_check,
)
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope
from storage.models import Check, Contact


def _contact(engine: Engine) -> Contact:
    with session_scope(engine) as session:
        upsert_organisation(
            session=session,
            values={"key": "omsk:test", "name": "Тест", "region": "omsk", "timezone": "Asia/Omsk"},
            contacts=[
                {"channel": "phone", "key": "+73812000000", "raw": "x", "value": "+73812000000"}
            ],
            actor="test",
            stats=UpsertStats(),
        )
        return session.exec(select(Contact)).one()


def test_a_result_is_stored_with_its_timeline(engine: Engine) -> None:
    contact = _contact(engine)
    with session_scope(engine) as session:
        campaign = create_campaign(session=session, name="q1", channels=["phone"])
        check = create_check(
            session=session, contact=contact, campaign_id=campaign.id, reason="first attempt"
        )
        result = CheckResult(
            channel=Channel.PHONE,
            outcome=Outcome.BUSY,
            started_at=datetime(2026, 3, 3, 4, 0, tzinfo=UTC),
            finished_at=datetime(2026, 3, 3, 4, 0, 5, tzinfo=UTC),
            timings_ms={"pdd": 812.5},
            details={"sip_code": 486},
        )
        record_result(session=session, check=check, result=result)
        check_id = check.id
    with session_scope(engine) as session:
        assert check_id is not None
        events = [(e.kind, e.message) for e in list_events(session=session, check_id=check_id)]
        assert events == [("planned", "first attempt"), ("result", "busy")]


def test_reviews_are_validated_and_audited(engine: Engine) -> None:
    contact = _contact(engine)
    with session_scope(engine) as session:
        check = create_check(session=session, contact=contact)
        with pytest.raises(ValueError, match="grade: 'superb' is not one of excellent, good"):
            add_review(
                session=session, author="op", field="grade", value="superb", check_id=check.id
            )
        add_review(session=session, author="op", field="grade", value="good", check_id=check.id)
        assert [r.value for r in list_reviews(session=session, check_id=check.id)] == ["good"]
        assert list_audit(session=session, entity="check")[0].after == {
            "field": "grade",
            "value": "good",
            "reason": "",
        }


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("great", "etiquette: 'great' is not one of full, organisation_only, none (or empty: "
                  "not judged)"),
        ("full,grand", "etiquette: 'grand' is not one of full, organisation_only, none (or "
                       "empty: not judged)"),
        (",", "etiquette: no person judged"),
        (",".join(["full"] * 21), "etiquette: 21 persons; at most 20"),
    ],
)  # fmt: skip
def test_an_etiquette_review_judges_persons_and_refuses_bad_lists(
    engine: Engine, value: str, error: str
) -> None:
    contact = _contact(engine)
    with session_scope(engine) as session:
        check = create_check(session=session, contact=contact)
        with pytest.raises(ValueError) as refused:
            add_review(
                session=session, author="op", field="etiquette", value=value, check_id=check.id
            )
        assert str(refused.value) == error
        for written in ("full", " organisation_only , none", "none,,full"):
            add_review(
                session=session, author="op", field="etiquette", value=written, check_id=check.id
            )
        stored = [r.value for r in list_reviews(session=session, check_id=check.id)]
        assert stored == ["full", "organisation_only,none", "none,,full"]


def test_requeue_makes_a_new_unplanned_attempt_and_keeps_the_old(engine: Engine) -> None:
    contact = _contact(engine)
    with session_scope(engine) as session:
        check = create_check(session=session, contact=contact)
        check.status = "done"  # only a finished check is re-queued (RequeueError "not_done")
        again = requeue_check(session=session, check=check, actor="op", reason="номер занят")
        assert again.id != check.id
        assert (again.attempt, again.planned_at, again.status) == (2, None, "planned")
        assert again.details == {"requeued_from": check.id}


def test_the_runner_is_given_the_planned_checks_of_running_campaigns_only(engine: Engine) -> None:
    contact = _contact(engine)
    now = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        running = create_campaign(session=session, name="running", channels=["phone"])
        paused = create_campaign(session=session, name="paused", channels=["phone"])
        running.status, paused.status = "running", "paused"

        def planned(campaign_id: int | None, at: datetime | None) -> int | None:
            check = create_check(
                session=session, contact=contact, campaign_id=campaign_id, planned_at=at
            )
            session.flush()
            return check.id

        later, earlier = planned(running.id, now), planned(running.id, now.replace(hour=3))
        future = planned(running.id, now.replace(hour=5))
        unplaced = planned(running.id, None)
        planned(paused.id, now)
        planned(paused.id, None)
        done = planned(running.id, now.replace(hour=2))
        session.exec(select(Check).where(Check.id == done)).one().status = "done"
    with session_scope(engine) as session:
        assert [c.id for c in due_checks(session=session, now=now)] == [earlier, later]
        assert [c.id for c in due_checks(session=session, now=now, limit=1)] == [earlier]
        assert [c.id for c in unplaced_checks(session=session)] == [unplaced]
        assert future not in {c.id for c in due_checks(session=session, now=now)}


def test_an_organisation_is_audited_when_created_and_when_changed_only(engine: Engine) -> None:
    values = {"key": "omsk:a", "name": "Центр", "region": "omsk", "timezone": "Asia/Omsk"}
    for name in ("Центр", "Центр", "КЦСОН"):
        with session_scope(engine) as session:
            upsert_organisation(
                session=session,
                values={**values, "name": name},
                contacts=[],
                actor="importer",
                stats=UpsertStats(),
            )
    with session_scope(engine) as session:
        rows = list_audit(session=session, entity="organisation")
        audited = [(a.action, a.actor, a.before, a.after["name"]) for a in reversed(rows)]
    assert [(action, actor, name) for action, actor, _, name in audited] == [
        ("create", "importer", "Центр"),
        ("update", "importer", "КЦСОН"),
    ]
    assert audited[0][2] is None and audited[1][2]["name"] == "Центр"

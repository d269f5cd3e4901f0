"""The outage watch with a control target: a full streak asks for one control probe, whose
verdict pauses the channel (ours) or lets the results stand (theirs). On SQLite rows; the same
queries run on PostgreSQL under the advisory lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe import metrics
from probe.results import CheckResult
from probe.scoring.names import Outcome
from schedules.outage import ControlNeeded, OutagePolicy, control_verdict, record_outcome
from storage.engine import session_scope
from storage.models import AuditLog, Check, Contact
from tests.campaign_helpers import add_test_organisations, start_test_campaign

POLICY = OutagePolicy(threshold=2, first_pause=timedelta(seconds=60))
TARGET = "+73812000001"


def _setup(engine: Engine) -> None:
    add_test_organisations(engine, {"a": ["a0"], "b": ["b0"], "c": ["c0"], "d": ["d0"]})
    start_test_campaign(engine, peer="127.0.0.1:1", now=datetime.now(UTC))


def _result(outcome: Outcome, error_class: str | None = "peer_unreachable") -> CheckResult:
    now = datetime.now(UTC)
    return CheckResult(
        channel="test",
        outcome=outcome,
        started_at=now,
        finished_at=now,
        error_class=error_class if outcome == Outcome.FAILED else None,
    )


def _finish(session: Session, value: str, result: CheckResult) -> object:
    contact = session.exec(select(Contact).where(col(Contact.value) == value)).one()
    check = session.exec(select(Check).where(col(Check.contact_id) == contact.id)).one()
    check.status, check.outcome = "done", result.outcome
    check.finished_at = datetime.now(UTC)
    return record_outcome(
        session=session,
        channel="test",
        result=result,
        now=datetime.now(UTC),
        policy=POLICY,
        actor="test",
        control_target=TARGET,
    )


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [r.action for r in session.exec(select(AuditLog).order_by(col(AuditLog.id)))]


def test_a_full_streak_asks_for_one_control_probe_and_pauses_only_when_it_fails_too(
    engine: Engine,
) -> None:
    _setup(engine)
    with session_scope(engine) as session:
        assert _finish(session, "a0", _result(Outcome.FAILED)) is None
        needed = _finish(session, "b0", _result(Outcome.FAILED))
        assert isinstance(needed, ControlNeeded)
        assert (needed.channel, needed.trigger, len(needed.check_ids)) == (
            "test",
            "our_failures",
            2,
        )
        # Another failure while the control probe is out: no second probe, no pause yet.
        assert _finish(session, "c0", _result(Outcome.FAILED)) is None
    assert _actions(engine)[-1] == "control_call"
    ours = metrics.value("probe_control_probes_total", channel="test", verdict="ours")
    with session_scope(engine) as session:
        verdict, alert = control_verdict(
            session=session,
            needed=needed,
            control=_result(Outcome.FAILED, "sip_timeout"),
            now=datetime.now(UTC),
            policy=POLICY,
            actor="test",
        )
        assert verdict == "ours" and alert is not None and alert.after is not None
        assert alert.after["error_class"] == "peer_unreachable"
        assert alert.after["control"] == {
            "outcome": "failed",
            "error_class": "sip_timeout",
            "trigger": "our_failures",
        }
    assert _actions(engine)[-3:] == ["control_call", "control_result", "alert"]
    assert metrics.value("probe_control_probes_total", channel="test", verdict="ours") == ours + 1


def test_a_working_control_probe_lets_the_results_stand_and_the_streak_starts_again(
    engine: Engine,
) -> None:
    _setup(engine)
    with session_scope(engine) as session:
        _finish(session, "a0", _result(Outcome.FAILED))
        needed = _finish(session, "b0", _result(Outcome.FAILED))
        assert isinstance(needed, ControlNeeded)
        verdict, alert = control_verdict(
            session=session,
            needed=needed,
            control=_result(Outcome.CONNECTED),
            now=datetime.now(UTC),
            policy=POLICY,
            actor="test",
        )
        assert (verdict, alert) == ("theirs", None)
        session.flush()
        # The failures before the verdict are settled: one more is not a streak yet.
        assert _finish(session, "c0", _result(Outcome.FAILED)) is None
        again = _finish(session, "d0", _result(Outcome.FAILED))
        assert isinstance(again, ControlNeeded) and again.check_ids == sorted(again.check_ids)
        assert len(again.check_ids) == 2 and needed.check_ids[0] not in again.check_ids
    assert "alert" not in _actions(engine)


def test_suspect_outcomes_ask_for_a_control_probe_only_when_switched_on(engine: Engine) -> None:
    _setup(engine)
    with session_scope(engine) as session:
        assert _finish(session, "a0", _result(Outcome.UNAVAILABLE)) is None
        assert _finish(session, "b0", _result(Outcome.UNAVAILABLE)) is None  # suspect_streak 0
    suspicious = OutagePolicy(threshold=2, suspect_streak=2)
    with session_scope(engine) as session:
        contact = session.exec(select(Contact).where(col(Contact.value) == "c0")).one()
        check = session.exec(select(Check).where(col(Check.contact_id) == contact.id)).one()
        check.status, check.outcome, check.finished_at = "done", "unavailable", datetime.now(UTC)
        needed = record_outcome(
            session=session,
            channel="test",
            result=_result(Outcome.UNAVAILABLE),
            now=datetime.now(UTC),
            policy=suspicious,
            actor="test",
            control_target=TARGET,
        )
        assert isinstance(needed, ControlNeeded) and needed.trigger == "suspect"

"""Greetings read off the call path (issue 18 item 4): the jobs of recorded calls, claimed once,
retried then failed, counted as a backlog in the campaign status; without the speech extra the
worker service does nothing and says why."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from adapters.sip.greetwork import engine as speech
from adapters.sip.greetwork.jobs import enqueue
from adapters.sip.greetwork.worker import backlog, service
from probe.cli.main import app
from probe.results import utc_now
from probe.settings import Settings
from storage import greetings
from storage.engine import session_scope
from storage.models import Check, GreetingProposal
from tests.integration.test_web_support import Seeded

pytestmark = pytest.mark.integration

TWO_PERSONS = [
    {"person": 1, "leg": 0, "from_ms": 900.0, "greeting_ms": 1200.0, "recording_s": 0.0,
     "until_s": 0.1},
    {"person": 2, "leg": 1, "from_ms": 9000.0, "greeting_ms": None, "recording_s": None,
     "until_s": None},
]  # fmt: skip


def _give_persons(engine: Engine, check_id: int, persons: list[dict]) -> None:
    with session_scope(engine) as session:
        check = session.get(Check, check_id)
        assert check is not None
        check.details = {**check.details, "persons": persons}
        session.add(check)


def _rows(engine: Engine) -> dict[tuple[int, int], GreetingProposal]:
    with Session(engine) as session:
        rows = session.exec(select(GreetingProposal).order_by(col(GreetingProposal.id))).all()
    return {(r.check_id, r.person): r for r in rows}


def test_each_person_of_a_recorded_call_gets_one_job_once(engine: Engine, seeded: Seeded) -> None:
    _give_persons(engine, seeded.connected_id, TWO_PERSONS)
    assert backlog(engine)["waiting"] == 2  # two connected calls, not enqueued yet
    assert enqueue(engine) == 3
    rows = _rows(engine)
    first, second = rows[(seeded.connected_id, 1)], rows[(seeded.connected_id, 2)]
    assert (first.status, first.recording, first.start_s) == ("pending", "recordings/call.wav", 0.0)
    assert second.status == "no_speech"  # the specialist said nothing: nothing to read
    # The judged call has no recording: one person, nothing to read, and why.
    judged = rows[(seeded.judged_id, 1)]
    assert (judged.status, judged.error) == ("no_speech", "no recording")
    assert enqueue(engine) == 0
    counts = backlog(engine)
    assert (counts["waiting"], counts["no_speech"], counts["enqueued"]) == (1, 2, 3)


def test_a_job_is_claimed_by_one_worker_and_taken_back_after_its_lease(
    engine: Engine, seeded: Seeded
) -> None:
    _give_persons(engine, seeded.connected_id, TWO_PERSONS)
    enqueue(engine)
    now = utc_now()
    lease = timedelta(minutes=10)
    with session_scope(engine) as session:
        job = greetings.claim(session=session, worker="a", now=now, lease=lease)
        assert job is not None and job.claimed_by == "a" and job.attempts == 1
    with session_scope(engine) as session:
        assert greetings.claim(session=session, worker="b", now=now, lease=lease) is None
    later = now + lease + timedelta(seconds=1)  # worker a died mid-job
    with session_scope(engine) as session:
        again = greetings.claim(session=session, worker="b", now=later, lease=lease)
        assert again is not None and (again.id, again.claimed_by) == (job.id, "b")
        assert again.attempts == 2


def test_a_job_that_keeps_failing_is_retried_then_failed_with_its_error(
    engine: Engine, seeded: Seeded
) -> None:
    _give_persons(engine, seeded.connected_id, TWO_PERSONS)
    enqueue(engine)
    for attempt in range(1, greetings.MAX_ATTEMPTS + 1):
        with session_scope(engine) as session:
            job = greetings.claim(
                session=session, worker="w", now=utc_now(), lease=timedelta(minutes=1)
            )
            assert job is not None and job.id is not None and job.attempts == attempt
            greetings.fail(session=session, job_id=job.id, error="RuntimeError: bad wav")
    row = _rows(engine)[(seeded.connected_id, 1)]
    assert (row.status, row.error) == ("failed", "RuntimeError: bad wav")
    assert backlog(engine)["failed"] == 1


def test_the_campaign_status_counts_the_greetings_once_a_worker_ran(
    engine: Engine, seeded: Seeded, sqlite_url: str, cli: CliRunner
) -> None:
    before = cli.invoke(app, ["campaign", "status", "q1-2026", "--json"])
    assert before.exit_code == 0, before.output
    assert "greetings" not in json.loads(before.output)  # the columns are the operator's
    _give_persons(engine, seeded.connected_id, TWO_PERSONS)
    enqueue(engine)
    after = cli.invoke(app, ["campaign", "status", "q1-2026", "--json"])
    counts = json.loads(after.output)["greetings"]
    assert (counts["waiting"], counts["no_speech"], counts["done"]) == (1, 2, 0)
    table = cli.invoke(app, ["campaign", "status", "q1-2026"])
    assert "greetings (columns 7-9): 0 proposed, 1 waiting" in " ".join(table.output.split())


@pytest.mark.parametrize("missing", ["extra", "model"])
async def test_without_the_speech_extra_or_its_model_the_worker_service_does_nothing(
    engine: Engine,
    seeded: Seeded,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
) -> None:
    _give_persons(engine, seeded.connected_id, TWO_PERSONS)
    speech_section = {}
    if missing == "extra":
        monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails as uninstalled
        expected = "speech extra not installed"
    else:
        (tmp_path / "no-model").mkdir()
        speech_section = {"model_dir": str(tmp_path / "no-model")}
        expected = "no-model"
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path / "var", speech=speech_section)
    assert expected in (speech.unavailable(settings) or "")
    stop = asyncio.Event()
    await asyncio.wait_for(service(engine=engine, settings=settings, stop=stop), 30)
    assert _rows(engine) == {}  # no job, no process: nothing changed
    with pytest.raises(speech.SpeechUnavailable):
        speech.load(settings)

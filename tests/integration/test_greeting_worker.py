"""The greeting worker reads a recorded greeting with the real speech engine, off the call path
(issue 18 item 4): festival's Russian voice through the 8 kHz codec, the proposal stored per
person with its words' offsets in the recording, the backlog gauge drained."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.sip.greetwork import engine as speech
from adapters.sip.greetwork.worker import service, work
from probe import metrics
from probe.settings import Settings
from storage.engine import session_scope
from storage.models import Check, GreetingProposal, Organisation
from tests.integration.test_web_support import Seeded
from tests.servers import speech as voices

pytestmark = pytest.mark.integration

TARA = "Комплексный центр социального обслуживания Тарского района"


def _recorded_greeting(engine: Engine, seeded: Seeded, data_dir: Path) -> None:
    """The seeded connected call's recording: 1.5 s of line, then the regulation's greeting."""
    voices.require_festival()
    work_dir = data_dir / "make"
    work_dir.mkdir(parents=True)
    greeting = voices.say(work_dir / "greeting.wav", voices.FULL_GREETING)
    pause = voices.silence(work_dir / "pause.wav", 1.5)
    voices.wav(data_dir / "recordings" / "call.wav", [pause, greeting])
    with session_scope(engine) as session:
        check = session.get(Check, seeded.connected_id)
        assert check is not None
        check.details = {**check.details, "persons": [{"person": 1, "recording_s": 1.2}]}
        organisation = session.get(Organisation, check.organisation_id)
        assert organisation is not None
        organisation.name, organisation.short_name = TARA, "КЦСОН Тарского района"
        session.add_all([check, organisation])


def _settings(sqlite_url: str, data_dir: Path) -> Settings:
    settings = Settings(database_url=sqlite_url, data_dir=data_dir)
    if speech.unavailable(settings):
        pytest.fail(f"{speech.unavailable(settings)}: run `scripts/setup.sh --test`")
    return settings


def test_a_recorded_full_greeting_is_proposed_as_column_7_with_its_words(
    engine: Engine, seeded: Seeded, sqlite_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    _recorded_greeting(engine, seeded, data_dir)
    assert work(engine, _settings(sqlite_url, data_dir), "test", once=True) == 1
    with Session(engine) as session:
        (row,) = session.exec(
            select(GreetingProposal).where(GreetingProposal.check_id == seeded.connected_id)
        ).all()
    assert (row.status, row.etiquette, row.attempts) == ("done", "full", 1), row.proposal
    assert row.proposal["column"] == 7
    assert row.proposal["found"] == {"organisation": True, "full_name": True, "position": True}
    words = row.proposal["words"]
    # Offsets are seconds in the recording: the greeting begins after the 1.5 s of line.
    assert 1.2 <= words[0]["start"] < 2.5, words[:3]
    assert "Николаевна" in row.proposal["transcript"] or "николаевна" in (
        row.proposal["transcript"].lower()
    )


async def test_the_service_runs_a_worker_process_that_drains_the_backlog(
    engine: Engine, seeded: Seeded, sqlite_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "var"
    _recorded_greeting(engine, seeded, data_dir)
    stop = asyncio.Event()
    task = asyncio.create_task(
        service(engine=engine, settings=_settings(sqlite_url, data_dir), stop=stop)
    )
    deadline = time.monotonic() + 120
    try:
        while metrics.value("probe_greeting_backlog", state="done") < 1:
            assert time.monotonic() < deadline, "the worker proposed nothing in 120 s"
            assert not task.done(), task
            await asyncio.sleep(0.5)
        assert metrics.value("probe_greeting_backlog", state="waiting") == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    with Session(engine) as session:
        rows = session.exec(select(GreetingProposal)).all()
    assert {(r.check_id, r.status) for r in rows} == {
        (seeded.connected_id, "done"),
        (seeded.judged_id, "no_speech"),  # no recording
    }
    assert [r.etiquette for r in rows if r.status == "done"] == ["full"]

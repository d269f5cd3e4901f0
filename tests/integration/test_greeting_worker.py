"""The greeting worker reads a recorded greeting with the real speech engine, off the call path
(issue 18 item 4): festival's Russian voice through the 8 kHz codec, the proposal stored per
person with its words' offsets in the recording, the backlog gauge drained."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.sip.greeting import Transcript, Word, propose
from adapters.sip.greetwork import engine as speech
from adapters.sip.greetwork.jobs import enqueue
from adapters.sip.greetwork.worker import service, work
from probe import metrics
from probe.settings import Settings
from storage import greetings
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
    # A process to start, the model to load, SETTLE_SECONDS for more calls, a read: minutes
    # on a loaded machine.
    deadline = time.monotonic() + 240
    try:
        while metrics.value("probe_greeting_backlog", state="done") < 1:
            assert time.monotonic() < deadline, "the worker proposed nothing in 240 s"
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


def test_waiting_greetings_are_read_together_and_a_bad_file_fails_only_its_own_job(
    engine: Engine, seeded: Seeded, sqlite_url: str, tmp_path: Path
) -> None:
    """Three persons of one call in one recording (a full greeting, the organisation only, no
    introduction), and a fourth job whose file is gone: one claim; the three read together in
    shared passes, each as its own column, once; the missing file fails alone (retried, then
    failed with its error)."""
    data_dir = tmp_path / "var"
    voices.require_festival()
    work_dir = data_dir / "make"
    work_dir.mkdir(parents=True)
    pause = voices.silence(work_dir / "pause.wav", 1.0)
    parts = [
        voices.say(work_dir / "full.wav", voices.FULL_GREETING),
        voices.say(work_dir / "org.wav", "Комплексный центр Тарского района, здравствуйте."),
        voices.say(work_dir / "none.wav", "Алло, слушаю вас."),
    ]
    voices.wav(
        data_dir / "recordings" / "call.wav", [pause, parts[0], pause, parts[1], pause, parts[2]]
    )
    persons, at = [], 1.0
    for number, part in enumerate(parts, start=1):
        with wave.open(str(part)) as clip:
            seconds = clip.getnframes() / clip.getframerate()
        persons.append({"person": number, "recording_s": at - 0.3, "until_s": at + seconds + 0.3})
        at += seconds + 1.0
    persons.append({"person": 4, "recording_s": 0.0, "until_s": 3.0})
    with session_scope(engine) as session:
        check = session.get(Check, seeded.connected_id)
        assert check is not None
        check.details = {**check.details, "persons": persons}
        organisation = session.get(Organisation, check.organisation_id)
        assert organisation is not None
        organisation.name, organisation.short_name = TARA, "КЦСОН Тарского района"
        session.add_all([check, organisation])
    settings = _settings(sqlite_url, data_dir)
    enqueue(engine)
    with session_scope(engine) as session:
        (gone,) = session.exec(select(GreetingProposal).where(GreetingProposal.person == 4)).all()
        gone.recording = "recordings/gone.wav"
        session.add(gone)
    work(engine, settings, "test", once=True)
    with Session(engine) as session:
        rows = {
            r.person: r
            for r in session.exec(
                select(GreetingProposal).where(GreetingProposal.check_id == seeded.connected_id)
            ).all()
        }
    read = [
        (rows[n].status, rows[n].etiquette, rows[n].proposal.get("batch"), rows[n].attempts)
        for n in (1, 2, 3)
    ]
    assert read == [
        ("done", "full", 3, 1),
        ("done", "organisation_only", 3, 1),
        ("done", "none", 3, 1),
    ], [rows[n].proposal.get("transcript") for n in (1, 2, 3)]
    assert (rows[4].status, rows[4].attempts) == ("failed", greetings.MAX_ATTEMPTS)
    assert "FileNotFoundError" in (rows[4].error or ""), rows[4].error


def test_a_greeting_a_shared_pass_heard_in_part_is_read_again_alone(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared pass is the real one; then the first greeting comes out as make demo saw a
    # pass garble it (the name run into one word: column 8). The worker reads that one again
    # alone, keeps what the pass heard, and leaves the other as the pass read it.
    voices.require_festival()
    full = voices.say(tmp_path / "full.wav", voices.FULL_GREETING)
    org = voices.say(tmp_path / "org.wav", "Комплексный центр Тарского района, здравствуйте.")
    garbled = (
        "Комплексный центр ссетвального послуживания, специалист по социальной работе "
        "СМИРНОВО ОЛГОНИКОЛАЮВНОРСДРАВСТВЫТИ"
    )
    shared = speech.analyse_greetings

    def pass_that_loses_the_name(clips, settings):  # type: ignore[no-untyped-def]
        found = shared(clips, settings)
        return [propose(Transcript.from_text(garbled), clips[0][1]), *found[1:]]

    monkeypatch.setattr(speech, "analyse_greetings", pass_that_loses_the_name)
    engine_ = speech.load(_settings(sqlite_url, tmp_path))
    names = engine_.names({"name": TARA, "short_name": "КЦСОН Тарского района"})
    jobs = [speech.Job(full, 0.0, None, names), speech.Job(org, 0.0, None, names)]
    first, second = engine_.many(jobs)
    assert (first["column"], first["batch"], first["reread"]) == (7, 2, garbled), first
    assert first["found"] == {"organisation": True, "full_name": True, "position": True}
    assert (second["column"], second["batch"], "reread" in second) == (8, 2, False), second


def test_a_greeting_a_shared_pass_heard_without_its_beginning_is_read_again_alone(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As make demo saw a pass of six read «Комплексный центр, слушаю вас.» (CI, 2026-12-06):
    # «Слушаю вас.», its first word 1.24 s after the onset, nothing of the organisation
    # (column 9). The worker reads that one again alone and leaves the other as the pass read it.
    voices.require_festival()
    org = voices.say(tmp_path / "org.wav", "Комплексный центр Тарского района, слушаю вас.")
    full = voices.say(tmp_path / "full.wav", voices.FULL_GREETING)
    shared = speech.analyse_greetings

    def pass_that_loses_the_start(clips, settings):  # type: ignore[no-untyped-def]
        found = shared(clips, settings)
        heard = Transcript.from_text("Слушаю вас.")
        late = [Word(w.text, w.start + 1.24, w.end + 1.24, w.probability) for w in heard.words]
        return [propose(Transcript(late, heard.text, "ru"), clips[0][1]), *found[1:]]

    monkeypatch.setattr(speech, "analyse_greetings", pass_that_loses_the_start)
    engine_ = speech.load(_settings(sqlite_url, tmp_path))
    names = engine_.names({"name": TARA, "short_name": "КЦСОН Тарского района"})
    jobs = [speech.Job(org, 0.0, None, names), speech.Job(full, 0.0, None, names)]
    first, second = engine_.many(jobs)
    assert (first["column"], first["batch"], first["reread"]) == (8, 2, "Слушаю вас."), first
    assert first["found"]["organisation"], first
    assert (second["column"], second["batch"], "reread" in second) == (7, 2, False), second

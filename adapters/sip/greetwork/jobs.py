"""The greeting jobs of one call, and jobs done: enqueue, analyse (alone or several in shared
passes), store."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from adapters.sip.greetwork.engine import Job, Speech
from probe.channels import channel_spec
from probe.settings import Settings
from storage import greetings
from storage.engine import session_scope
from storage.models import Check, GreetingProposal, Organisation

CHANNEL = "phone"
LEASE = timedelta(minutes=10)
# Before details["persons"] existed: the greeting is read from the first speech after the
# answer, the recording taken to begin at the answer.
LEAD_SECONDS = 0.3
GREETING_SECONDS = 10.0


def judged_outcomes() -> frozenset[str]:
    """The phone outcomes after which an operator judges etiquette (a connected call)."""
    return frozenset(o.name for o in channel_spec(CHANNEL).outcomes if "etiquette" in o.judgements)


def _recording(check: Check) -> str | None:
    return next((e.get("path") for e in check.evidence if e.get("kind") == "recording"), None)


def _old_persons(details: dict[str, Any], answer_ms: float) -> list[dict[str, Any]]:
    speech = sorted(float(s[0]) for s in details.get("speech") or [] if s and s[0] >= answer_ms)
    if not speech:
        return [{"person": 1, "greeting_ms": None}]
    start = max(0.0, (speech[0] - answer_ms) / 1000.0 - LEAD_SECONDS)
    return [{"person": 1, "recording_s": start, "until_s": start + GREETING_SECONDS}]


def jobs_of(check: Check) -> list[dict[str, Any]]:
    """The rows to add for a recorded call: one per person, pending when there is something to
    read, `no_speech` otherwise (no recording, or that person said nothing)."""
    details = check.details or {}
    persons = details.get("persons")
    if persons is None:
        persons = _old_persons(details, float((check.timings_ms or {}).get("answer", 0.0)))
    recording = _recording(check)
    rows = []
    for person in persons or [{"person": 1}]:
        start = person.get("recording_s")
        readable = recording is not None and start is not None
        rows.append(
            {
                "person": int(person["person"]),
                "recording": recording,
                "start_s": start,
                "until_s": person.get("until_s"),
                "status": greetings.PENDING if readable else greetings.NO_SPEECH,
                "error": None if readable else ("no recording" if recording is None else None),
            }
        )
    return rows


def enqueue(engine: Engine, *, limit: int = 50) -> int:
    """Add the jobs of recorded calls that have none yet; how many persons were added."""
    added = 0
    with Session(engine) as session:
        ids = [
            c.id
            for c in greetings.unqueued_checks(
                session=session, channels=[CHANNEL], outcomes=judged_outcomes(), limit=limit
            )
        ]
    for check_id in ids:
        # Another worker may add the same call's rows at the same moment: its are kept.
        with contextlib.suppress(IntegrityError), session_scope(engine) as session:
            check = session.get(Check, check_id)
            if check is not None and check.id is not None:
                added += greetings.add_jobs(
                    session=session, check_id=check.id, persons=jobs_of(check)
                )
    return added


def organisation_names(session: Session, check: Check) -> dict[str, str]:
    organisation = session.get(Organisation, check.organisation_id)
    if organisation is None:
        return {"name": "", "short_name": ""}
    return {"name": organisation.name, "short_name": organisation.short_name}


def as_data(value: Any) -> Any:
    """The engine's result as JSON: dataclasses, pydantic models, tuples, paths."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return as_data(value.model_dump())
    if isinstance(value, dict):
        return {str(k): as_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_data(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def recording_path(settings: Settings, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else settings.data_dir / path


def _job(settings: Settings, job: GreetingProposal, names: Any) -> Job:
    assert job.recording is not None and job.start_s is not None
    seconds = None if job.until_s is None else max(0.5, job.until_s - job.start_s)
    return Job(recording_path(settings, job.recording), job.start_s, seconds, names)


def _store(engine: Engine, job_id: int, found: Any) -> None:
    data = as_data(found)
    with session_scope(engine) as session:
        greetings.finish(
            session=session,
            job_id=job_id,
            etiquette=data.get("etiquette"),
            confidence=data.get("confidence"),
            proposal=data,
        )


def _failed(engine: Engine, job_id: int, error: Exception) -> None:
    """A bad file, the model: the job is retried, then failed (storage.greetings.fail)."""
    with session_scope(engine) as session:
        greetings.fail(session=session, job_id=job_id, error=f"{type(error).__name__}: {error}")


def _read_alone(engine: Engine, job_id: int, work: Job, speech: Speech) -> None:
    try:
        found = speech.one(work)
    except Exception as error:
        _failed(engine, job_id, error)
        return
    _store(engine, job_id, found)


def run_job(
    engine: Engine, settings: Settings, job: GreetingProposal, speech: Speech, names: Any
) -> None:
    """Read one person's greeting alone and store the proposal (or the error, to be retried)."""
    assert job.id is not None
    _read_alone(engine, job.id, _job(settings, job, names), speech)


def run_jobs(
    engine: Engine, settings: Settings, jobs: list[tuple[GreetingProposal, Any]], speech: Speech
) -> None:
    """Read several persons' greetings in shared passes (far less CPU per greeting than one
    pass each) and store every proposal. A job whose recording is gone fails alone; one job
    left is read alone; when the shared read fails (a bad file among them), each is read
    alone, so only the bad one is retried."""
    readable = []
    for job, names in jobs:
        assert job.id is not None
        work = _job(settings, job, names)
        if work.wav.is_file():
            readable.append((job.id, work))
        else:
            _failed(engine, job.id, FileNotFoundError(f"no recording {work.wav}"))
    if len(readable) == 1:
        job_id, work = readable[0]
        _read_alone(engine, job_id, work, speech)
        return
    try:
        found = speech.many([work for _, work in readable]) if readable else []
    except Exception:
        for job_id, work in readable:
            _read_alone(engine, job_id, work, speech)
        return
    for (job_id, _), data in zip(readable, found, strict=True):
        _store(engine, job_id, data)

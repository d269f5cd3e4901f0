"""The job queue's pieces that need no server: names, locks, retry decisions, CLI refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from procrastinate import jobs
from typer.testing import CliRunner

from probe.cli.main import app
from schedules.queue import (
    CapacityBusy,
    CheckRetry,
    libpq_url,
    organisation_lock,
    queue_name,
    queueing_lock,
)

PG = "postgresql://probe@127.0.0.1:1/nowhere"


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The CLI points structlog at CliRunner's stream, closed after the call: later tests in the
    same process would fail writing a log line."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _job(attempts: int) -> jobs.Job:
    return jobs.Job(
        id=1, queue="test.default", lock=None, queueing_lock=None, task_name="probe.check",
        task_kwargs={"check_id": 7}, attempts=attempts,
    )  # fmt: skip


def test_a_queue_is_named_by_channel_and_account_defaulting_per_channel() -> None:
    assert queue_name("phone") == "phone.default"
    assert queue_name("phone", "omsk-trunk") == "phone.omsk-trunk"
    assert queue_name("email", None) == "email.default"


def test_locks_name_the_organisation_and_the_check() -> None:
    assert organisation_lock(12) == "organisation-12"
    assert queueing_lock(345) == "check-345"


def test_the_database_url_is_handed_to_psycopg_without_the_driver_name() -> None:
    assert libpq_url("postgresql+psycopg://u:p%40ss@h:5433/db") == "postgresql://u:p%40ss@h:5433/db"
    assert libpq_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_waiting_for_capacity_is_retried_when_the_limit_lifts_however_often() -> None:
    at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    decision = CheckRetry(max_attempts=3).get_retry_decision(
        exception=CapacityBusy("capacity: trunk channels", at), job=_job(attempts=50)
    )
    assert decision is not None and decision.retry_at == at


def test_other_errors_back_off_and_stop_after_the_last_attempt() -> None:
    strategy = CheckRetry(max_attempts=3, max_wait=60)
    before = datetime.now(UTC)
    first = strategy.get_retry_decision(exception=OSError("db down"), job=_job(attempts=0))
    strategy.get_retry_decision(exception=OSError("db down"), job=_job(attempts=1))
    third = strategy.get_retry_decision(exception=OSError("db down"), job=_job(attempts=2))
    assert first is not None and first.retry_at is not None
    assert third is not None and third.retry_at is not None
    assert first.retry_at - before < timedelta(seconds=1)
    assert timedelta(seconds=1.5) < third.retry_at - before < timedelta(seconds=3)
    assert strategy.get_retry_decision(exception=OSError("db down"), job=_job(attempts=3)) is None


def test_waits_for_capacity_do_not_lengthen_the_back_off_of_a_first_error() -> None:
    """procrastinate counts every retry as an attempt; a job that waited for its turn fifty
    times and then meets the database restarting is retried within a second."""
    strategy = CheckRetry(max_attempts=3, max_wait=60)
    before = datetime.now(UTC)
    decision = strategy.get_retry_decision(exception=OSError("db down"), job=_job(attempts=50))
    assert decision is not None and decision.retry_at is not None
    assert decision.retry_at - before < timedelta(seconds=1)


def test_a_worker_on_sqlite_is_refused_with_the_reason(cli: CliRunner) -> None:
    result = cli.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert (
        "probe worker needs PostgreSQL (PROBE_DATABASE_URL=postgresql://...); "
        "with SQLite, `probe run` executes the checks itself"
    ) in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--queue", "fax"], "--queue fax: unknown channel 'fax'; available: "),
        (["--queue", "test."], "--queue test.: empty account after the dot"),
        (
            ["--heartbeat", "5", "--stalled-after", "5"],
            "--stalled-after (5) must be longer than --heartbeat (5)",
        ),
    ],
)
def test_bad_worker_options_are_refused_exactly(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("PROBE_DATABASE_URL", PG)
    result = cli.invoke(app, ["worker", *args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_a_worker_concurrency_below_one_is_refused(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_DATABASE_URL", PG)
    result = cli.invoke(app, ["worker", "--concurrency", "0"])
    assert result.exit_code == 2
    text = "".join(c for c in result.output if c not in "│╭╮╰╯─")
    assert "Invalid value for '--concurrency': Input should be greater than or equal to 1" in (
        " ".join(text.split())
    )

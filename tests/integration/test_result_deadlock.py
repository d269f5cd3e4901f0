"""A result whose transaction PostgreSQL aborts as a deadlock's victim is stored by running the
transaction again (schedules.completion.finish through storage.engine.in_transaction).

The deadlock is real: another connection holds the campaign counter the result's transaction
locks last (storage.tally: "status/running", the check leaving it) and, once that transaction
waits for it, asks for the counter it locked first ("status/done"). PostgreSQL aborts the
result's transaction (its deadlock check runs first); the retry stores the result, and the
counters still equal the campaign's checks counted afresh."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import select

from probe import metrics
from probe.channels import ProbeTarget
from probe.results import CheckResult
from probe.settings import Settings
from schedules.completion import finish, sink_for
from schedules.executor import Job
from schedules.spec import CampaignSpec
from storage import tally
from storage.campaigns import bulk_insert_attempts, claim_check
from storage.engine import make_engine, session_scope
from storage.models import Campaign, Check, Contact
from storage.planning import PlannedAttempt
from tests.integration.test_web_support import T0, seed

pytestmark = pytest.mark.integration

COUNTER = (
    "UPDATE campaign_tally SET n = n WHERE campaign_id = :c AND kind = 'status' "
    "AND channel = 'phone' AND a = :a AND b = ''"
)


def _running_check(engine: Engine, campaign_id: int, contact_id: int) -> Job:
    with session_scope(engine) as db:
        contact = db.get(Contact, contact_id)
        assert contact is not None
        attempt = PlannedAttempt(
            organisation_id=contact.organisation_id,
            contact_id=contact_id,
            channel="phone",
            planned_at=T0,
            reason="plan",
        )
        bulk_insert_attempts(session=db, campaign_id=campaign_id, attempts=[attempt])
        check_id = db.exec(select(Check.id).where(Check.status == "planned")).one()
        assert check_id is not None
        lease = T0 + timedelta(minutes=5)
        assert claim_check(session=db, check_id=check_id, worker="w1", now=T0, lease_until=lease)
        campaign = db.get(Campaign, campaign_id)
        assert campaign is not None
        spec = CampaignSpec.model_validate(
            {"name": campaign.name, "organisations": {"region": ["omsk"]}, "channels": ["phone"],
             "start": T0.date(), "end": T0.date() + timedelta(days=13)}
        )  # fmt: skip
        campaign.spec = spec.model_dump(mode="json")
        target = ProbeTarget(check_id=check_id, channel="phone", value=contact.value or "")
        return Job(check_id, campaign_id, contact.organisation_id, "phone", spec, target)


def _waiting_for_a_lock(holder: Connection, runner: threading.Thread, deadline: float) -> None:
    """Until another backend waits for a lock (the counter we hold)."""
    while time.monotonic() < deadline and runner.is_alive():
        found = holder.execute(
            text(
                # A row lock is waited for as the holder's transaction id (no database named):
                # the test server runs only this test's transactions.
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
            )
        ).scalar_one()
        if found:
            return
        time.sleep(0.01)
    raise AssertionError("the result's transaction never waited for the held counter")


def test_a_result_aborted_as_a_deadlock_victim_is_stored_on_a_retry(
    postgres_url: str, pg_engine: Engine, tmp_path: Path
) -> None:
    seeded = seed(pg_engine, tmp_path / "var")
    job = _running_check(pg_engine, seeded.campaign_id, seeded.phone_contact_id)
    # The runner's engine detects a deadlock after 3 s (the holder only after 60 s): the
    # result's transaction is the victim, and the holder has time to ask for the second row.
    runner_engine = make_engine(
        postgres_url, connect_args={"options": "-c jit=off -c deadlock_timeout=3s"}
    )
    rt = sink_for(runner_engine, Settings()).rt
    result = CheckResult(
        channel="phone",
        outcome="connected",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=40),
    )
    retries = (
        metrics.REGISTRY.get_sample_value("probe_transaction_retries_total", {"reason": "deadlock"})
        or 0.0
    )
    outcome: dict[str, Any] = {}

    def store() -> None:
        try:
            outcome["returned"] = finish(rt, job, result, "result")
        except BaseException as error:  # shown by the assertion below
            outcome["error"] = error

    holder_engine = make_engine(postgres_url)
    with holder_engine.connect() as holder:
        holder.execute(text("SET deadlock_timeout = '60s'"))
        holder.execute(text(COUNTER), {"c": seeded.campaign_id, "a": "running"})
        runner = threading.Thread(target=store)
        runner.start()
        _waiting_for_a_lock(holder, runner, time.monotonic() + 30)
        # The opposite order: this waits for the row the result's transaction holds, until
        # PostgreSQL aborts that transaction as the deadlock's victim.
        holder.execute(text(COUNTER), {"c": seeded.campaign_id, "a": "done"})
        holder.commit()
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert "error" not in outcome, outcome.get("error")
    after = metrics.REGISTRY.get_sample_value(
        "probe_transaction_retries_total", {"reason": "deadlock"}
    )
    assert after == retries + 1
    with session_scope(pg_engine) as db:
        check = db.get(Check, job.check_id)
        assert check is not None
        assert (check.status, check.outcome, check.effective_outcome) == (
            "done",
            "connected",
            "connected",
        )
        assert tally.stored_counts(db, seeded.campaign_id) == tally.counted_afresh(
            db, seeded.campaign_id
        )
    runner_engine.dispose()
    holder_engine.dispose()

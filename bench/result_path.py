"""Bench: checks recorded per second through the real result path (schedules.completion.finish:
the check's row and timeline, the outage watch, the attempt policy, the campaign's end, one
transaction per result) on SQLite, with the campaign counters kept by storage.tally's
before_flush listener, against the same path with that listener removed, in the same run.

Each mode gets a fresh database with the same campaign: `--organisations` organisations of two
phones each, one running check per phone (planned in bulk and claimed, as the runner does),
and a result for each (connected, busy, no answer in turn: a busy or unanswered call makes the
policy plan its retry). The two databases take their results in alternating blocks
(`--block` results with the listener removed, the same with it, and so on), so a change of the
machine's load falls on both. The ratio of the times is what keeping the counters costs the
write side.

    .venv/bin/python bench/result_path.py [--organisations 500] [--block 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from probe.channels import ProbeTarget  # noqa: E402
from probe.results import CheckResult  # noqa: E402
from probe.settings import Settings  # noqa: E402
from schedules.completion import finish, sink_for  # noqa: E402
from schedules.executor import Job, Runtime  # noqa: E402
from schedules.spec import CampaignSpec  # noqa: E402
from storage import tally  # noqa: E402
from storage.campaigns import bulk_insert_attempts, claim_check  # noqa: E402
from storage.checks import create_campaign  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Check, Contact, Organisation  # noqa: E402
from storage.planning import PlannedAttempt  # noqa: E402

T0 = datetime(2026, 4, 6, 3, 0, tzinfo=UTC)  # a Monday, 09:00 in Omsk
OUTCOMES = ("connected", "busy", "no_answer")


def _database(folder: Path, name: str, organisations: int) -> tuple[str, list[Job]]:
    url = f"sqlite:///{folder / name}.db"
    upgrade(url)
    engine = make_engine(url)
    spec = CampaignSpec.model_validate(
        {"name": "bench", "organisations": {"all": True}, "channels": ["phone"],
         "start": T0.date(), "end": T0.date() + timedelta(days=13)}
    )  # fmt: skip
    with session_scope(engine) as db:
        campaign = create_campaign(
            session=db, name="bench", title="", channels=["phone"],
            spec=spec.model_dump(mode="json"),
        )  # fmt: skip
        attempts = []
        for i in range(organisations):
            org = Organisation(
                key=f"omsk:{i}",
                name=f"ЦСО {i}",
                region="omsk",
                timezone="Asia/Omsk",
                source="bench",
                source_row=i + 2,
            )
            db.add(org)
            db.flush()
            for n in range(2):
                value = f"+73812{200000 + 2 * i + n}"
                contact = Contact(
                    organisation_id=org.id or 0, channel="phone", key=value, raw=value,
                    value=value, position=n,
                )  # fmt: skip
                db.add(contact)
                db.flush()
                attempts.append(
                    PlannedAttempt(org.id or 0, contact.id or 0, "phone", T0, "first attempt")
                )
        assert campaign.id is not None
        bulk_insert_attempts(session=db, campaign_id=campaign.id, attempts=attempts)
        jobs = _claimed(db, campaign.id, spec)
    engine.dispose()
    return url, jobs


def _claimed(db: Session, campaign_id: int, spec: CampaignSpec) -> list[Job]:
    jobs = []
    checks = db.exec(select(Check).where(col(Check.campaign_id) == campaign_id)).all()
    for check in checks:
        assert check.id is not None
        lease = T0 + timedelta(minutes=15)
        assert claim_check(session=db, check_id=check.id, worker="w", now=T0, lease_until=lease)
        target = ProbeTarget(check_id=check.id, channel="phone", value="+73812000000")
        jobs.append(Job(check.id, campaign_id, check.organisation_id, "phone", spec, target))
    return jobs


def _results(jobs: list[Job]) -> list[CheckResult]:
    results = []
    for n, _job in enumerate(jobs):
        at = T0 + timedelta(seconds=n)
        results.append(
            CheckResult(
                channel="phone",
                outcome=OUTCOMES[n % len(OUTCOMES)],
                started_at=at,
                finished_at=at + timedelta(seconds=40),
                timings_ms={"ring": 5000, "answer": 3000},
            )
        )
    return results


def _block(rt: Runtime, jobs: list[Job], results: list[CheckResult], counting: bool) -> float:
    """Seconds to record one block of results, with or without the counters' listener."""
    if not counting:
        event.remove(OrmSession, "before_flush", tally._keep_counts)
    try:
        start = time.perf_counter()
        for job, result in zip(jobs, results, strict=True):
            finish(rt, job, result, "result")
        return time.perf_counter() - start
    finally:
        if not counting:
            event.listen(OrmSession, "before_flush", tally._keep_counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--block", type=int, default=20)
    args = parser.parse_args()
    seconds = {False: 0.0, True: 0.0}
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for counting in (False, True):
            url, jobs = _database(Path(folder), f"counting-{counting}", args.organisations)
            engine = make_engine(url)
            runs[counting] = (engine, sink_for(engine, Settings()).rt, jobs, _results(jobs))
        for start in range(0, len(runs[True][2]), args.block):
            took = {}
            for counting, (_engine, rt, jobs, results) in runs.items():
                part = slice(start, start + args.block)
                took[counting] = _block(rt, jobs[part], results[part], counting)
                seconds[counting] += took[counting]
            ratios.append(took[True] / took[False])
        for engine, _rt, jobs, _made in runs.values():
            with session_scope(engine) as db:
                done = db.exec(select(Check).where(col(Check.status) == "done")).all()
                assert len(done) == len(jobs), (len(done), len(jobs))
            engine.dispose()
    count = len(runs[True][2])
    reference, counted = count / seconds[False], count / seconds[True]
    print(f"{count} results each, in alternating blocks of {args.block}")
    print(f"reference (the counters' listener removed): {reference:.1f} results/s")
    print(f"with the counters: {counted:.1f} results/s")
    print(
        f"ratio of the times (counters / reference): {seconds[True] / seconds[False]:.2f} in all,"
        f" median of the blocks {statistics.median(ratios):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

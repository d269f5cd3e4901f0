"""The queue path in the test's own event loop: a scheduler (`probe run` with the PostgreSQL
dispatcher, channel services included) and a procrastinate worker (`probe worker`'s `serve`),
on a real PostgreSQL; plus organisations and campaigns on the real channels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.settings import Settings
from schedules import campaigns as service
from schedules.daemon import CampaignRunner
from schedules.queue import QueueDispatcher, make_app
from schedules.queue_worker import CheckExecutor, WorkerOptions, serve
from schedules.spec import parse_campaign
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope
from storage.models import AuditLog, Check


@asynccontextmanager
async def queue_path(
    *, url: str, engine: Engine, settings: Settings, concurrency: int = 2
) -> AsyncIterator[CheckExecutor]:
    """Scheduler and one worker until the block ends; both stop cleanly (in-flight checks
    are stored first)."""
    app = make_app(url, pool_size=concurrency + 4)
    executor = CheckExecutor(engine=engine, settings=settings, worker_id="worker-1")
    options = WorkerOptions(
        queues=None, concurrency=concurrency, heartbeat=0.5, stalled_after=4, poll=0.1
    )
    scheduler = CampaignRunner(
        engine=engine, settings=settings, tick_seconds=0.05, dispatcher=QueueDispatcher()
    )
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(serve(app=app, executor=executor, options=options, stop=stop)),
        asyncio.create_task(scheduler.run_forever(stop)),
    ]
    try:
        yield executor
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)


def add_organisations(engine: Engine, channel: str, contacts: dict[str, str]) -> dict[str, int]:
    """Organisations by name, each with one contact on `channel`; name -> organisation id."""
    ids = {}
    with session_scope(engine) as session:
        for name, value in contacts.items():
            org = upsert_organisation(
                session=session,
                values={"key": f"omsk:{name}", "name": name, "region": "omsk",
                        "timezone": "Asia/Omsk"},
                contacts=[{"channel": channel, "key": value, "raw": value, "value": value,
                           "position": 0}],
                actor="test",
                stats=UpsertStats(),
            )  # fmt: skip
            assert org.id is not None
            ids[name] = org.id
    return ids


def start_campaign(engine: Engine, channel: str, **spec: Any) -> None:
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "name": "faults",
        "organisations": {"all": True},
        "channels": [channel],
        "start": (now - timedelta(days=1)).date().isoformat(),
        "end": (now + timedelta(days=2)).date().isoformat(),
        "windows": "always",
        "spread": "asap",
    }
    data.update(spec)
    service.create(engine=engine, spec=parse_campaign(data), actor="test")
    service.transition(engine=engine, name="faults", action="start", actor="test", now=now)


def checks(engine: Engine) -> list[Check]:
    with Session(engine) as session:
        return list(session.exec(select(Check).order_by(col(Check.id))).all())


def channel_rows(engine: Engine) -> list[AuditLog]:
    """The outage watch's audit rows (alerts, clearances, control probes), in order."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditLog).where(col(AuditLog.entity) == "channel").order_by(col(AuditLog.id))
            ).all()
        )


def actions(engine: Engine) -> list[str]:
    return [row.action for row in channel_rows(engine)]


def bring_retries_forward(engine: Engine) -> int:
    """The policy retries our failures minutes later; the test does not wait them out: the
    planned retries become due now (the only liberty taken with time)."""
    with session_scope(engine) as session:
        planned = session.exec(
            select(Check).where(col(Check.status) == "planned", col(Check.claimed_by).is_(None))
        ).all()
        for check in planned:
            check.planned_at = datetime.now(UTC)
        return len(planned)


async def until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    state: Callable[[], object] | None = None,
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {state() if state else ''}")
        await asyncio.sleep(0.05)


def summary(engine: Engine) -> list[tuple[object, ...]]:
    """What a timed-out wait shows: each check and the outage watch's rows."""
    rows: list[tuple[object, ...]] = [
        (c.id, c.status, c.claimed_by, c.outcome, c.error_class, c.planned_at)
        for c in checks(engine)
    ]
    return rows + [(r.action, r.after) for r in channel_rows(engine)]

"""Building organisations with test-channel contacts and running campaigns in tests."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from probe.clock import Clock
from probe.settings import Settings
from schedules import campaigns as service
from schedules.daemon import CampaignRunner
from schedules.spec import parse_campaign
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope


def add_test_organisations(engine: Engine, organisations: dict[str, list[str]]) -> dict[str, int]:
    """Organisations (by name) with test-channel contacts (by value), in listed order."""
    ids = {}
    with session_scope(engine) as session:
        for name, values in organisations.items():
            org = upsert_organisation(
                session=session,
                values={
                    "key": f"omsk:{name}",
                    "name": name,
                    "region": "omsk",
                    "timezone": "Asia/Omsk",
                },
                contacts=[
                    {"channel": "test", "key": v, "raw": v, "value": v, "position": n}
                    for n, v in enumerate(values)
                ],
                actor="test",
                stats=UpsertStats(),
            )
            assert org.id is not None
            ids[name] = org.id
    return ids


def start_test_campaign(
    engine: Engine, *, peer: str, now: datetime, name: str = "t", **spec: Any
) -> None:
    data: dict[str, Any] = {
        "name": name,
        "organisations": {"all": True},
        "channels": ["test"],
        "start": (now - timedelta(days=1)).date().isoformat(),
        "end": (now + timedelta(days=2)).date().isoformat(),
        "windows": "always",
        "spread": "asap",
        "options": {"test": {"peer": peer}},
    }
    data.update(spec)
    service.create(engine=engine, spec=parse_campaign(data), actor="test")
    service.transition(engine=engine, name=name, action="start", actor="test", now=now)


async def run_until_done(
    engine: Engine, *, settings: Settings, clock: Clock, name: str = "t", timeout: float = 60
) -> CampaignRunner:
    runner = CampaignRunner(engine=engine, settings=settings, clock=clock, tick_seconds=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    try:
        async with asyncio.timeout(timeout):
            while service.get(engine=engine, name=name).status != "done":
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    return runner

"""The queue depth is read by one query on both connections that ask it: the scheduler's
SQLAlchemy session and the workers' janitor on procrastinate's own connector."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from schedules.queue import QueueDispatcher, make_app
from storage import jobqueue
from storage.engine import session_scope
from tests.campaign_helpers import add_test_organisations, start_test_campaign

pytestmark = pytest.mark.integration


async def test_both_connections_count_the_waiting_jobs_by_queue(
    pg_engine: Engine, postgres_url: str
) -> None:
    add_test_organisations(pg_engine, {"a": ["a0"], "b": ["b0"], "c": ["c0"]})
    now = datetime.now(UTC)
    start_test_campaign(pg_engine, peer="127.0.0.1:1", now=now)
    assert QueueDispatcher().enqueue(engine=pg_engine, now=now) == 3
    with session_scope(pg_engine) as session:
        scheduler_view = jobqueue.queue_depth(session=session)
    app = make_app(postgres_url, pool_size=2)
    async with app.open_async():
        rows = await app.connector.execute_query_all_async(query=jobqueue.QUEUE_DEPTH_SQL)
    janitor_view = [(r["queue_name"], r["status"], r["n"]) for r in rows]
    assert scheduler_view == janitor_view == [("test.default", "todo", 3)]

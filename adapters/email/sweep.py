"""The reply window: a waiting check whose window passed ends as no_reply (or auto_replied when
only an auto-reply came). The window is the campaign's calendar days (default 30, law 59-FZ)
after the day the letter was sent, in the organisation's time zone. The working-day norm
(default 3) only marks a reply late (`adapters.email.ingest.reply_details`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from adapters.email import store
from adapters.email.ingest import candidates, close_unanswered, rematch_recent, reply_limits
from probe.results import ResultSink, utc_now
from storage.engine import session_scope


def sweep_no_reply(*, engine: Engine, now: datetime, sink: ResultSink) -> int:
    """End every waiting e-mail check whose reply window is past (each handed to `sink`, in
    the sweep's one transaction); returns how many ended."""
    ended = 0
    with session_scope(engine) as session:
        # A reply that came before its check was recorded must not end as no_reply.
        pool = candidates(session=session, now=now)
        rematch_recent(session=session, pool=pool, now=now, window=timedelta(days=60), sink=sink)
        for check in store.waiting_email_checks(session=session):
            if check.started_at is None:
                continue
            if now < reply_limits(session, check)[1]:
                continue
            close_unanswered(session, check, at=now, sink=sink)
            ended += 1
    return ended


async def run_sweeper(
    *,
    engine: Engine,
    stop: asyncio.Event,
    sink: ResultSink,
    interval: float = 300.0,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Sweep every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        await asyncio.to_thread(sweep_no_reply, engine=engine, now=clock(), sink=sink)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)

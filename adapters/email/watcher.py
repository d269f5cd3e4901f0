"""The long-running mailbox watcher: IMAP IDLE (polling when the server lacks it), batch fetch,
ingestion, and the mailbox's UIDVALIDITY / last UID kept in the database so a restart neither
misses nor reprocesses a message. A dropped connection is reopened with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aioimaplib
from sqlalchemy.engine import Engine

from adapters.email import imap, store
from adapters.email.ingest import Ingested, Mailbox, candidates, ingest_batch, rematch_recent
from adapters.email.matching import CandidateIndex
from adapters.email.timing import load_calendar
from probe.errors import OurSideError
from probe.logs import get_logger
from probe.results import ResultSink, utc_now
from probe.settings import Settings
from storage.engine import session_scope

# RFC 2177: a client re-issues IDLE at least every 29 minutes, or the server may drop it.
IDLE_RENEW_SECONDS = 25 * 60
# How far back an unmatched message may still be claimed by a check recorded after it arrived.
REMATCH_WINDOW = timedelta(hours=6)
_RECOVERABLE = (
    OurSideError,
    imap.ImapConnectionLost,
    ConnectionError,
    TimeoutError,
    OSError,
    aioimaplib.AioImapException,
)


@dataclass
class WatcherOptions:
    batch_size: int = 100
    idle_timeout: float = IDLE_RENEW_SECONDS
    poll_interval: float = 60.0
    use_idle: bool = True  # False: poll even when the server offers IDLE
    backoff_initial: float = 0.5
    backoff_max: float = 60.0
    max_eml_bytes: int = 5 * 1024 * 1024
    imap_timeout: float = 30.0
    # After an unmatched message, look again this often for a while: the runner may record
    # the check a moment after a fast auto-reply or bounce arrived.
    rematch_interval: float = 2.0
    rematch_for: float = 600.0


@dataclass
class WatcherStats:
    connections: int = 0
    failures: int = 0
    processed: list[Ingested] = field(default_factory=list)


class Watcher:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        sink: ResultSink,
        options: WatcherOptions | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.sink = sink  # the engine's: a final outcome is stored by it, in our transaction
        self.options = options or WatcherOptions()
        self.clock = clock
        self.account = imap.account_name(settings.imap)
        self.mailbox = settings.imap.mailbox
        self.stats = WatcherStats()
        self.log = get_logger(component="email_watcher", account=self.account)
        self._rematch_until = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.to_thread(load_calendar)
        delay = self.options.backoff_initial
        while not stop.is_set():
            try:
                await self._session(stop)
                delay = self.options.backoff_initial
            except _RECOVERABLE as error:
                self.stats.failures += 1
                self.log.warning("imap_session_lost", error=repr(error), retry_in=round(delay, 2))
                await _sleep_unless(stop, delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.options.backoff_max)

    async def _session(self, stop: asyncio.Event) -> None:
        client = await imap.connect(
            self.settings.imap, network=self.settings.network, timeout=self.options.imap_timeout
        )
        self.stats.connections += 1
        try:
            selected = await imap.select(client, self.mailbox)
            self.log.info("imap_watching", uidvalidity=selected.uidvalidity)
            while not stop.is_set():
                # Mail that arrives while a batch is stored is announced to that command, not
                # to the next IDLE: read again until a round finds nothing new, then wait.
                if await self.catch_up(client, selected.uidvalidity):
                    continue
                await self._wait_for_news(client, stop)
        finally:
            await imap.close(client)

    async def catch_up(self, client: aioimaplib.IMAP4, uidvalidity: int) -> int:
        """Read every message after the last recorded UID, a batch per round trip.

        The next batch is asked for before the last one is recorded, and recording runs on a
        thread, off the event loop: the server sends one batch while the other is recorded.
        The checks a message may answer are read once per round.
        """
        last_uid = self._last_uid(uidvalidity)
        uids = await imap.uids_after(client, last_uid)
        if not uids and time.monotonic() < self._rematch_until:
            self._rematch()
        size = self.options.batch_size
        chunks = [uids[start : start + size] for start in range(0, len(uids), size)]
        pool: CandidateIndex | None = None
        pending = self._fetch(client, chunks[0]) if chunks else None
        try:
            for index in range(len(chunks)):
                assert pending is not None
                batch = await pending
                pending = (
                    self._fetch(client, chunks[index + 1]) if index + 1 < len(chunks) else None
                )
                done, pool = await asyncio.to_thread(self._store, batch, uidvalidity, pool)
                self._note(done)
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
        return len(uids)

    def _fetch(
        self, client: aioimaplib.IMAP4, uids: list[int]
    ) -> asyncio.Future[list[imap.Fetched]]:
        return asyncio.ensure_future(imap.fetch(client, uids, max_bytes=self.options.max_eml_bytes))

    def _last_uid(self, uidvalidity: int) -> int:
        with session_scope(self.engine) as session:
            state = store.get_mailbox_state(
                session=session, account=self.account, mailbox=self.mailbox
            )
            if state is None or state.uidvalidity != uidvalidity:
                # A new mailbox, or the server renumbered it: read everything; bytes seen
                # before are recognised by their hash and not applied twice.
                return 0
            return state.last_uid

    def _store(
        self, batch: list[imap.Fetched], uidvalidity: int, pool: CandidateIndex | None = None
    ) -> tuple[list[Ingested], CandidateIndex | None]:
        """Record a fetched batch in one transaction (on a worker thread: no event-loop state
        is touched here). Returns what was done and the candidates it matched against."""
        if not batch:
            return [], pool
        now = self.clock()
        box = Mailbox(self.account, self.mailbox, uidvalidity)
        with session_scope(self.engine) as session:
            if pool is None:
                pool = CandidateIndex(candidates(session=session, now=now))
            done = rematch_recent(
                session=session, pool=pool, now=now, window=REMATCH_WINDOW, sink=self.sink
            )
            done += ingest_batch(
                session=session,
                box=box,
                batch=batch,
                data_dir=self.settings.data_dir,
                pool=pool,
                now=now,
                max_bytes=self.options.max_eml_bytes,
                sink=self.sink,
            )
            store.save_mailbox_state(
                session=session,
                account=self.account,
                mailbox=self.mailbox,
                uidvalidity=uidvalidity,
                last_uid=max(f.uid for f in batch),
            )
        return done, pool

    def _rematch(self) -> None:
        with session_scope(self.engine) as session:
            now = self.clock()
            pool = candidates(session=session, now=now)
            done = rematch_recent(
                session=session, pool=pool, now=now, window=REMATCH_WINDOW, sink=self.sink
            )
        self._note(done)

    def _note(self, done: list[Ingested]) -> None:
        if any(item.action == "unmatched" for item in done):
            self._rematch_until = time.monotonic() + self.options.rematch_for
        self.stats.processed.extend(done)
        for item in done:
            self.log.info("mail_ingested", uid=item.uid, kind=item.kind, check_id=item.check_id,
                          action=item.action)  # fmt: skip

    async def _wait_for_news(self, client: aioimaplib.IMAP4, stop: asyncio.Event) -> None:
        if self.options.use_idle and client.has_capability("IDLE"):
            await self._idle(client, stop)
            return
        interval = self.options.poll_interval
        if time.monotonic() < self._rematch_until:
            interval = min(interval, self.options.rematch_interval)
        await _sleep_unless(stop, interval)
        if client.lost.is_set():
            raise imap.ImapConnectionLost("connection lost while polling")
        imap.check(await client.noop(), "NOOP")

    async def _idle(self, client: aioimaplib.IMAP4, stop: asyncio.Event) -> None:
        timeout = self.options.idle_timeout
        if time.monotonic() < self._rematch_until:
            timeout = min(timeout, self.options.rematch_interval)
        idle = await client.idle_start(timeout=timeout)
        push = asyncio.ensure_future(client.wait_server_push(timeout=timeout + 5))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({push, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not push.done():
                push.cancel()
        lines = push.result() if push.done() and not push.cancelled() else []
        if client.lost.is_set() or any(b"BYE" in bytes(line) for line in lines):
            raise imap.ImapConnectionLost(f"server ended the IDLE: {lines!r}")
        client.idle_done()
        await asyncio.wait_for(idle, self.options.imap_timeout)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_watcher(
    *,
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event,
    sink: ResultSink,
    clock: Callable[[], datetime] = utc_now,
    options: WatcherOptions | None = None,
) -> None:
    """Watch the prober's mailbox until `stop` is set (the campaign runner's service)."""
    watcher = Watcher(engine=engine, settings=settings, sink=sink, options=options, clock=clock)
    await watcher.run(stop)

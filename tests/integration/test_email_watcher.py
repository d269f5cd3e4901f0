# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""The mailbox watcher against real Dovecot: dropped connections, restarts, polling."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from adapters.email.store import get_mailbox_state
from adapters.email.watcher import Watcher, WatcherOptions
from probe.results import CheckStatus
from probe.sandbox.mailservers import ORG_DOMAIN, MailServers
from probe.scoring.names import Outcome
from probe.settings import Settings
from storage.engine import session_scope
from storage.models import InboundMessage
from tests.servers.mail_fixtures import orgs, servers, settings  # noqa: F401
from tests.servers.mail_orgs import Organisations, load_check, make_check, probe_check, wait_for
from tests.sinks import engine_sink

pytestmark = pytest.mark.integration
FAST = {"email": {"retry_delays": [0.2]}}
QUICK = WatcherOptions(backoff_initial=0.1, backoff_max=0.5, imap_timeout=5)


@asynccontextmanager
async def watching(
    engine: Engine, settings: Settings, options: WatcherOptions = QUICK
) -> AsyncIterator[Watcher]:
    watcher = Watcher(
        engine=engine, settings=settings, sink=engine_sink(engine, settings), options=options
    )
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    try:
        await wait_for(lambda: watcher.stats.connections >= 1)
        yield watcher
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def _deliver(servers: MailServers, to: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", servers.ports["mx"]) as smtp:
        smtp.sendmail(
            f"newsletter@{ORG_DOMAIN}", [to], f"From: newsletter@{ORG_DOMAIN}\r\nTo: {to}\r\n"
            f"Subject: {subject}\r\n\r\nNews.\r\n",
        )  # fmt: skip


def _inbound(engine: Engine) -> list[InboundMessage]:
    with session_scope(engine) as session:
        return list(session.exec(select(InboundMessage).order_by(InboundMessage.uid)).all())


def _done(engine: Engine, check_id: int):  # type: ignore[no-untyped-def]
    check = load_check(engine, check_id)
    return check if check.status == CheckStatus.DONE.value else None


async def test_a_connection_killed_mid_idle_is_reopened_and_nothing_is_missed_or_doubled(
    engine: Engine, settings: Settings, servers: MailServers, orgs: Organisations, tmp_path: Path
) -> None:
    org = orgs.add("reply", delay=0.5)
    check_id = make_check(engine, address=org.address, spec=FAST)
    async with watching(engine, settings) as watcher:
        await asyncio.sleep(0.3)  # the watcher is in IDLE now
        servers.kick(settings.imap.username or "")
        await probe_check(engine, settings, check_id, tmp_path / "evidence")
        _deliver(servers, settings.imap.username or "", "unrelated one")

        check = await wait_for(lambda: _done(engine, check_id))
        await wait_for(lambda: len(_inbound(engine)) >= 2)
        await asyncio.sleep(0.5)  # a duplicate, if any, would be recorded by now

    assert watcher.stats.connections >= 2 and watcher.stats.failures >= 1
    assert check.outcome == Outcome.REPLIED
    rows = _inbound(engine)
    assert [r.uid for r in rows] == sorted({r.uid for r in rows}) and len(rows) == 2
    assert sorted(r.kind for r in rows) == ["human_reply", "unrelated"]


async def test_a_restarted_watcher_reads_only_what_arrived_while_it_was_down(
    engine: Engine, settings: Settings, servers: MailServers
) -> None:
    me = settings.imap.username or ""
    async with watching(engine, settings) as first:
        _deliver(servers, me, "first")
        await wait_for(lambda: len(first.stats.processed) == 1)
    _deliver(servers, me, "second, while no one watches")
    _deliver(servers, me, "third, while no one watches")
    await asyncio.sleep(0.5)

    async with watching(engine, settings) as second:
        await wait_for(lambda: len(second.stats.processed) == 2)
        await asyncio.sleep(0.3)

    assert [p.uid for p in second.stats.processed] == [2, 3]
    assert [r.subject for r in _inbound(engine)] == [
        "first", "second, while no one watches", "third, while no one watches",
    ]  # fmt: skip
    with session_scope(engine) as session:
        state = get_mailbox_state(session=session, account=second.account, mailbox="INBOX")
        assert state is not None and state.last_uid == 3


async def test_the_watcher_survives_a_dovecot_restart_and_catches_up(
    engine: Engine, settings: Settings, servers: MailServers
) -> None:
    me = settings.imap.username or ""
    async with watching(engine, settings) as watcher:
        await asyncio.sleep(0.3)
        servers.kick(me)  # a stopped master leaves its IMAP processes alone: end this one first
        servers.stop_dovecot()
        _deliver(servers, me, "sent while Dovecot is down")  # Postfix queues it
        await asyncio.sleep(0.5)
        servers.restart_dovecot()
        await wait_for(lambda: len(watcher.stats.processed) == 1, timeout=20)

    assert watcher.stats.failures >= 1
    assert [r.subject for r in _inbound(engine)] == ["sent while Dovecot is down"]


async def test_without_idle_the_watcher_polls_and_still_matches_replies(
    engine: Engine, settings: Settings, orgs: Organisations, tmp_path: Path
) -> None:
    org = orgs.add("reply")
    check_id = make_check(engine, address=org.address, spec=FAST)
    polling = WatcherOptions(use_idle=False, poll_interval=0.3, imap_timeout=5)
    async with watching(engine, settings, polling):
        await probe_check(engine, settings, check_id, tmp_path / "evidence")
        check = await wait_for(lambda: _done(engine, check_id))
    assert check.outcome == Outcome.REPLIED

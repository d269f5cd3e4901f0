"""pytest fixtures for the e-mail tests, imported by each tests/integration/test_email_*.py
module: one Postfix + Dovecot pair and one set of simulated organisations per module, a fresh
prober mailbox per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
import structlog
from sqlalchemy.engine import Engine

from adapters.email import plugin, run_watcher
from adapters.email.watcher import WatcherOptions
from probe.results import utc_now
from probe.sandbox.mailservers import MailServers, mail_servers_installed
from probe.settings import Settings
from tests.servers.mail_orgs import Organisations, prober_settings
from tests.sinks import engine_sink


@pytest.fixture(scope="module")
def servers() -> Iterator[MailServers]:
    if not mail_servers_installed():
        pytest.fail("Postfix/Dovecot are not installed: run `scripts/setup.sh --test`")
    mail = MailServers()
    mail.start()
    try:
        yield mail
    finally:
        mail.stop()


@pytest.fixture(scope="module")
def orgs(servers: MailServers) -> Iterator[Organisations]:
    organisations = Organisations(servers)
    organisations.start()
    yield organisations
    organisations.stop()
    assert not organisations.errors


@pytest.fixture
async def settings(
    servers: MailServers, tmp_path: Path, sqlite_url: str
) -> AsyncIterator[Settings]:
    # An earlier CLI test may have pointed structlog at CliRunner's stream, closed since.
    structlog.reset_defaults()
    yield prober_settings(servers, servers.add_account(), str(tmp_path / "var"), sqlite_url)
    await plugin.close()  # pooled SMTP/IMAP connections belong to this test's event loop


@asynccontextmanager
async def running_watcher(
    engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_watcher(
            engine=engine,
            settings=settings,
            stop=stop,
            sink=engine_sink(engine, settings),
            options=WatcherOptions(),
            clock=clock,
        )
    )
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def watcher(engine: Engine, settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    async with running_watcher(engine, settings) as task:
        yield task

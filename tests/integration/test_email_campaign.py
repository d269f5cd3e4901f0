# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""An e-mail campaign through the runner against real Postfix + Dovecot: the runner sends,
its watcher service matches the replies, a bounce moves on to the next address."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.clock import SystemClock
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope
from storage.models import Check, Contact
from tests.campaign_helpers import run_until_done, start_test_campaign
from tests.servers.mail_fixtures import orgs, servers, settings  # noqa: F401
from tests.servers.mail_orgs import Organisations

pytestmark = pytest.mark.integration


def _organisation(engine: Engine, name: str, addresses: list[str]) -> None:
    with session_scope(engine) as session:
        upsert_organisation(
            session=session,
            values={"key": f"omsk:{name}", "name": name, "region": "omsk", "timezone": "Asia/Omsk"},
            contacts=[
                {"channel": "email", "key": a, "raw": a, "value": a, "position": n}
                for n, a in enumerate(addresses)
            ],
            actor="test",
            stats=UpsertStats(),
        )


async def test_an_email_campaign_runs_to_the_end_through_the_runner(
    engine: Engine,
    settings,
    orgs: Organisations,  # type: ignore[no-untyped-def]
) -> None:
    replying = orgs.add("reply", delay=1.0)
    second = orgs.add("reply_no_headers", delay=0.5)
    _organisation(engine, "Отвечает", [replying.address])
    # The primary address does not exist: Postfix bounces it, the second one is written to.
    _organisation(engine, "Мёртвый адрес", [f"nobody-{second.address}", second.address])
    start_test_campaign(
        engine,
        peer="127.0.0.1:9",
        now=datetime.now(UTC),
        channels=["email"],
        options={"email": {"retry_delays": [0.2, 0.2]}},
    )
    await run_until_done(engine, settings=settings, clock=SystemClock(), timeout=60)
    with Session(engine) as session:
        rows = session.exec(
            select(Contact.value, Check.outcome, Check.status)
            .join(Contact, col(Contact.id) == col(Check.contact_id))
            .order_by(col(Check.id))
        ).all()
    outcomes = {value: (outcome, status) for value, outcome, status in rows}
    assert outcomes[replying.address] == ("replied", "done")
    assert outcomes[f"nobody-{second.address}"] == ("bounced", "done")
    assert outcomes[second.address] == ("replied", "done")
    assert len(rows) == 3

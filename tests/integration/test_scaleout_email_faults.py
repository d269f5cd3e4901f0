# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""E-mail faults through the PostgreSQL queue, against real Postfix and Dovecot: the SMTP
server stopped mid-campaign, answering 421 (at RCPT or as its greeting) or 451, serving a
certificate we cannot verify; the IMAP connection dropped mid-IDLE. Each is recorded as our
failure (never a bounce, never held against an organisation), pauses e-mail with an alert once
the threshold is reached, and once the server is back every organisation gets its question
exactly once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.sandbox.mailservers import MailServers
from probe.settings import OutageSettings, Settings
from storage.models import InboundMessage
from tests.scaleout_inprocess import (
    actions,
    add_organisations,
    bring_retries_forward,
    channel_rows,
    checks,
    queue_path,
    start_campaign,
    summary,
    until,
)
from tests.servers.mail_fixtures import orgs, servers  # noqa: F401
from tests.servers.mail_orgs import Organisations, prober_settings

pytestmark = pytest.mark.integration

OUTAGE = OutageSettings(threshold=2, first_pause_seconds=1.5, max_pause_seconds=3)
EMAIL = {"email": {"retry_delays": [0.1]}}  # a 4xx is tried once more, 0.1 s later


@pytest.fixture
async def mail_settings(
    servers: MailServers, postgres_url: str, tmp_path: Path
) -> Iterator[Settings]:
    from adapters.email import plugin

    settings = prober_settings(servers, servers.add_account(), str(tmp_path / "var"), postgres_url)
    yield settings.model_copy(update={"outage": OUTAGE})
    await plugin.close()  # pooled SMTP/IMAP connections belong to this test's event loop


# -- the server's side: real Postfix configuration, restarted -------------------------------


def _postfix(servers: MailServers, command: str) -> None:
    subprocess.run(
        ["postfix", "-c", str(servers.postfix_dir), command], check=True, capture_output=True
    )


def _restart_with(servers: MailServers, *settings: str) -> None:
    """Stop Postfix (its connections drop), change main.cf, start it again."""
    _postfix(servers, "stop")
    conf = servers.postfix_dir
    for setting in settings:
        subprocess.run(["postconf", "-c", str(conf), "-e", setting], check=True)
    old = time.time() - 5  # the master trusts a main.cf only once it is a second old
    for path in conf.iterdir():
        os.utime(path, (old, old))
    _postfix(servers, "start")


def _answer_every_client(servers: MailServers, reply: str) -> list[str]:
    """Every SMTP client gets `reply` (an access-map action: `421 ...` also disconnects)."""
    table = servers.postfix_dir / "client_access"
    table.write_text(f"127.0.0.1 {reply}\n")
    return [f"smtpd_client_restrictions = check_client_access texthash:{table}"]


def _untrusted_certificate(servers: MailServers) -> list[str]:
    """A self-signed certificate for 127.0.0.1 from no CA the prober trusts."""
    directory = servers.root / "tls-untrusted"
    directory.mkdir(exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(directory / "server.key"), "-out", str(directory / "server.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    return [
        f"smtpd_tls_cert_file = {directory / 'server.crt'}",
        f"smtpd_tls_key_file = {directory / 'server.key'}",
    ]


def _broken(servers: MailServers, fault: str) -> list[str]:
    """Postfix settings for a fault: `tls`, or a reply to every client (`421` and `451` at
    RCPT, Postfix's default; `421-greeting` on connect, as the greeting, then it hangs up)."""
    if fault == "tls":
        return _untrusted_certificate(servers)
    reply = {"421": "421 4.3.2 Service shutting down", "451": "451 4.3.0 Try again later"}
    on_connect = fault == "421-greeting"
    settings = _answer_every_client(servers, reply["421" if on_connect else fault])
    return [*settings, "smtpd_delay_reject = no"] if on_connect else settings


def _healthy(servers: MailServers) -> list[str]:
    return [
        "smtpd_client_restrictions =",
        "smtpd_delay_reject = yes",
        f"smtpd_tls_cert_file = {servers.tls_dir / 'server.crt'}",
        f"smtpd_tls_key_file = {servers.tls_dir / 'server.key'}",
    ]


def _delivered(servers: MailServers, address: str) -> int:
    """Messages in an organisation's maildir (what Dovecot stored, whoever sent them)."""
    local, _, domain = address.partition("@")
    maildir = servers.root / "mail" / domain / local / "Maildir"
    return sum(
        len(list((maildir / sub).glob("*"))) for sub in ("new", "cur") if (maildir / sub).is_dir()
    )


# -- the assertions every fault shares ------------------------------------------------------


def _assert_our_failures_only(engine: Engine, error_class: str) -> list[int]:
    """Failed checks are send_failed with our error class and their retry counts against no
    one; nothing bounced. Returns the failed checks' ids."""
    rows = checks(engine)
    assert not [c for c in rows if c.outcome == "bounced"]
    failed = [c for c in rows if c.outcome == "send_failed"]
    assert failed and {c.error_class for c in failed} == {error_class}, [
        (c.outcome, c.error_class, c.error_detail) for c in failed
    ]
    retries = [c for c in rows if c.details.get("our_failure")]
    assert sorted(c.details["retry_of"] for c in retries) == sorted(c.id for c in failed)
    return [c.id for c in failed if c.id is not None]


async def _back_and_exactly_once(
    engine: Engine, servers: MailServers, addresses: list[str]
) -> None:
    """With the server back, dispatch resumes and the retries run; every organisation has its
    question exactly once."""

    def cleared() -> bool:
        # The failed checks' retries are due minutes later by the policy: brought forward, they
        # are what clears the alert when every fresh question had gone out before the stop.
        bring_retries_forward(engine)
        return actions(engine)[-1] == "alert_cleared"

    await until(cleared, timeout=20, what="the clearance", state=lambda: summary(engine))

    def all_sent() -> bool:
        bring_retries_forward(engine)
        rows = checks(engine)
        waiting = Counter(c.contact_id for c in rows if c.status == "waiting")
        return len(waiting) == len(addresses) and all(
            c.status == "waiting" or c.outcome == "send_failed" for c in rows
        )

    await until(all_sent, timeout=20, what="every question sent", state=lambda: summary(engine))
    await until(
        lambda: all(_delivered(servers, a) >= 1 for a in addresses), timeout=20, what="delivery"
    )
    await asyncio.sleep(0.5)  # a second copy, if any, would be in the maildir by now
    assert {a: _delivered(servers, a) for a in addresses} == {a: 1 for a in addresses}
    waiting = [c for c in checks(engine) if c.status == "waiting"]
    assert len(waiting) == len(addresses)  # one accepted send per organisation, no more


# -- the tests ---------------------------------------------------------------------------


async def test_smtp_stopped_mid_campaign_pauses_email_then_every_organisation_gets_one_question(
    pg_engine: Engine,
    postgres_url: str,
    servers: MailServers,
    orgs: Organisations,
    mail_settings: Settings,
) -> None:
    addresses = [orgs.add("never").address for _ in range(6)]
    control = servers.add_account()  # a mailbox known to take mail: the control probe's
    settings = mail_settings.model_copy(
        update={"smtp": mail_settings.smtp.model_copy(update={"control_address": control.address})}
    )
    add_organisations(pg_engine, "email", {f"o{i}": a for i, a in enumerate(addresses)})
    start_campaign(pg_engine, "email", options=EMAIL)
    stopped = False
    try:
        async with queue_path(url=postgres_url, engine=pg_engine, settings=settings, concurrency=1):
            await until(
                lambda: sum(c.status == "waiting" for c in checks(pg_engine)) >= 2,
                timeout=20,
                what="two questions sent",
            )
            _postfix(servers, "stop")
            stopped = True
            await until(lambda: "alert" in actions(pg_engine), timeout=20, what="the alert")
            failed = _assert_our_failures_only(pg_engine, "smtp_connect")
            assert len(failed) == 2  # the threshold, then the pause
            _postfix(servers, "start")
            stopped = False
            await _back_and_exactly_once(pg_engine, servers, addresses)
    finally:
        if stopped:
            _postfix(servers, "start")
    control_call, control_result, alert, *_ = channel_rows(pg_engine)
    assert (control_call.action, control_call.entity_id) == ("control_call", "email")
    assert control_call.after is not None and control_call.after["target"] == control.address
    assert control_result.after is not None
    assert (control_result.after["verdict"], control_result.after["error_class"]) == (
        "ours",
        "smtp_connect",
    )
    assert alert.action == "alert" and alert.after is not None
    assert alert.after["error_class"] == "smtp_connect"
    assert alert.after["control"]["outcome"] == "send_failed"
    assert "the control probe failed too" in alert.after["message"]
    assert _delivered(servers, control.address) == 0  # it never got through


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ("421", "smtp_deferred"),
        ("421-greeting", "smtp_deferred"),
        ("451", "smtp_deferred"),
        ("tls", "smtp_tls"),
    ],
)
async def test_a_failing_smtp_server_is_our_failure_paused_then_sent_exactly_once(
    fault: str,
    error_class: str,
    pg_engine: Engine,
    postgres_url: str,
    servers: MailServers,
    orgs: Organisations,
    mail_settings: Settings,
) -> None:
    addresses = [orgs.add("never").address for _ in range(3)]
    add_organisations(pg_engine, "email", {f"o{i}": a for i, a in enumerate(addresses)})
    start_campaign(pg_engine, "email", options=EMAIL)
    _restart_with(servers, *_broken(servers, fault))
    try:
        async with queue_path(
            url=postgres_url, engine=pg_engine, settings=mail_settings, concurrency=1
        ):
            await until(lambda: "alert" in actions(pg_engine), timeout=20, what="the alert")
            failed = _assert_our_failures_only(pg_engine, error_class)
            assert len(failed) == 2
            detail = next(c.error_detail for c in checks(pg_engine) if c.outcome == "send_failed")
            expected = {
                "421": "rcpt: 421 4.3.2",  # the default: restrictions applied at RCPT
                "421-greeting": "connect: 421 4.3.2",
                "451": "451 4.3.0",
                "tls": "CERTIFICATE_VERIFY",
            }
            assert expected[fault] in (detail or ""), detail
            _restart_with(servers, *_healthy(servers))
            await _back_and_exactly_once(pg_engine, servers, addresses)
    finally:
        _restart_with(servers, *_healthy(servers))
    alert = next(r for r in channel_rows(pg_engine) if r.action == "alert")
    assert alert.after is not None and alert.after["error_class"] == error_class
    assert alert.after["pause_seconds"] == 1.5


async def test_imap_dropped_mid_idle_under_the_queue_misses_and_doubles_no_reply(
    pg_engine: Engine,
    postgres_url: str,
    servers: MailServers,
    orgs: Organisations,
    mail_settings: Settings,
) -> None:
    addresses = [orgs.add("reply", delay=1.0).address for _ in range(3)]
    add_organisations(pg_engine, "email", {f"o{i}": a for i, a in enumerate(addresses)})
    start_campaign(pg_engine, "email", options=EMAIL)
    me = mail_settings.imap.username or ""
    async with queue_path(
        url=postgres_url, engine=pg_engine, settings=mail_settings, concurrency=1
    ):
        await until(
            lambda: sum(c.status == "waiting" for c in checks(pg_engine)) == 3,
            timeout=20,
            what="sent",
        )
        await asyncio.sleep(0.2)  # the watcher (in the scheduler) is in IDLE; replies on the way
        kicked = subprocess.run(
            ["doveadm", "-c", str(servers.dovecot_conf), "kick", me],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        assert me in kicked.stdout  # a live connection of ours was dropped
        await until(
            lambda: sum(c.outcome == "replied" for c in checks(pg_engine)) == 3,
            timeout=30,
            what="three replies matched",
        )
        await asyncio.sleep(0.5)  # a duplicate, if any, would be recorded by now
    assert [(c.status, c.outcome) for c in checks(pg_engine)] == [("done", "replied")] * 3
    with Session(pg_engine) as session:
        inbound = session.exec(select(InboundMessage)).all()
    assert len(inbound) == 3 and len({m.uid for m in inbound}) == 3
    assert {m.kind for m in inbound} == {"human_reply"}

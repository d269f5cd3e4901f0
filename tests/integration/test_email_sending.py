# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""Sending against real Postfix: bounces, refusals, greylisting, and failures that are ours."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from adapters.email import find_sent, plugin
from adapters.email.store import list_inbound
from probe.channels import ProbeContext, ProbeTarget
from probe.logs import get_logger
from probe.results import CheckStatus
from probe.sandbox.mailservers import ORG_DOMAIN, MailServers
from probe.scoring.names import Channel, Outcome
from probe.settings import Settings
from storage.engine import session_scope
from tests.servers.mail_fixtures import orgs, servers, settings, watcher  # noqa: F401
from tests.servers.mail_orgs import Organisations, load_check, make_check, probe_check, wait_for

pytestmark = pytest.mark.integration
FAST = {"email": {"retry_delays": [0.2, 0.2]}}


async def _probe(settings: Settings, address: str, tmp_path: Path, **options):  # type: ignore[no-untyped-def]
    target = ProbeTarget(
        check_id=7, channel=Channel.EMAIL, value=address, options={"retry_delays": [0.1], **options}
    )
    context = ProbeContext(settings=settings, evidence_dir=tmp_path / "ev", log=get_logger())
    return await plugin.probe(target, context)


async def test_unknown_recipient_comes_back_as_a_dsn_and_the_check_is_bounced(
    engine: Engine,
    settings,
    watcher,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    address = f"nobody-here@{ORG_DOMAIN}"  # Postfix accepts it; Dovecot refuses it at LMTP
    check_id = make_check(engine, address=address, spec=FAST)

    result = await probe_check(engine, settings, check_id, tmp_path / "evidence")
    assert result.pending

    check = await wait_for(
        lambda: (c := load_check(engine, check_id)).status == CheckStatus.DONE.value and c
    )
    assert check.outcome == Outcome.BOUNCED
    assert check.details["match_method"] == "returned_message"
    bounce = check.details["bounce"]
    assert bounce["status"] == "5.1.1"
    assert bounce["action"] == "failed"
    assert bounce["recipient"] == address
    assert "User doesn't exist" in bounce["diagnostic"]
    with session_scope(engine) as session:
        (dsn,) = list_inbound(session=session, check_id=check_id)
    assert dsn.kind == "bounce" and dsn.from_address.startswith("mailer-daemon@")


async def test_a_5xx_to_rcpt_bounces_the_check_at_once_with_the_servers_words(
    servers: MailServers,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    address = f"closed@{ORG_DOMAIN}"
    servers.reject(address)

    result = await _probe(settings, address, tmp_path)

    assert result.outcome == Outcome.BOUNCED and not result.pending
    assert result.error_class is None  # the organisation's address, not our failure
    assert result.details["bounce"]["status"] == "5.1.1"
    assert result.details["bounce"]["phase"] == "rcpt"
    assert result.details["smtp_reply"].startswith("550 5.1.1")


async def test_a_greylisting_4xx_is_retried_and_the_same_check_then_succeeds(
    servers: MailServers,
    orgs: Organisations,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    org = orgs.add("never")
    servers.greylist(org.address)
    before = servers.greylist_deferred

    result = await _probe(settings, org.address, tmp_path)

    assert result.pending and result.details["smtp_reply"].startswith("250")
    assert servers.greylist_deferred == before + 1
    (deferral,) = result.details["deferrals"]
    assert deferral.startswith("rcpt: 450 4.7.1")


async def test_an_accepted_probe_is_found_in_the_sent_folder_by_its_message_id(
    settings: Settings, orgs: Organisations, tmp_path: Path
) -> None:
    result = await _probe(settings, orgs.add("never").address, tmp_path)
    assert result.details["sent_copy"] is True

    assert await find_sent(settings=settings, message_id=result.details["message_id"])
    assert not await find_sent(settings=settings, message_id="<never-sent@prober.test>")


async def test_probes_in_a_batch_reuse_one_smtp_connection(
    settings: Settings, orgs: Organisations, tmp_path: Path
) -> None:
    first = await _probe(settings, orgs.add("never").address, tmp_path)
    second = await _probe(settings, orgs.add("never").address, tmp_path)

    assert first.details["reused_connection"] is False and "connect" in first.timings_ms
    assert second.details["reused_connection"] is True
    assert set(second.timings_ms) == {"mail", "rcpt", "data"}


def test_probe_check_email_sends_and_waits_for_the_reply(
    servers: MailServers,
    orgs: Organisations,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli,  # type: ignore[no-untyped-def]
) -> None:
    import json

    from probe.cli.main import app
    from probe.settings import reset_settings_cache

    me = servers.add_account()
    org = orgs.add("reply", delay=0.5)
    for name, value in {
        "SMTP__PORT": servers.ports["submission"], "SMTP__USERNAME": me.address,
        "SMTP__PASSWORD": me.password, "SMTP__CA_FILE": servers.ca_file,
        "SMTP__FROM_ADDRESS": me.address, "IMAP__PORT": servers.ports["imaps"],
        "IMAP__USERNAME": me.address, "IMAP__PASSWORD": me.password,
        "IMAP__CA_FILE": servers.ca_file,
    }.items():  # fmt: skip
        monkeypatch.setenv(f"PROBE_{name}", str(value))
    reset_settings_cache()

    result = cli.invoke(app, ["check", "email", org.address, "--wait", "20", "--json"])

    assert result.exit_code == 0, result.output
    shot = json.loads(result.stdout)
    assert shot["outcome"] == "replied"
    assert shot["reply"]["kind"] == "human_reply"
    assert shot["reply"]["match_method"] == "in_reply_to"
    assert shot["result"]["details"]["smtp_reply"].startswith("250")
    assert me.password not in result.output

# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""Failures that are ours (account, TLS, network policy), never the organisation's.

A module of its own: a failed login makes Dovecot slow down later logins from the same address.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from probe.sandbox.mailservers import ORG_DOMAIN
from probe.scoring.names import Outcome
from probe.settings import Settings
from tests.integration.test_email_sending import _probe
from tests.servers.mail_fixtures import orgs, servers, settings  # noqa: F401
from tests.servers.mail_orgs import Organisations

pytestmark = pytest.mark.integration


async def test_a_wrong_password_is_our_failure_not_the_organisations(
    settings: Settings, orgs: Organisations, tmp_path: Path
) -> None:
    bad = settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"password": SecretStr("wrong")})}
    )
    result = await _probe(bad, orgs.add("never").address, tmp_path)
    assert result.outcome == Outcome.SEND_FAILED
    assert result.error_class == "smtp_auth"
    assert "wrong" not in (result.error_detail or "")


async def test_a_certificate_from_an_unknown_ca_is_a_tls_failure(
    settings: Settings, orgs: Organisations, tmp_path: Path
) -> None:
    untrusted = settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"ca_file": None})}
    )
    result = await _probe(untrusted, orgs.add("never").address, tmp_path)
    assert result.outcome == Outcome.SEND_FAILED
    assert result.error_class == "smtp_tls"
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error_detail or "")


async def test_a_closed_port_is_a_connection_failure(settings: Settings, tmp_path: Path) -> None:
    from probe.sandbox.net import free_port

    closed = settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"port": free_port()})}
    )
    result = await _probe(closed, f"x@{ORG_DOMAIN}", tmp_path)
    assert result.outcome == Outcome.SEND_FAILED
    assert result.error_class == "smtp_connect"


async def test_a_server_outside_loopback_is_refused_before_connecting(
    settings: Settings, tmp_path: Path
) -> None:
    outside = settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"host": "192.0.2.10"})}
    )
    result = await _probe(outside, f"x@{ORG_DOMAIN}", tmp_path)
    assert result.outcome == Outcome.SEND_FAILED
    assert result.error_class == "destination_refused"
    assert result.error_detail == (
        "destination '192.0.2.10' (192.0.2.10) is not loopback and PROBE_NETWORK=loopback: "
        "only 127.0.0.0/8 and ::1 may be reached"
    )

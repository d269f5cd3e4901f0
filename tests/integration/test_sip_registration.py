"""Calls through a trunk: registration with digest authentication, then the dial plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.scoring.names import Outcome
from tests.servers.sipp import Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


async def test_the_trunk_registers_with_digest_auth_and_the_dial_plan_shapes_the_uri(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    registrar = Sipp("register.xml", calls=5).start()
    org = Sipp("answer_wait.xml", pause_ms=100).start()
    sipp_servers += [registrar, org]
    settings = phone_settings(
        phone_data_dir / "trunk",
        registrar=registrar.hostport,
        username="prober",
        password="s3cret-pass",
        dial_plan=f"sip:8{{national}}@{org.hostport}",
        workers=1,
    )
    result = await place(phone, settings, tmp_path, value="+73812357000", listen_seconds=0.3)
    assert result.outcome == Outcome.CONNECTED, (result.error_detail, result.details)
    assert result.details["request_uri"] == f"sip:83812357000@{org.hostport}"
    registers = [m for m in registrar.log() if m.first_line.startswith("REGISTER")]
    assert len(registers) == 2 and "Authorization: Digest" in registers[1].text
    assert [m.first_line for m in registrar.log() if m.direction == "sent"][:2] == [
        "SIP/2.0 401 Unauthorized",
        "SIP/2.0 200 OK",
    ]
    invite = next(m for m in org.log() if m.first_line.startswith("INVITE"))
    assert invite.first_line == f"INVITE sip:83812357000@{org.hostport} SIP/2.0"


async def test_a_refused_registration_fails_the_check_as_ours_with_the_exchange_as_evidence(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    registrar = Sipp("register.xml", calls=5).start()
    sipp_servers.append(registrar)
    settings = phone_settings(
        phone_data_dir / "bad-trunk",
        registrar=registrar.hostport,
        username="prober",
        password="wrong",
        dial_plan="sip:8{national}@{trunk}",
        workers=1,
    )
    result = await place(phone, settings, tmp_path, value="+73812357000")
    assert result.outcome == Outcome.FAILED
    assert result.error_class == "sip_registration"
    assert result.error_detail == "registrar refused: 403 Forbidden"
    assert result.details["retry"] is True
    trace = next(e for e in result.evidence if e.kind == "sip_trace")
    assert "SIP/2.0 403 Forbidden" in Path(trace.path).read_text()


async def test_calls_go_over_tcp_when_the_trunk_says_so_with_our_caller_id(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=200, transport="t1").start()
    sipp_servers.append(org)
    settings = phone_settings(
        phone_data_dir / "tcp", transport="tcp", caller_id="73812000111", workers=1
    )
    result = await place(
        phone, settings, tmp_path, sip_uri=f"sip:org@{org.hostport}", listen_seconds=0.3
    )
    assert result.outcome == Outcome.CONNECTED, (result.error_detail, result.details)
    assert result.details["request_uri"] == f"sip:org@{org.hostport};transport=tcp"
    invite = next(m for m in org.log() if m.first_line.startswith("INVITE"))
    assert "TCP message received" in (org.messages.read_text())
    assert "From: <sip:73812000111@127.0.0.1>" in invite.text or (
        "From: sip:73812000111@127.0.0.1" in invite.text
    )
    assert abs(result.timings_ms["ring"] - 200) <= 10

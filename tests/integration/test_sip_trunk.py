"""Calls through a real trunk: kamailio as registrar and proxy with digest authentication.

The centre's phone is a SIPp registered behind kamailio; the probe registers with its own
credentials (PROBE_SIP__REGISTRAR, __USERNAME, __PASSWORD) and dials E.164 numbers through the
default dial plan `sip:{e164}@{trunk}`. What kamailio does with each number is in
tests/servers/kamailio.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.results import CheckResult
from probe.scoring.names import Outcome
from probe.settings import Settings
from tests.servers import kamailio
from tests.servers.kamailio import Kamailio
from tests.servers.sipp import Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_servers, ...


@pytest.fixture(scope="module")
def trunk() -> Iterator[Kamailio]:
    kamailio.require_kamailio()
    server = Kamailio().start()
    yield server
    server.stop()


@pytest.fixture
def centre(trunk: Kamailio, sipp_servers: list[Sipp]) -> Sipp:
    """The centre's phone: answers after 300 ms of ringing, registered at the trunk."""
    phone = Sipp("answer_wait.xml", pause_ms=300).start()
    sipp_servers.append(phone)
    trunk.register_phone(phone.hostport)
    return phone


@pytest.fixture(scope="module")
def settings(trunk: Kamailio, phone_data_dir: Path) -> Settings:
    return phone_settings(
        phone_data_dir / "kamailio",
        registrar=trunk.hostport,
        username=kamailio.PROBE_USER,
        password=kamailio.PROBE_PASSWORD,
        workers=1,
    )


def trace_of(result: CheckResult) -> str:
    return Path(next(e.path for e in result.evidence if e.kind == "sip_trace")).read_text()


async def test_a_number_the_trunk_routes_to_the_centres_phone_is_connected(
    phone: PhonePlugin, settings: Settings, tmp_path: Path, trunk: Kamailio, centre: Sipp
) -> None:
    result = await place(phone, settings, tmp_path, value=kamailio.NORMAL, listen_seconds=0.5)
    assert result.outcome == Outcome.CONNECTED, (result.error_detail, result.details)
    assert result.details["request_uri"] == f"sip:{kamailio.NORMAL}@{trunk.hostport}"
    assert (result.details["transfers"], result.details["forwards"]) == (0, [])
    # The trunk asked for the digest (407), and the phone got the INVITE kamailio routed to
    # its registered contact.
    trace = trace_of(result)
    assert "SIP/2.0 407 Proxy Authentication Required" in trace
    assert "Proxy-Authorization: Digest" in trace
    invite = next(m for m in centre.log() if m.first_line.startswith("INVITE"))
    assert invite.first_line == f"INVITE sip:{kamailio.PHONE_USER}@{centre.hostport} SIP/2.0"
    assert abs(result.timings_ms["ring"] - 300) <= 20, result.timings_ms


async def test_a_number_the_trunk_forwards_is_connected_with_the_forward_as_evidence(
    phone: PhonePlugin, settings: Settings, tmp_path: Path, trunk: Kamailio, centre: Sipp
) -> None:
    result = await place(phone, settings, tmp_path, value=kamailio.FORWARDED, listen_seconds=0.5)
    assert result.outcome == Outcome.CONNECTED, (result.error_detail, result.details)
    # Issue 14: forwarded before anyone answered, the caller reached the first person who
    # answered at once (Protocol 6 column 10): no transfer, the 302 is evidence.
    assert (result.details["transfers"], result.details["transfer_class"]) == (0, "none")
    (forward,) = result.details["forwards"]
    assert forward["kind"] == "redirect"
    assert forward["detail"] == (
        f"302 Moved Temporarily -> sip:{kamailio.PHONE_USER}@{trunk.hostport}"
    )
    assert 302 in result.details["invites"] and result.details["invites"][-1] == 200
    assert any(m.first_line.startswith("INVITE") for m in centre.log())
    assert "SIP/2.0 302 Moved Temporarily" in trace_of(result)


@pytest.mark.parametrize(
    ("number", "outcome", "code"),
    [
        (kamailio.BUSY, Outcome.BUSY, 486),
        (kamailio.UNKNOWN, Outcome.UNAVAILABLE, 404),
    ],
    ids=["busy", "unknown"],
)
async def test_busy_and_unknown_numbers_as_the_trunk_answers_them(
    phone: PhonePlugin,
    settings: Settings,
    tmp_path: Path,
    trunk: Kamailio,
    number: str,
    outcome: Outcome,
    code: int,
) -> None:
    result = await place(phone, settings, tmp_path, value=number, listen_seconds=0.5)
    assert (result.outcome, result.error_class) == (outcome, None), result.details
    assert result.details["sip_code"] == code
    assert result.details.get("retry") is None


async def test_a_wrong_password_is_refused_by_the_trunk_and_fails_the_check_as_ours(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, trunk: Kamailio
) -> None:
    settings = phone_settings(
        phone_data_dir / "kamailio-wrong",
        registrar=trunk.hostport,
        username=kamailio.PROBE_USER,
        password="wrong",
        workers=1,
    )
    result = await place(phone, settings, tmp_path, value=kamailio.NORMAL)
    assert (result.outcome, result.error_class) == (Outcome.FAILED, "sip_registration")
    assert result.error_detail == "registrar refused: 401 Unauthorized"
    assert result.details["retry"] is True

"""A trunk registration lost while the call workers run, and regained by PJSUA's own retry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.scoring.names import Outcome
from tests.scaleout_inprocess import until
from tests.servers.sipp import Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...

SCENARIOS = Path(__file__).resolve().parent.parent / "servers" / "scenarios"
PASSWORD = "s3cret-pass"
EXPIRES = 6  # seconds: PJSUA refreshes 5 s after each registration
RETRY = 2  # seconds between two tries of a lost registration


def _registrar(port: int | None = None, scenario: str = "register_refreshing.xml") -> Sipp:
    server = Sipp(str(SCENARIOS / scenario), fill={"expires": str(EXPIRES)}, calls=50)
    if port is not None:
        server.port = port  # the trunk's address does not change, only its answers
    return server.start()


def _invites(server: Sipp) -> int:
    return sum(
        m.direction == "received" and m.first_line.startswith("INVITE") for m in server.log()
    )


@pytest.mark.parametrize(
    ("refusing_scenario", "refusal"),
    [
        ("register_unavailable.xml", "503 Service Unavailable"),  # PJSUA retries it
        ("register_forbidden.xml", "403 Forbidden"),  # PJSUA does not: the worker does
    ],
)
async def test_a_registration_lost_while_workers_run_fails_calls_at_once_until_it_is_regained(
    phone: PhonePlugin,
    phone_data_dir: Path,
    tmp_path: Path,
    sipp_servers: list[Sipp],
    refusing_scenario: str,
    refusal: str,
) -> None:
    registrar = _registrar()
    org = Sipp("answer_wait.xml", pause_ms=50, calls=10).start()
    sipp_servers += [registrar, org]
    settings = phone_settings(
        phone_data_dir / refusing_scenario,
        registrar=registrar.hostport,
        username="prober",
        password=PASSWORD,
        workers=1,
        registration_seconds=EXPIRES,
        registration_retry_seconds=RETRY,
    )
    pool = phone.pool(settings)

    def lost() -> bool:
        return any(r.lost() is not None for _, r in pool.registrations())

    first = await place(phone, settings, tmp_path / "1", sip_uri=org.uri, listen_seconds=0.3)
    assert first.outcome == Outcome.CONNECTED, (first.error_detail, first.details)
    [(pid, _)] = pool.registrations()

    # The registrar loses us: the same address now refuses every REGISTER.
    registrar.stop()
    refusing = _registrar(registrar.port, refusing_scenario)
    sipp_servers.append(refusing)
    await until(lost, timeout=EXPIRES + 2, what="the refresh refused", state=pool.registrations)
    started = time.monotonic()
    result = await place(phone, settings, tmp_path / "2", sip_uri=org.uri, listen_seconds=0.3)
    took = time.monotonic() - started
    assert (result.outcome, result.error_class) == (Outcome.FAILED, "sip_registration")
    assert result.error_detail == f"registration lost: {refusal}"
    assert result.details == {"request_uri": org.uri, "retry": True}
    assert took < 0.5, took
    assert _invites(org) == 1  # no INVITE left without a registration
    trace = next(e for e in result.evidence if e.kind == "sip_trace")
    assert f"SIP/2.0 {refusal}" in Path(trace.path).read_text()

    # Regained: the registrar answers again on the same address; the retry registers.
    refusing.stop()
    regained = _registrar(registrar.port)
    sipp_servers.append(regained)
    await until(lambda: not lost(), timeout=RETRY + 3, what="the retry", state=pool.registrations)
    again = await place(phone, settings, tmp_path / "3", sip_uri=org.uri, listen_seconds=0.3)
    assert again.outcome == Outcome.CONNECTED, (again.error_detail, again.details)
    assert _invites(org) == 2
    assert [p for p, _ in pool.registrations()] == [pid]  # the same worker throughout
    sent = [m.first_line for m in regained.log() if m.direction == "sent"]
    assert sent[:2] == ["SIP/2.0 401 Unauthorized", "SIP/2.0 200 OK"]
    # The password is never written: not in the worker's log, the trace or the results.
    logs = "".join(
        p.read_text(errors="replace") for p in (phone_data_dir / refusing_scenario).rglob("*.log")
    )
    traces = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert PASSWORD not in logs + traces + repr([first, result, again])

"""Phone faults through the PostgreSQL queue, against SIPp: a peer answering 503, a peer not
answering at all, the trunk's registration lost and regained, and the control call to a
known-good number that tells our outage from the organisations' results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from adapters.sip.config import SipSettings
from probe.channels import get_channel
from probe.settings import OutageSettings, Settings
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
from tests.servers.sipp import Sipp, free_udp_port, require_tools

pytestmark = pytest.mark.integration

SCENARIOS = Path(__file__).resolve().parent.parent / "servers" / "scenarios"
PHONE = {"phone": {"ring_timeout_seconds": 2, "listen_seconds": 0.3, "prompt": "none"}}
LIMITS = {"quiet_minutes": 0, "calls_in_parallel": 2, "checks_in_parallel": 2}
OUTAGE = OutageSettings(threshold=2, first_pause_seconds=1.5, max_pause_seconds=3)


@pytest.fixture
def sipps() -> Iterator[list[Sipp]]:
    require_tools()
    started: list[Sipp] = []
    yield started
    for server in started:
        server.stop()
    codes = get_channel("phone").close_all()  # type: ignore[attr-defined]
    assert all(code == 0 for code in codes.values()), f"call workers exited badly: {codes}"


def _settings(url: str, tmp_path: Path, outage: OutageSettings = OUTAGE, **sip: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=tmp_path / "var",
        network="loopback",
        sip=SipSettings(workers=1, **sip),
        outage=outage,
    )


def _invites(server: Sipp) -> int:
    return sum(
        m.direction == "received" and m.first_line.startswith("INVITE") for m in server.log()
    )


def _numbers(count: int) -> list[str]:
    return [f"+7381200{n:04d}" for n in range(count)]


async def test_503_and_a_silent_peer_fail_as_ours_and_a_working_control_call_lets_them_stand(
    pg_engine: Engine, postgres_url: str, tmp_path: Path, sipps: list[Sipp]
) -> None:
    refusing = Sipp("reject.xml", fill={"code": "503", "reason": "Service Unavailable"}, calls=9)
    control = Sipp("answer_wait.xml", pause_ms=50, calls=9)
    sipps += [refusing.start(), control.start()]
    silent = f"sip:org@127.0.0.1:{free_udp_port()}"  # nothing answers there, not even ICMP
    unavailable, quiet = _numbers(2)
    settings = _settings(
        postgres_url,
        tmp_path,
        routes={unavailable: [refusing.uri], quiet: [silent]},
        control_target=control.uri,
    )
    add_organisations(pg_engine, "phone", {"refusing": unavailable, "silent": quiet})
    start_campaign(pg_engine, "phone", options=PHONE, limits=LIMITS)
    async with queue_path(url=postgres_url, engine=pg_engine, settings=settings):
        await until(
            lambda: "control_result" in actions(pg_engine),
            timeout=30,
            what="the control call",
            state=lambda: summary(pg_engine),
        )
        first = {c.organisation_id: c for c in checks(pg_engine) if c.attempt == 1}
        assert {(c.status, c.outcome) for c in first.values()} == {("done", "failed")}
        assert sorted(c.error_class or "" for c in first.values()) == [
            "sip_server_error",
            "sip_timeout",
        ]
        # Retried as our failures, per the policy, never charged to the organisations.
        retries = [c for c in checks(pg_engine) if c.attempt == 2]
        assert len(retries) == 2 and all(c.details.get("our_failure") for c in retries)
        assert bring_retries_forward(pg_engine) == 2
        await until(
            lambda: (
                sum(c.status == "done" for c in checks(pg_engine)) == 4
                and actions(pg_engine).count("control_result") == 2
            ),
            timeout=30,
            what="the retries and a second control call",
            state=lambda: summary(pg_engine),
        )
    assert actions(pg_engine) == ["control_call", "control_result"] * 2  # no pause, no alert
    verdicts = [r.after for r in channel_rows(pg_engine) if r.action == "control_result"]
    assert [(v or {}).get("verdict") for v in verdicts] == ["theirs", "theirs"]
    assert [(v or {}).get("outcome") for v in verdicts] == ["connected", "connected"]
    done = [c for c in checks(pg_engine) if c.status == "done"]
    assert Counter(c.error_class for c in done) == {"sip_server_error": 2, "sip_timeout": 2}
    third = [c for c in checks(pg_engine) if c.attempt == 3]
    assert len(third) == 2 and all(c.details.get("our_failure") for c in third)
    assert _invites(refusing) == 2 and _invites(control) == 2  # each call placed once


async def test_a_trunk_answering_404_with_its_control_number_down_is_our_outage_not_theirs(
    pg_engine: Engine, postgres_url: str, tmp_path: Path, sipps: list[Sipp]
) -> None:
    not_found = Sipp("reject.xml", fill={"code": "404", "reason": "Not Found"}, calls=9)
    answering = Sipp("answer_wait.xml", pause_ms=50, calls=9)
    control = Sipp("answer_wait.xml", pause_ms=50, calls=9)  # started once the trunk is back
    sipps += [not_found.start(), answering.start(), control]
    numbers = _numbers(2)
    settings = _settings(
        postgres_url,
        tmp_path,
        outage=OUTAGE.model_copy(update={"suspect_streak": 2}),
        # The first attempt meets the broken trunk (404), the retry the organisation itself.
        routes={n: [not_found.uri, answering.uri] for n in numbers},
        control_target=control.uri,  # nothing listens there yet
    )
    add_organisations(pg_engine, "phone", {f"o{i}": n for i, n in enumerate(numbers)})
    start_campaign(pg_engine, "phone", options=PHONE, limits=LIMITS)
    async with queue_path(url=postgres_url, engine=pg_engine, settings=settings):
        await until(
            lambda: "alert" in actions(pg_engine),
            timeout=30,
            what="the alert",
            state=lambda: summary(pg_engine),
        )
        first = [c for c in checks(pg_engine) if c.attempt == 1]
        # "unavailable" was the trunk's doing: recorded as ours, retried, not charged.
        assert {(c.outcome, c.error_class) for c in first} == {("failed", "our_outage")}
        assert {c.details["outcome_before_control"] for c in first} == {"unavailable"}
        retries = [c for c in checks(pg_engine) if c.attempt == 2]
        assert len(retries) == 2 and all(c.details.get("our_failure") for c in retries)
        control.start()
        bring_retries_forward(pg_engine)
        await until(
            lambda: sum(c.outcome == "connected" for c in checks(pg_engine)) == 2,
            timeout=30,
            what="the organisations reached",
            state=lambda: summary(pg_engine),
        )
    assert actions(pg_engine) == ["control_call", "control_result", "alert", "alert_cleared"]
    alert = channel_rows(pg_engine)[2].after or {}
    assert alert["control"] == {
        "outcome": "failed",
        "error_class": "sip_timeout",
        "trigger": "suspect",
    }
    assert "suspect results in a row on channel phone" in alert["message"]
    assert _invites(not_found) == 2 and _invites(answering) == 2  # once each, never twice


async def test_trunk_registration_lost_pauses_calls_as_ours_and_they_resume_once_it_is_back(
    pg_engine: Engine, postgres_url: str, tmp_path: Path, sipps: list[Sipp]
) -> None:
    lost = Sipp(str(SCENARIOS / "register_unavailable.xml"), calls=50)
    organisations = Sipp("answer_wait.xml", pause_ms=50, calls=9)
    sipps += [lost.start(), organisations.start()]
    numbers = _numbers(3)
    settings = _settings(
        postgres_url,
        tmp_path,
        registrar=lost.hostport,
        username="prober",
        password="s3cret-pass",
        routes={n: [organisations.uri] for n in numbers},
        control_target=organisations.uri,
    )
    add_organisations(pg_engine, "phone", {f"o{i}": n for i, n in enumerate(numbers)})
    start_campaign(pg_engine, "phone", options=PHONE, limits=LIMITS)
    async with queue_path(url=postgres_url, engine=pg_engine, settings=settings):
        await until(
            lambda: "alert" in actions(pg_engine),
            timeout=30,
            what="the alert",
            state=lambda: summary(pg_engine),
        )
        snapshot = checks(pg_engine)
        failed = [c for c in snapshot if c.outcome == "failed"]
        assert len(failed) >= 2
        assert {c.error_class for c in failed} == {"sip_registration"}
        assert all("503 Service Unavailable" in (c.error_detail or "") for c in failed)
        assert _invites(organisations) == 0  # no call left without a registration
        retried = [c.details["retry_of"] for c in snapshot if c.details.get("our_failure")]
        assert sorted(retried) == sorted(c.id for c in failed)  # retried, none charged
        # Registration regained: the registrar answers again on the same address.
        lost.stop()
        regained = Sipp("register.xml", calls=50)
        regained.port = lost.port
        sipps.append(regained.start())

        def all_connected() -> bool:
            bring_retries_forward(pg_engine)
            return sum(c.outcome == "connected" for c in checks(pg_engine)) == 3

        await until(
            all_connected, timeout=40, what="calls resumed", state=lambda: summary(pg_engine)
        )
    assert actions(pg_engine)[-1] == "alert_cleared"
    alert = next(r.after for r in channel_rows(pg_engine) if r.action == "alert") or {}
    assert alert["error_class"] == "sip_registration"
    assert alert["control"]["error_class"] == "sip_registration"
    rows = checks(pg_engine)
    assert not [c for c in rows if c.outcome not in ("failed", "connected", None)]
    assert (
        Counter(c.organisation_id for c in rows if c.outcome == "connected").most_common(1)[0][1]
        == 1
    )
    assert _invites(organisations) == 3  # each organisation called once, after the registration
    registers = [m for m in regained.log() if m.direction == "sent"]
    assert any(m.first_line == "SIP/2.0 200 OK" for m in registers)

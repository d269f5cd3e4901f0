"""Transfers: each way an organisation passes a call on, counted with its evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.results import Outcome
from tests.servers.sipp import Audio, Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


def kinds(transfer: dict) -> list[str]:
    return [e["kind"] for e in transfer["evidence"]]


async def test_a_redirect_is_followed_to_the_new_target_and_counted_once(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    specialist = Sipp("answer_wait.xml", pause_ms=200).start()
    reception = Sipp("redirect.xml", keys={"target": specialist.uri}).start()
    sipp_servers += [specialist, reception]
    result = await place(
        phone, phone_settings(phone_data_dir), tmp_path, sip_uri=reception.uri, listen_seconds=0.5
    )
    assert result.outcome == Outcome.CONNECTED, result.details
    assert result.details["sip_code"] == 200
    assert result.details["invites"] == [302, 200]
    assert (result.details["transfers"], result.details["transfer_class"]) == (1, "once")
    transfers = result.details["transfer_list"]
    assert kinds(transfers[0]) == ["redirect"]
    assert specialist.uri.removeprefix("sip:") in transfers[0]["evidence"][0]["detail"]
    truth = (specialist.sent_at("SIP/2.0 200") - specialist.sent_at("SIP/2.0 180")) * 1000
    assert abs(result.timings_ms["answer"] - result.timings_ms["pdd"] - truth) <= 5.0


async def test_a_refer_after_the_answer_is_followed_as_a_new_leg_and_both_are_kept(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    specialist = Sipp("answer_wait.xml", pause_ms=300).start()
    reception = Sipp(
        "refer.xml", pause_ms=100, keys={"target": specialist.uri}, extra=["-aa"]
    ).start()
    sipp_servers += [specialist, reception]
    result = await place(
        phone, phone_settings(phone_data_dir), tmp_path, sip_uri=reception.uri, listen_seconds=3.0
    )
    assert result.outcome == Outcome.CONNECTED, result.details
    assert result.details["legs"] == 2
    transfers = result.details["transfer_list"]
    assert result.details["transfers"] == 1, transfers
    assert kinds(transfers[0])[0] == "refer"
    # The transferring PBX hung up its leg; we hung up the specialist's after listening.
    assert reception.wait(5) == 0, reception.diagnostics()
    assert specialist.wait(5) == 0, specialist.diagnostics()
    trace = (tmp_path / "sip-trace.txt").read_text()
    assert "leg 1 TX sent to" in trace and "REFER sip:" in trace


async def test_hold_then_a_new_identity_is_one_transfer_with_two_pieces_of_evidence(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("hold_update.xml", pause_ms=100).start()
    sipp_servers.append(org)
    result = await place(
        phone, phone_settings(phone_data_dir), tmp_path, sip_uri=org.uri, listen_seconds=1.5
    )
    assert result.outcome == Outcome.CONNECTED, result.details
    transfers = result.details["transfer_list"]
    assert result.details["transfers"] == 1, transfers
    assert kinds(transfers[0]) == ["hold", "remote_party_changed"]
    changed = transfers[0]["evidence"][1]["detail"]
    assert changed == "sip:reception@org.example -> sip:specialist@org.example"


async def test_forwarding_inside_the_network_is_one_transfer(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("forwarded.xml", pause_ms=200).start()
    sipp_servers.append(org)
    result = await place(
        phone, phone_settings(phone_data_dir), tmp_path, sip_uri=org.uri, listen_seconds=0.3
    )
    assert result.outcome == Outcome.CONNECTED, result.details
    transfers = result.details["transfer_list"]
    assert result.details["transfers"] == 1, transfers
    assert kinds(transfers[0]) == ["forwarded_181", "diversion", "history_info"]


async def test_ringback_after_the_answer_is_an_internal_transfer(
    phone: PhonePlugin,
    phone_data_dir: Path,
    tmp_path: Path,
    sipp_servers: list[Sipp],
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "answer_play.xml",
        pause_ms=100,
        keys={"audio_ms": "6400"},
        audio=sipp_audio["ringback_speech"],
    ).start()
    sipp_servers.append(org)
    result = await place(
        phone, phone_settings(phone_data_dir), tmp_path, sip_uri=org.uri, listen_seconds=10
    )
    assert result.outcome == Outcome.CONNECTED, result.details
    ringbacks = [t for t in result.details["tones"] if t["kind"] == "ringback"]
    assert len(ringbacks) == 2, result.details["tones"]
    assert all(700 <= t["end_ms"] - t["start_ms"] <= 900 for t in ringbacks)
    transfers = result.details["transfer_list"]
    assert result.details["transfers"] == 1, transfers
    assert kinds(transfers[0]) == ["ringback_after_answer", "ringback_after_answer"]
    # The specialist speaks after 3.9 s of ringback and silence (VAD onset and the jitter
    # buffer add a few tens of ms).
    assert 3850 <= result.timings_ms["first_speech"] <= 4100, result.timings_ms
    assert result.details["hangup"]["by"] == "them"

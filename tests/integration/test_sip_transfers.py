"""Transfers: each way an organisation passes a call on, counted with its evidence."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.results import CheckResult
from probe.scoring.names import Outcome
from tests.servers.sipp import Audio, Dial, Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


def kinds(transfer: dict) -> list[str]:
    return [e["kind"] for e in transfer["evidence"]]


async def test_a_redirect_is_followed_to_the_new_target_and_is_a_forward_not_a_transfer(
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
    # Issue 14 (was: transferred once): forwarded before anyone answered, the caller reached
    # at once the first person who answered (Protocol 6 column 10); the 302 is evidence.
    assert (result.details["transfers"], result.details["transfer_class"]) == (0, "none")
    assert result.details["transfer_list"] == []
    (forward,) = result.details["forwards"]
    assert forward["kind"] == "redirect"
    assert specialist.uri.removeprefix("sip:") in forward["detail"]
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
    # Two persons answered: the reception, then the specialist on the REFER's new leg, whose
    # greeting is read from where that leg's audio begins in the recording (issue 18).
    first, second = result.details["persons"]
    assert (first["leg"], second["leg"]) == (0, 1)
    assert second["from_ms"] > transfers[0]["at_ms"]
    # The PBX's leg was up 0.5 s + 0.8 s; its audio is in the recording before the specialist's.
    assert second["recording_s"] is None or second["recording_s"] >= 1.0
    # The transferring PBX hung up its leg; we hung up the specialist's after listening.
    assert reception.wait(5) == 0, reception.diagnostics()
    assert specialist.wait(5) == 0, specialist.diagnostics()
    trace = (tmp_path / "sip-trace.txt").read_text()
    assert "leg 1 TX sent to" in trace and "REFER sip:" in trace


async def test_hold_then_a_new_identity_is_one_transfer_with_two_pieces_of_evidence(
    dial: Dial,
) -> None:
    org = Sipp("hold_update.xml", pause_ms=100)
    result = await dial(org, listen_seconds=1.5)
    assert result.outcome == Outcome.CONNECTED, result.details
    transfers = result.details["transfer_list"]
    assert result.details["transfers"] == 1, transfers
    assert kinds(transfers[0]) == ["hold", "remote_party_changed"]
    changed = transfers[0]["evidence"][1]["detail"]
    assert changed == "sip:reception@org.example -> sip:specialist@org.example"


async def test_forwarding_inside_the_network_before_the_answer_is_no_transfer(
    dial: Dial,
) -> None:
    org = Sipp("forwarded.xml", pause_ms=200)
    result = await dial(org, listen_seconds=0.3)
    assert result.outcome == Outcome.CONNECTED, result.details
    # Issue 14 (was: one transfer): 181, Diversion and History-Info all came before the answer.
    assert (result.details["transfers"], result.details["transfer_class"]) == (0, "none")
    forwards = [f["kind"] for f in result.details["forwards"]]
    assert forwards == ["forwarded_181", "diversion", "history_info"]


async def test_ringback_after_the_answer_is_an_internal_transfer(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "answer_play.xml",
        pause_ms=100,
        keys={"audio_ms": "6400"},
        audio=sipp_audio["ringback_speech"],
    )
    result = await dial(org, listen_seconds=10)
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


async def test_a_finished_transfer_never_touches_a_later_call_in_its_old_slot(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    """PJSUA numbers calls by slot (0..3, handed out in turn) and reuses a slot once its call is
    over. Here the transferring PBX hangs up its leg early; the next calls of the same worker
    take that slot while they ring, and the transfer's check ends (dropping its legs) before
    they are answered: neither may be cancelled, nor lose its callbacks."""
    specialist = Sipp("answer_wait.xml", pause_ms=200).start()
    reception = Sipp(
        "refer.xml", pause_ms=200, keys={"target": specialist.uri}, extra=["-aa"]
    ).start()
    busy = Sipp("reject.xml", calls=2, fill={"code": "486", "reason": "Busy Here"}).start()
    later = Sipp("answer_wait.xml", pause_ms=2500, calls=2).start()
    sipp_servers += [specialist, reception, busy, later]
    settings = phone_settings(phone_data_dir / "slots", workers=1)
    await asyncio.to_thread(phone.pool(settings).start_all)

    def call(name: str, uri: str, listen: float) -> asyncio.Task[CheckResult]:
        directory = tmp_path / name
        return asyncio.create_task(
            place(
                phone,
                settings,
                directory,
                sip_uri=uri,
                listen_seconds=listen,
                ring_timeout_seconds=8,
            )
        )

    # Slot 0: the transfer's first leg (answered at 0.2 s, REFER at 0.7 s, hung up by the PBX
    # at 1.5 s); slots 1 and 2: two short refused calls; slot 3: the leg the REFER adds.
    transfer = call("transfer", reception.uri, 3.5)
    started = time.monotonic()
    await asyncio.sleep(0.05)
    refused = [call(f"busy{n}", busy.uri, 1.0) for n in range(2)]
    assert [r.outcome for r in await asyncio.gather(*refused)] == [Outcome.BUSY] * 2
    # After the PBX's BYE: these take slots 0 and 1, and ring until 4.5 s; the transfer's
    # check hangs up at 3.7 s and ends while they ring.
    await asyncio.sleep(started + 2.0 - time.monotonic())
    ringing = [call(f"later{n}", later.uri, 0.5) for n in range(2)]
    first = await transfer
    assert first.outcome == Outcome.CONNECTED, first.details
    assert (first.details["legs"], first.details["transfers"]) == (2, 1), first.details
    for n, result in enumerate(await asyncio.gather(*ringing)):
        trace = (tmp_path / f"later{n}" / "sip-trace.txt").read_text()
        assert "CANCEL sip:" not in trace, trace
        assert result.outcome == Outcome.CONNECTED, (result.details, trace)
        assert result.details["hangup"] == {"by": "us", "reason": "listen_time"}
    # The timeline the test is about: the PBX's leg was over before the later calls were placed,
    # and the transfer's check ended (our BYE to the specialist) while both still rang.
    invites = [m.wall for m in later.log() if m.first_line.startswith("INVITE")]
    assert reception.sent_at("BYE") < min(invites)
    ended = next(m.wall for m in specialist.log() if m.first_line.startswith("BYE"))
    assert ended < later.sent_at("SIP/2.0 200")


async def _three_transfers_at_once(
    phone: PhonePlugin, settings: object, tmp_path: Path, sipp_servers: list[Sipp]
) -> list[CheckResult]:
    specialist = Sipp("answer_wait.xml", pause_ms=200, calls=3).start()
    reception = Sipp(
        "refer.xml", pause_ms=300, calls=3, keys={"target": specialist.uri}, extra=["-aa"]
    ).start()
    sipp_servers += [specialist, reception]
    calls = [
        place(phone, settings, tmp_path / f"call{n}", sip_uri=reception.uri, listen_seconds=2.0)
        for n in range(3)
    ]
    return list(await asyncio.gather(*calls))


async def test_calls_are_spread_over_the_pool_so_each_transfer_finds_a_free_slot(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    """Three calls transferred at the same moment: with three workers each call has one to
    itself, and each REFER's new leg a free slot next to it."""
    settings = phone_settings(phone_data_dir / "spread", workers=3)
    results = await _three_transfers_at_once(phone, settings, tmp_path, sipp_servers)
    for result in results:
        assert result.outcome == Outcome.CONNECTED, result.details
        assert (result.details["legs"], result.details["transfers"]) == (2, 1), result.details
        assert "transfers_unfollowed" not in result.details
    assert len(phone.pool(settings).pids()) == 3


async def test_a_transfer_with_no_free_slot_is_recorded_as_not_followed(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    """One worker, three calls (slots 0-2), three REFERs at once: the first new leg takes the
    last slot, PJSUA cannot place the other two (NOTIFY 500). Those checks say so instead of
    passing for calls that simply were not transferred further."""
    settings = phone_settings(phone_data_dir / "full", workers=1)
    results = await _three_transfers_at_once(phone, settings, tmp_path, sipp_servers)
    assert [r.outcome for r in results] == [Outcome.CONNECTED] * 3
    followed = [r for r in results if r.details["legs"] == 2]
    lost = [r for r in results if r.details.get("transfers_unfollowed")]
    assert (len(followed), len(lost)) == (1, 2), [r.details for r in results]
    for result in lost:
        assert result.details["transfers"] == 1  # the REFER itself is the organisation's act
        (unfollowed,) = result.details["transfers_unfollowed"]
        assert unfollowed["leg"] == 1 and unfollowed["target"].startswith("sip:")

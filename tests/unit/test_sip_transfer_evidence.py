"""Transfer evidence from signalling and audio, merged into transfers."""

from __future__ import annotations

from adapters.sip.audio import Interval, analyse
from adapters.sip.timeline import instants
from adapters.sip.transfers import (
    episodes,
    forward_list,
    signalling_evidence,
    split_forwards,
    summary,
)
from tests.unit.sip_records import record, request, response, ringing, speech, tone


def kinds_of(rec) -> list[list[str]]:
    """The transfers, as the result builder counts them: from the first answer on."""
    _, handed_on = split_forwards(signalling_evidence(rec), instants(rec).answer)
    return [[e["kind"] for e in t["evidence"]] for t in episodes(handed_on, 100.0)]


def forward_kinds(rec) -> list[str]:
    forwards, _ = split_forwards(signalling_evidence(rec), instants(rec).answer)
    return [e["kind"] for e in forward_list(forwards, 100.0)]


def test_a_plain_answer_has_no_transfer() -> None:
    assert kinds_of(record(*ringing(200, "OK"))) == []
    assert summary([]) == {"count": 0, "class": "none", "list": []}


def test_a_redirect_then_a_diversion_on_the_answer_are_a_forward_not_a_transfer() -> None:
    # Issue 14 (was: one transfer): forwarded before anyone answered, the caller still reached
    # at once the first person who answered (Protocol 6 column 10); the forward is evidence.
    rec = record(
        request(100.0, "INVITE"),
        response(100.01, 302, "Moved", headers={"Contact": "<sip:2045@pbx>"}),
        request(100.02, "INVITE", cseq=2),
        response(
            100.5, 200, "OK", cseq=2, headers={"Diversion": "<sip:100@pbx>;reason=unconditional"}
        ),
    )
    assert kinds_of(rec) == []
    assert forward_kinds(rec) == ["redirect", "diversion"]
    assert signalling_evidence(rec)[0]["detail"] == "302 Moved -> sip:2045@pbx"
    forwards, _ = split_forwards(signalling_evidence(rec), instants(rec).answer)
    assert forward_list(forwards, 100.0)[0] == {
        "kind": "redirect",
        "at_ms": 10.0,
        "detail": "302 Moved -> sip:2045@pbx",
    }


def test_a_diversion_after_the_answer_is_a_transfer() -> None:
    rec = record(
        *ringing(200, "OK"),
        request(104.0, "INVITE", direction="RX", cseq=7, headers={"Diversion": "<sip:100@pbx>"}),
    )
    assert kinds_of(rec) == [["diversion"]]
    assert forward_kinds(rec) == []


def test_forwards_of_a_call_never_answered_are_evidence_only() -> None:
    rec = record(
        request(100.0, "INVITE"),
        response(100.01, 181, "Call Is Being Forwarded"),
        response(101.0, 486, "Busy Here"),
    )
    assert (kinds_of(rec), forward_kinds(rec)) == ([], ["forwarded_181"])


def test_hold_and_a_new_identity_far_apart_are_two_transfers() -> None:
    hold = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"
    rec = record(
        *ringing(200, "OK", at=100.5)[:-1],
        response(100.5, 200, "OK", headers={"P-Asserted-Identity": "<sip:reception@org>"}),
        request(101.0, "INVITE", direction="RX", cseq=7, body=hold),
        request(
            120.0,
            "UPDATE",
            direction="RX",
            cseq=8,
            headers={"P-Asserted-Identity": '"Head" <sip:head@org>'},
        ),
    )
    assert kinds_of(rec) == [["hold"], ["remote_party_changed"]]
    transfers = summary(episodes(signalling_evidence(rec), 100.0))
    assert (transfers["count"], transfers["class"]) == (2, "several")


def test_a_refer_leg_is_another_party_by_design_not_a_remote_party_change() -> None:
    rec = record(
        *ringing(200, "OK"),
        request(102.0, "REFER", direction="RX", cseq=3, headers={"Refer-To": "<sip:2045@pbx>"}),
        request(102.1, "INVITE", leg=1),
        response(103.0, 200, "OK", leg=1, headers={"P-Asserted-Identity": "<sip:2045@pbx>"}),
    )
    assert kinds_of(rec) == [["refer"]]


def test_181_and_history_info_before_the_answer_are_forwards() -> None:
    rec = record(
        request(100.0, "INVITE"),
        response(100.01, 181, "Call Is Being Forwarded"),
        response(
            100.5, 200, "OK", headers={"History-Info": "<sip:a@x>;index=1, <sip:b@x>;index=1.1"}
        ),
    )
    # Issue 14 (was: one transfer): forwarded before the answer, counted in column 10.
    assert (kinds_of(rec), forward_kinds(rec)) == ([], ["forwarded_181", "history_info"])


def test_ringback_after_the_answer_and_silence_between_two_voices_are_audio_transfers() -> None:
    rec = record(
        *ringing(200, "OK"),
        tone(101.3, 102.1, 425),
        speech(105.0, 107.0),
        speech(113.0, 115.0),
    )
    audio = analyse(rec, answer=101.0, transfer_silence=5.0)
    assert [t["kind"] for t in audio.transfers] == ["ringback_after_answer", "silence_then_voice"]


def test_silence_while_our_prompt_plays_is_no_transfer() -> None:
    rec = record(*ringing(200, "OK"), speech(101.5, 103.0), speech(110.0, 112.0))
    audio = analyse(
        rec,
        answer=101.0,
        transfer_silence=5.0,
        expected_quiet=[Interval(103.5, 109.0)],
    )
    assert audio.transfers == []

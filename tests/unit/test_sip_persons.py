"""Who answered a call, and where each greeting lies in the recording (issue 18 item 4)."""

from __future__ import annotations

import pytest

from adapters.sip.persons import persons, recording_offset, recording_spans
from tests.unit.sip_records import record, speech


def media(t: float, leg: int, status: str = "active") -> dict:
    return {"ev": "media", "t": t, "leg": leg, "status": status}


def down(t: float, leg: int) -> dict:
    return {"ev": "state", "t": t, "leg": leg, "state": "DISCONNECTED"}


def refer_transfer(at_ms: float) -> dict:
    return {"kind": "refer", "at_ms": at_ms, "evidence": [{"kind": "refer", "at_ms": at_ms}]}


def test_the_recording_skips_the_time_no_leg_was_connected() -> None:
    # Leg 0 connected 101.0-106.0; leg 1 (after a REFER) rings until 109.0, then to 115.0.
    rec = record(media(101.0, 0), down(106.0, 0), media(109.0, 1), down(115.0, 1))
    spans = recording_spans(rec)
    assert spans == [(101.0, 106.0), (109.0, 115.0)]
    assert recording_offset(100.0, spans) == 0.0
    assert recording_offset(103.5, spans) == pytest.approx(2.5)
    assert recording_offset(108.0, spans) == pytest.approx(5.0)  # between the legs
    assert recording_offset(110.0, spans) == pytest.approx(6.0)


def test_the_answerer_and_the_specialist_after_a_refer_each_get_their_greeting() -> None:
    rec = record(
        media(101.0, 0),
        speech(101.5, 104.0),
        down(106.0, 0),
        media(109.0, 1),
        speech(109.8, 112.0),
        down(115.0, 1),
    )
    found = persons(
        rec,
        answer=101.0,
        transfers=[refer_transfer(4500.0)],  # the REFER at 104.5 (t0 = 100.0)
        speech=[(101.5, 104.0), (109.8, 112.0)],
        t0=100.0,
    )
    assert [(p["person"], p["leg"]) for p in found] == [(1, 0), (2, 1)]
    first, second = found
    assert first["greeting_ms"] == 1500.0
    assert first["recording_s"] == pytest.approx(0.2)  # 0.5 s in, read from 0.3 s before
    assert first["until_s"] == pytest.approx(5.0)  # where the specialist's leg begins
    assert second["from_ms"] == 9000.0  # the new leg's media, not the REFER
    assert second["greeting_ms"] == 9800.0
    assert second["recording_s"] == pytest.approx(5.0 + 0.8 - 0.3)
    assert second["until_s"] == pytest.approx(5.5 + 10.0)


def test_a_person_who_said_nothing_has_no_greeting_to_read() -> None:
    rec = record(media(101.0, 0), down(110.0, 0))
    (only,) = persons(rec, answer=101.0, transfers=[], speech=[], t0=100.0)
    assert only["greeting_ms"] is None and only["recording_s"] is None


def test_a_transfer_on_the_same_leg_starts_the_next_person_at_its_evidence() -> None:
    rec = record(media(101.0, 0), speech(101.2, 103.0), speech(110.0, 113.0), down(120.0, 0))
    hold = {"kind": "hold", "at_ms": 5000.0, "evidence": [{"kind": "hold", "at_ms": 5000.0}]}
    found = persons(
        rec, answer=101.0, transfers=[hold], speech=[(101.2, 103.0), (110.0, 113.0)], t0=100.0
    )
    assert [p["greeting_ms"] for p in found] == [1200.0, 10000.0]
    assert found[0]["until_s"] == pytest.approx(4.0)  # the hold at 105.0 = 4 s in
    assert found[1]["recording_s"] == pytest.approx(9.0 - 0.3)


def test_an_unanswered_call_has_nobody() -> None:
    assert persons(record(down(130.0, 0)), answer=None, transfers=[], speech=[], t0=100.0) == []

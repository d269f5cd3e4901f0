"""Calls the organisation's side refuses, never answers, or answers with a tone."""

from __future__ import annotations

import pytest

from probe.scoring.names import Outcome
from tests.servers.sipp import Audio, Dial, Sipp

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


@pytest.mark.parametrize(
    ("code", "reason", "outcome"),
    [
        (486, "Busy Here", Outcome.BUSY),
        (600, "Busy Everywhere", Outcome.BUSY),
        (480, "Temporarily Unavailable", Outcome.NO_ANSWER),
        (404, "Not Found", Outcome.UNAVAILABLE),
        (484, "Address Incomplete", Outcome.UNAVAILABLE),
        (603, "Decline", Outcome.REJECTED),
    ],
)
async def test_a_final_response_after_ringing_gives_its_outcome_and_code(
    dial: Dial,
    code: int,
    reason: str,
    outcome: Outcome,
) -> None:
    org = Sipp("reject.xml", pause_ms=300, fill={"code": str(code), "reason": reason})
    result = await dial(org)
    assert result.outcome == outcome, result.details
    assert result.details["sip_code"] == code
    assert result.details["reason"] == reason
    assert result.error_class is None
    truth_ms = (org.sent_at(f"SIP/2.0 {code}") - org.sent_at("SIP/2.0 180")) * 1000.0
    assert abs(result.timings_ms["ring"] - truth_ms) <= 5.0, (result.timings_ms, truth_ms)
    assert "answer" not in result.timings_ms
    assert result.details["transfers"] == 0


async def test_a_server_error_is_our_failure_and_is_retried(
    dial: Dial,
) -> None:
    org = Sipp("reject.xml", fill={"code": "503", "reason": "Service Unavailable"})
    result = await dial(org)
    assert result.outcome == Outcome.FAILED
    assert result.error_class == "sip_server_error"
    assert result.details["sip_code"] == 503
    assert result.details["retry"] is True


async def test_ringing_past_the_ring_timeout_is_cancelled_as_no_answer(
    dial: Dial,
) -> None:
    org = Sipp("ring_forever.xml")
    result = await dial(org, ring_timeout_seconds=1.0)
    assert result.outcome == Outcome.NO_ANSWER, result.details
    assert result.details["sip_code"] == 487
    assert result.details["hangup"]["reason"] == "ring_timeout"
    # Ringing is measured up to our CANCEL: the ring timeout counts from the INVITE.
    assert 1000.0 - result.timings_ms["pdd"] - 25.0 <= result.timings_ms["ring"] <= 1030.0
    assert any(m.first_line.startswith("CANCEL") for m in org.log() if m.direction == "received")


async def test_a_special_information_tone_in_early_media_means_unavailable(
    dial: Dial,
    sipp_audio: Audio,
) -> None:
    org = Sipp(
        "early_reject.xml",
        pause_ms=3000,
        fill={"code": "480", "reason": "Temporarily Unavailable"},
        audio=sipp_audio["sit"],
    )
    result = await dial(org)
    assert result.outcome == Outcome.UNAVAILABLE, result.details
    assert result.details["sip_code"] == 480
    sit = [t for t in result.details["tones"] if t["kind"] == "sit"]
    assert len(sit) == 1 and sit[0]["early_media"] is True, result.details["tones"]
    # Three tones of 330 ms after 300 ms of silence.
    assert 800.0 <= sit[0]["end_ms"] - sit[0]["start_ms"] <= 1150.0

"""Outcome and timings of a call, decided from what the far end sent and what we did."""

from __future__ import annotations

import pytest

from adapters.sip.audio import Interval, analyse
from adapters.sip.outcome import Verdict, decide
from adapters.sip.record import CallRecord
from adapters.sip.result import listening
from adapters.sip.timeline import instants, timings_ms
from probe.scoring.names import Outcome
from tests.unit.sip_records import record, request, response, ringing, speech, tone


def verdict(rec: CallRecord, question: Interval | None = None) -> Verdict:
    """As the result builder decides: `question` is our prompt as it played."""
    i = instants(rec)
    heard = listening(rec, i, question=question, reply_wait=5.0)
    audio = analyse(rec, answer=i.answer, transfer_silence=5.0, heard=heard)
    return decide(rec, i, audio)


@pytest.mark.parametrize(
    ("code", "reason", "outcome"),
    [
        (486, "Busy Here", Outcome.BUSY),
        (600, "Busy Everywhere", Outcome.BUSY),
        (404, "Not Found", Outcome.UNAVAILABLE),
        (410, "Gone", Outcome.UNAVAILABLE),
        (484, "Address Incomplete", Outcome.UNAVAILABLE),
        (604, "Does Not Exist Anywhere", Outcome.UNAVAILABLE),
        (603, "Decline", Outcome.REJECTED),
        (487, "Request Terminated", Outcome.REJECTED),
        (480, "Temporarily Unavailable", Outcome.NO_ANSWER),
        (408, "Request Timeout", Outcome.NO_ANSWER),
    ],
)
def test_the_far_ends_final_response_decides_the_outcome(
    code: int, reason: str, outcome: Outcome
) -> None:
    result = verdict(record(*ringing(code, reason)))
    assert (result.outcome, result.error_class) == (outcome, None)


@pytest.mark.parametrize(
    ("code", "error_class", "retry"),
    [
        (503, "sip_server_error", True),
        (401, "sip_auth", False),
        (403, "sip_forbidden", False),
        (488, "sip_client_error", False),
    ],
)
def test_failures_that_are_ours_carry_an_error_class(
    code: int, error_class: str, retry: bool
) -> None:
    result = verdict(record(*ringing(code, "x")))
    assert (result.outcome, result.error_class, result.retry) == (
        Outcome.FAILED,
        error_class,
        retry,
    )


def test_our_cancel_at_the_ring_timeout_is_no_answer_not_the_487() -> None:
    rec = record(
        request(100.0, "INVITE"),
        response(100.02, 180, "Ringing"),
        request(130.0, "CANCEL"),
        response(130.002, 200, "OK", method="CANCEL"),
        response(130.003, 487, "Request Terminated"),
        hangup="ring_timeout",
    )
    assert verdict(rec).outcome == Outcome.NO_ANSWER
    assert timings_ms(instants(rec))["ring"] == pytest.approx(29980.0)


def test_an_announcement_in_early_media_before_our_cancel_is_unavailable() -> None:
    rec = record(
        request(100.0, "INVITE"),
        response(100.02, 183, "Session Progress"),
        speech(100.5, 102.5),
        request(130.0, "CANCEL"),
        response(130.003, 487, "Request Terminated"),
        hangup="ring_timeout",
    )
    assert verdict(rec).outcome == Outcome.UNAVAILABLE


def test_a_special_information_tone_beats_the_final_code() -> None:
    sit = [tone(100.1, 100.43, 950), tone(100.43, 100.76, 1400), tone(100.76, 101.09, 1800)]
    result = verdict(record(*ringing(480, "Temporarily Unavailable", at=102.0), *sit))
    assert result.outcome == Outcome.UNAVAILABLE


def test_no_response_at_all_is_our_timeout() -> None:
    result = verdict(record(request(100.0, "INVITE")))
    assert (result.outcome, result.error_class) == (Outcome.FAILED, "sip_timeout")


def test_a_worker_crash_is_our_failure_and_is_retried() -> None:
    rec = record(*ringing(200, "OK"))
    rec.crashed, rec.crash_detail = True, "call worker 42 exited with code -9"
    result = verdict(rec)
    assert (result.outcome, result.error_class, result.retry) == (
        Outcome.FAILED,
        "worker_crashed",
        True,
    )
    assert result.reason == "call worker 42 exited with code -9"


def test_a_call_the_worker_could_not_place_keeps_the_workers_reason() -> None:
    rec = CallRecord(job_id="j", uri="sip:x@127.0.0.1")
    rec.add({"ev": "end", "t": 1.0, "error_class": "sip_make_call", "error_detail": "Invalid URI"})
    result = verdict(rec)
    assert (result.outcome, result.error_class, result.reason) == (
        Outcome.FAILED,
        "sip_make_call",
        "Invalid URI",
    )


def test_an_answer_is_connected_and_every_phase_is_timed() -> None:
    rec = record(
        *ringing(200, "OK", at=100.720),
        request(100.721, "ACK"),
        speech(101.2, 103.0),
        request(102.720, "BYE", cseq=2),
        response(102.7215, 200, "OK", method="BYE", cseq=2),
        hangup="listen_time",
    )
    assert verdict(rec).outcome == Outcome.CONNECTED
    assert timings_ms(instants(rec)) == {
        "trying": 2.0,
        "pdd": 20.0,
        "ring": 700.0,
        "answer": 720.0,
        "first_speech": 480.0,
        "duration": 2000.0,
        "sdd": 1.5,
        "total": 2720.0,
    }


def test_a_release_by_the_far_end_right_after_the_answer_is_rejected() -> None:
    rec = record(
        *ringing(200, "OK"),
        request(101.5, "BYE", direction="RX", cseq=1),
    )
    assert verdict(rec).outcome == Outcome.REJECTED


# Issue 14: the regulation's greeting (organisation, position, full name) is 7-9 s of speech.
# An answering machine is told by what machines do, never by the length of what it says.
GREETING = speech(101.3, 110.3)  # 9 s without a pause
QUESTION = Interval(111.0, 118.5)  # our prompt, 7.5 s


def bye_from_them(t: float) -> dict:
    return request(t, "BYE", direction="RX", cseq=1)


def test_a_long_greeting_then_an_answer_to_our_question_is_a_person() -> None:
    rec = record(*ringing(200, "OK"), GREETING, speech(119.2, 125.0), hangup="listen_time")
    result = verdict(rec, QUESTION)
    assert (result.outcome, result.reason) == (Outcome.CONNECTED, "answered")


def test_a_long_greeting_alone_is_no_evidence_of_a_machine() -> None:
    # We hung up before our question could be answered: nothing tells a machine.
    rec = record(*ringing(200, "OK"), GREETING, request(112.0, "BYE", cseq=2))
    assert verdict(rec).outcome == Outcome.CONNECTED
    assert verdict(rec, QUESTION).outcome == Outcome.CONNECTED


def test_no_speech_in_answer_to_our_question_is_an_answering_machine() -> None:
    rec = record(*ringing(200, "OK"), GREETING, request(124.0, "BYE", cseq=2))
    result = verdict(rec, QUESTION)
    assert result.outcome == Outcome.ANSWERING_MACHINE
    assert result.reason == "no speech in answer to our question (5.5 s after it)"


def test_a_machine_talking_on_over_our_question_has_not_answered_it() -> None:
    rec = record(*ringing(200, "OK"), speech(101.3, 119.0), request(124.0, "BYE", cseq=2))
    assert verdict(rec, QUESTION).outcome == Outcome.ANSWERING_MACHINE


def test_a_silent_line_after_our_question_is_no_machine() -> None:
    rec = record(*ringing(200, "OK"), request(124.0, "BYE", cseq=2))
    assert verdict(rec, QUESTION).outcome == Outcome.CONNECTED


def test_a_far_end_hanging_up_as_its_message_ends_is_an_answering_machine() -> None:
    rec = record(*ringing(200, "OK"), GREETING, bye_from_them(111.5))
    result = verdict(rec)
    assert result.outcome == Outcome.ANSWERING_MACHINE
    assert result.reason == "the far end hung up 1.2 s after its message ended"


def test_a_short_hello_then_a_hang_up_is_no_machine() -> None:
    rec = record(*ringing(200, "OK"), speech(101.3, 102.5), bye_from_them(103.5))
    assert verdict(rec).outcome == Outcome.CONNECTED


def test_a_hang_up_after_answering_our_question_is_a_person() -> None:
    rec = record(*ringing(200, "OK"), GREETING, speech(119.0, 122.0), bye_from_them(122.5))
    assert verdict(rec, QUESTION).outcome == Outcome.CONNECTED


def test_a_hang_up_long_after_the_greeting_is_no_machine() -> None:
    # Hung up while our question played, 4 s after the greeting: a person, however rude.
    rec = record(*ringing(200, "OK"), GREETING, bye_from_them(114.3))
    assert verdict(rec, QUESTION).outcome == Outcome.CONNECTED


def test_a_transfer_that_leaves_the_call_is_no_hang_up() -> None:
    refer = {"ev": "leg", "t": 111.0, "kind": "refer", "from_leg": 0, "leg": 1, "target": "x"}
    rec = record(*ringing(200, "OK"), GREETING, refer, bye_from_them(111.4))
    assert verdict(rec).outcome == Outcome.CONNECTED


def test_a_beep_after_speech_is_an_answering_machine() -> None:
    rec = record(*ringing(200, "OK"), speech(101.3, 103.0), tone(103.5, 104.0, 1000))
    assert verdict(rec).reason == "a 1000 Hz beep after speech"


def test_a_steady_vowel_inside_a_persons_speech_is_no_beep() -> None:
    # A transferred call: the reception greets, then the specialist, whose voice holds a
    # 356 Hz vowel for 0.18 s mid-greeting (festival's voice in the sandbox, issue 18).
    rec = record(
        *ringing(200, "OK"),
        speech(101.8, 109.7),
        speech(111.7, 119.6),
        tone(116.4, 116.6, 356),
        hangup="listen_time",
    )
    assert verdict(rec).outcome == Outcome.CONNECTED
    # The same tone with the line silent after it is a beep after speech.
    rec = record(
        *ringing(200, "OK"), speech(101.8, 109.7), speech(111.7, 116.4), tone(116.4, 116.6, 356)
    )
    assert verdict(rec).reason == "a 356 Hz beep after speech"


def test_a_person_who_greets_briefly_is_connected() -> None:
    rec = record(*ringing(200, "OK"), speech(101.6, 103.5), speech(110.0, 112.0))
    assert verdict(rec).outcome == Outcome.CONNECTED

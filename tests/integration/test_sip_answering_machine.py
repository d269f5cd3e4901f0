"""Answering machines told apart from people by what machines do (issue 14).

The regulation's greeting (organisation, position, full name) is 7-9 s of speech: its length
is no evidence. A machine beeps after its message, does not answer our question, or hangs up
as its message ends; a person greets, waits while we ask and answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.sip.prompt import default_prompt, wav_seconds
from probe.scoring.names import Outcome
from tests.servers import speech
from tests.servers.sipp import Dial, Sipp

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)

# Our prompt begins 0.7 s after the far end stops speaking (plus the VAD's 0.3 s to notice).
PROMPT_DELAY = 1.0


@dataclass
class Voices:
    greeting: Path  # the regulation's full greeting, about 9 s
    answer: Path  # a person's answer to our question
    message: Path  # a recorded message, no beep
    question: Path  # a short question, for the machine cases (shorter calls)
    directory: Path


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Voices:
    speech.require_festival()
    d = tmp_path_factory.mktemp("voices")
    return Voices(
        greeting=speech.say(d / "greeting.wav", speech.FULL_GREETING, tempo=1.1),
        answer=speech.say(d / "answer.wav", speech.ANSWER),
        message=speech.say(d / "message.wav", speech.RECORDED_MESSAGE),
        question=speech.say(d / "question.wav", "Подскажите, как оформить уход на дому?"),
        directory=d,
    )


def speech_ms(result_details: dict) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in result_details["speech"]]


async def test_a_nine_second_full_greeting_then_an_answer_to_our_question_is_connected(
    dial: Dial, voices: Voices, phone_data_dir: Path
) -> None:
    asked = wav_seconds(default_prompt(phone_data_dir / "prompts"))  # the question we play
    d = voices.directory
    clip = speech.ulaw(
        d / "person.ulaw",
        [
            speech.silence(d / "lead.wav", 0.3),
            voices.greeting,
            # The person waits while our question plays, then answers it a second later.
            speech.silence(d / "wait.wav", PROMPT_DELAY + asked + 1.0),
            voices.answer,
            speech.silence(d / "tail.wav", 20.0),
        ],
    )
    greeting_s, answer_s = wav_seconds(voices.greeting), wav_seconds(voices.answer)
    listen = 0.3 + greeting_s + PROMPT_DELAY + asked + 1.0 + answer_s + 1.5
    org = Sipp("answer_wait.xml", pause_ms=300, audio=clip)
    result = await dial(org, listen_seconds=listen, prompt="default")

    details = result.details
    assert result.outcome == Outcome.CONNECTED, details
    assert details["answering_machine"] is False, details["answering_machine_reason"]
    assert (details["transfers"], details["transfer_class"]) == (0, "none"), details
    # What the heuristic heard (ms from the INVITE): a greeting of 8.5 s or more, our question
    # once it ended, then the answer.
    first = speech_ms(details)[0]
    assert first[1] - first[0] >= 8500, details["speech"]
    prompt_end = details["prompt_started_ms"] + asked * 1000
    assert first[1] < details["prompt_started_ms"] < first[1] + 1500, details
    assert any(start >= prompt_end for start, _ in speech_ms(details)), details["speech"]
    assert details["hangup"] == {"by": "us", "reason": "listen_time"}


async def test_a_recorded_message_then_no_answer_to_our_question_is_an_answering_machine(
    dial: Dial, voices: Voices
) -> None:
    d = voices.directory
    clip = speech.ulaw(
        d / "machine-silent.ulaw",
        [speech.silence(d / "lead.wav", 0.3), voices.message, speech.silence(d / "t.wav", 20.0)],
    )
    asked = wav_seconds(voices.question)
    listen = 0.3 + wav_seconds(voices.message) + PROMPT_DELAY + asked + 5.0 + 1.0
    org = Sipp("answer_wait.xml", pause_ms=200, audio=clip)
    result = await dial(org, listen_seconds=listen, prompt=str(voices.question))
    assert result.outcome == Outcome.ANSWERING_MACHINE, result.details
    assert result.details["outcome_reason"].startswith("no speech in answer to our question")
    assert result.details["transfers"] == 0


async def test_a_recorded_message_that_hangs_up_as_it_ends_is_an_answering_machine(
    dial: Dial, voices: Voices
) -> None:
    d = voices.directory
    clip = speech.ulaw(
        d / "machine-bye.ulaw", [speech.silence(d / "lead.wav", 0.3), voices.message]
    )
    audio_ms = int((0.3 + wav_seconds(voices.message) + 0.5) * 1000)
    org = Sipp("answer_play.xml", pause_ms=200, keys={"audio_ms": str(audio_ms)}, audio=clip)
    result = await dial(org, listen_seconds=20, prompt=str(voices.question))
    assert result.outcome == Outcome.ANSWERING_MACHINE, result.details
    assert result.details["hangup"]["by"] == "them"
    assert "hung up" in result.details["outcome_reason"], result.details["outcome_reason"]

"""Phone options and the dial plan: defaults, and the exact error for each bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from adapters.sip.config import Config, SipSettings, config_error_message
from adapters.sip.dialplan import DialPlanError, request_uri, uri_host
from adapters.sip.plugin import PhonePlugin
from probe.channels import ProbeContext, ProbeTarget
from probe.errors import OurSideError
from probe.results import CheckResult
from probe.scoring.names import Channel, Outcome
from probe.settings import Settings


def error_of(options: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(options)
    return config_error_message(caught.value)


def test_defaults_are_thirty_seconds_of_ringing_and_a_minute_of_listening() -> None:
    config = Config()
    assert (config.ring_timeout_seconds, config.listen_seconds, config.prompt) == (
        30,
        60,
        "default",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"listen_seconds": 601}, "listen_seconds: Input should be less than or equal to 600"),
        ({"listen_seconds": 0}, "listen_seconds: Input should be greater than 0"),
        (
            {"ring_timeout_seconds": 51},
            "ring_timeout_seconds: Input should be less than or equal to 50",
        ),
        ({"prompt": "/nonexistent/q.wav"}, "prompt: no such prompt file: /nonexistent/q.wav"),
        (
            {"sip_uri": "tel:+73812000000"},
            "sip_uri: not a SIP URI (sip:... or sips:...): 'tel:+73812000000'",
        ),
        ({"bogus": 1}, "bogus: Extra inputs are not permitted"),
        (
            {"reply_wait_seconds": 31},
            "reply_wait_seconds: Input should be less than or equal to 30",
        ),
        (
            # Issue 14: the length of a greeting is no evidence of a machine any more.
            {"machine_speech_seconds": 6},
            "options: machine_speech_seconds was removed: an answering machine is told by a "
            "beep, no reply to our question or a hang-up as its message ends (see "
            "reply_wait_seconds)",
        ),
        (
            {"dial_plan": "sip:{number}@{trunk}"},
            "dial_plan: unknown placeholder(s) {number} in dial plan 'sip:{number}@{trunk}'; "
            "known: {digits}, {e164}, {national}, {trunk}",
        ),
        (
            {"dial_plan": "8{national}@trunk"},
            "dial_plan: the dial plan must produce a SIP URI (sip:...): '8{national}@trunk'",
        ),
    ],
)
def test_bad_options_are_refused_with_an_exact_message(options: dict, message: str) -> None:
    assert error_of(options) == message


def test_a_prompt_that_is_not_a_wav_file_is_refused(tmp_path: Path) -> None:
    mp3 = tmp_path / "q.mp3"
    mp3.write_bytes(b"ID3")
    assert error_of({"prompt": str(mp3)}) == f"prompt: the prompt must be a WAV file: {mp3}"


def test_the_dial_plan_turns_an_e164_number_into_the_trunks_uri() -> None:
    assert request_uri("sip:8{national}@{trunk}", e164="+73812357000", trunk="pbx:5060") == (
        "sip:83812357000@pbx:5060"
    )
    assert request_uri("sip:{e164}@{trunk}", e164="+73812357000", trunk="t") == "sip:+73812357000@t"
    assert request_uri("sip:{digits}@h", e164="+73812357000", trunk=None) == "sip:73812357000@h"


def test_a_number_that_is_not_e164_is_refused() -> None:
    with pytest.raises(DialPlanError) as caught:
        request_uri("sip:{e164}@t", e164="83812357000", trunk="t")
    assert str(caught.value) == "not an E.164 number: '83812357000'"


def test_a_dial_plan_through_the_trunk_needs_a_trunk() -> None:
    with pytest.raises(OurSideError) as caught:
        request_uri("sip:{e164}@{trunk}", e164="+73812357000", trunk=None)
    assert caught.value.error_class == "sip_not_configured"


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("sip:org@127.0.0.1:5060;transport=tcp", "127.0.0.1"),
        ("sips:org@[::1]:5061", "::1"),
        ("<sip:specialist@pbx.example>", "pbx.example"),
        ("pbx.example:5060", "pbx.example"),
        ("sip:pbx.example", "pbx.example"),
    ],
)
def test_the_host_of_a_uri_is_what_the_network_guard_checks(uri: str, host: str) -> None:
    assert uri_host(uri) == host


async def _probe(
    tmp_path: Path, value: str = "+73812357000", extension: str | None = None, **sip: Any
) -> CheckResult:
    settings = Settings(data_dir=tmp_path, sip=SipSettings(**sip))
    target = ProbeTarget(
        check_id=1,
        channel=Channel.PHONE,
        value=value,
        extension=extension,
        options={"prompt": "none"},
    )
    context = ProbeContext(
        settings=settings, evidence_dir=tmp_path / "ev", log=structlog.get_logger()
    )
    return await PhonePlugin().probe(target, context)


async def test_without_a_trunk_the_check_fails_as_ours_before_any_call(tmp_path: Path) -> None:
    result = await _probe(tmp_path)
    assert result.outcome == Outcome.FAILED
    assert result.error_class == "sip_not_configured"
    assert result.error_detail == (
        "no SIP trunk configured: set PROBE_SIP__REGISTRAR (or call a SIP URI)"
    )


async def test_a_trunk_outside_loopback_is_refused_by_the_network_guard(tmp_path: Path) -> None:
    result = await _probe(tmp_path, registrar="192.0.2.10")
    assert result.error_class == "destination_refused"
    assert result.error_detail == (
        "destination '192.0.2.10' (192.0.2.10) is not loopback and PROBE_NETWORK=loopback: "
        "only 127.0.0.0/8 and ::1 may be reached"
    )


async def test_an_extension_that_is_not_dtmf_is_refused(tmp_path: Path) -> None:
    result = await _probe(tmp_path, extension="секретарь", registrar="127.0.0.1")
    assert result.error_class == "bad_phone_target"
    assert result.error_detail == "the extension must be DTMF digits (0-9 * # A-D): 'секретарь'"


async def test_bad_options_fail_the_check_with_the_exact_message(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    target = ProbeTarget(
        check_id=1, channel=Channel.PHONE, value="+73812357000", options={"listen_seconds": 900}
    )
    context = ProbeContext(settings=settings, evidence_dir=tmp_path, log=structlog.get_logger())
    result = await PhonePlugin().probe(target, context)
    assert result.outcome == Outcome.FAILED
    assert result.error_class == "bad_phone_options"
    assert result.error_detail == "listen_seconds: Input should be less than or equal to 600"

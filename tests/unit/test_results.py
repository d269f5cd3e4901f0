from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from probe.results import (
    CHANNEL_FAILURE_OUTCOMES,
    OUR_FAILURE_OUTCOMES,
    Channel,
    CheckResult,
    Outcome,
)


def test_an_outcome_of_the_other_channel_is_refused() -> None:
    with pytest.raises(ValidationError, match="outcome 'busy' does not belong to channel 'email'"):
        CheckResult(channel=Channel.EMAIL, outcome=Outcome.BUSY, started_at=datetime.now(UTC))


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        CheckResult(channel=Channel.PHONE, outcome=Outcome.BUSY, started_at=datetime(2026, 1, 9))


def test_instants_are_converted_to_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 5, 13, 14, 22, tzinfo=ZoneInfo("Asia/Omsk"))
    result = CheckResult(channel=Channel.PHONE, outcome=Outcome.CONNECTED, started_at=local)
    assert result.started_at == datetime(2026, 5, 13, 8, 22, tzinfo=UTC)
    assert result.started_at.tzinfo == UTC


def test_both_channels_vocabularies_are_complete() -> None:
    email = {"replied", "auto_replied", "bounced", "no_reply", "send_failed"}
    phone = {
        "connected",
        "busy",
        "no_answer",
        "unavailable",
        "rejected",
        "answering_machine",
        "failed",
    }
    assert email | phone <= {o.value for o in Outcome}


def test_a_final_result_needs_an_outcome_and_a_pending_one_may_wait() -> None:
    with pytest.raises(ValidationError, match="a final result needs an outcome"):
        CheckResult(channel=Channel.EMAIL, outcome=None, started_at=datetime.now(UTC))
    pending = CheckResult(
        channel=Channel.EMAIL, outcome=None, pending=True, started_at=datetime.now(UTC)
    )
    assert pending.outcome is None


def test_an_unknown_outcome_is_our_failure_but_says_nothing_about_the_channel() -> None:
    assert {Outcome.FAILED, Outcome.SEND_FAILED, Outcome.UNKNOWN} == OUR_FAILURE_OUTCOMES
    assert {Outcome.FAILED, Outcome.SEND_FAILED} == CHANNEL_FAILURE_OUTCOMES

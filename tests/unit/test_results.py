from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from probe.channels import channel_failure_outcomes, channel_spec, our_failure_outcomes
from probe.results import CheckResult
from probe.scoring.names import EMAIL_OUTCOMES, PHONE_OUTCOMES, Channel, Outcome


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
    # the plugins declare them; the protocol parts spell the same names
    assert email <= channel_spec(Channel.EMAIL).outcome_names <= EMAIL_OUTCOMES
    assert phone <= channel_spec(Channel.PHONE).outcome_names <= PHONE_OUTCOMES


def test_a_final_result_needs_an_outcome_and_a_pending_one_may_wait() -> None:
    with pytest.raises(ValidationError, match="a final result needs an outcome"):
        CheckResult(channel=Channel.EMAIL, outcome=None, started_at=datetime.now(UTC))
    pending = CheckResult(
        channel=Channel.EMAIL, outcome=None, pending=True, started_at=datetime.now(UTC)
    )
    assert pending.outcome is None


def test_an_unknown_outcome_is_our_failure_but_says_nothing_about_the_channel() -> None:
    assert {Outcome.FAILED, Outcome.SEND_FAILED, Outcome.UNKNOWN} == our_failure_outcomes()
    assert {Outcome.FAILED, Outcome.SEND_FAILED} == channel_failure_outcomes()


def test_a_follow_up_is_data_the_engine_creates_and_its_channel_declares_how_it_ends() -> None:
    """Issue 17 item 3: a final web result carries the questions to wait for; the web channel
    declares which of its outcomes the e-mail watcher gives them (read through the registry)."""
    from probe.channels import MailReply, mail_reply_channels, mail_reply_servers
    from probe.reference import find_token, reference_token
    from probe.results import FollowUp
    from probe.settings import Settings

    token = reference_token(Settings(), "web.7.1.3.https://x.ru/send")
    assert token == reference_token(Settings(), "web.7.1.3.https://x.ru/send")
    assert find_token(f"> Номер обращения: {token.lower()}") == token
    now = datetime.now(UTC)
    result = CheckResult(
        channel="web", outcome="site_checked", started_at=now, finished_at=now,
        follow_ups=[FollowUp(kind="question", started_at=now, details={"token": token})],
    )  # fmt: skip
    assert result.follow_ups[0].details["token"] == token
    with pytest.raises(ValueError, match="timezone-aware"):
        FollowUp(kind="question", started_at=datetime(2026, 1, 1))
    assert mail_reply_channels()["web"] == MailReply("question_answered", "question_unanswered")
    assert "email" not in mail_reply_channels()
    assert mail_reply_servers() == {"email"}  # its watcher and sweep end them

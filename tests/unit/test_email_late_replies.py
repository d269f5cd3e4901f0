"""Late replies count (issue 14): the working-day norm marks a reply late, the campaign's reply
window (30 days by default, law 59-FZ) decides whether a letter was answered, and a person's
answer after an auto-reply is the answer. Seed 000 counted replies after 6 and 8 working days
(rows 24 and 35) and graded them «удовлетворительно»: the grade is the operator's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from adapters.email import sweep_no_reply
from adapters.email.config import Config, config_from_spec
from adapters.email.imap import Fetched
from adapters.email.store import list_inbound
from probe.results import CheckStatus
from probe.scoring.names import Outcome
from schedules.spec import CampaignSpecError, parse_campaign
from storage.checks import list_events
from storage.engine import session_scope
from storage.models import Check
from tests.sinks import engine_sink, sweep_email
from tests.unit.test_email_ingest import reply, store, waiting_checks

OMSK = "Asia/Omsk"
# Past the 3-working-day norm whatever the calendar (the longest holiday run is 12 days), and
# inside the 30-day window.
AFTER_THE_NORM = timedelta(days=20)


def auto_reply(uid: int, message_id: str) -> Fetched:
    raw = (
        "From: info@org.ru\r\nSubject: Автоматический ответ: Вопрос\r\n"
        f"In-Reply-To: {message_id}\r\nAuto-Submitted: auto-replied (vacation)\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nВаше письмо получено.\r\n"
    ).encode()
    return Fetched(uid=uid, internaldate=datetime.now(UTC), size=len(raw), raw=raw)


def load(engine: Engine) -> Check:
    with session_scope(engine) as session:
        check = session.get(Check, 1)
        assert check is not None
        return check


def event_kinds(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [e.kind for e in list_events(session=session, check_id=1)]


def test_a_reply_after_the_norm_inside_the_window_is_replied_and_marked_late(
    engine: Engine, tmp_path: Path
) -> None:
    sent = datetime.now(UTC) - AFTER_THE_NORM
    [message_id] = waiting_checks(engine, 1, sent=sent)

    assert sweep_email(engine, now=datetime.now(UTC)) == 0  # the norm ends nothing
    assert load(engine).status == CheckStatus.WAITING.value
    [done] = store(engine, [reply(1, message_id)], tmp_path)

    assert done.action == "replied"
    check = load(engine)
    assert check.outcome == Outcome.REPLIED
    assert check.details["late"] is True
    assert datetime.fromisoformat(check.details["deadline_at"]) < datetime.now(UTC)
    assert abs(check.details["latency_hours"] - 20 * 24) < 0.1
    assert check.details["working_days"] >= 4  # 20 days hold at least 4 working days
    assert "suggested_grade" not in check.details and "in_time" not in check.details


def test_a_reply_within_the_norm_is_not_late(engine: Engine, tmp_path: Path) -> None:
    [message_id] = waiting_checks(engine, 1, sent=datetime.now(UTC) - timedelta(hours=2))
    store(engine, [reply(1, message_id)], tmp_path)
    check = load(engine)
    assert check.outcome == Outcome.REPLIED and check.details["late"] is False
    assert "suggested_grade" not in check.details


def test_a_persons_answer_after_an_auto_reply_is_the_answer(engine: Engine, tmp_path: Path) -> None:
    """Row 24 of seed 000: an auto-reply at once, the person's answer 6 working days later."""
    sent = datetime.now(UTC) - AFTER_THE_NORM
    [message_id] = waiting_checks(engine, 1, sent=sent)
    store(engine, [auto_reply(1, message_id)], tmp_path)
    assert load(engine).details["auto_reply_at"]

    assert sweep_email(engine, now=datetime.now(UTC)) == 0  # not auto_replied
    [done] = store(engine, [reply(2, message_id)], tmp_path)

    assert done.action == "replied"
    check = load(engine)
    assert check.outcome == Outcome.REPLIED and check.details["late"] is True
    assert abs(check.details["latency_hours"] - 20 * 24) < 0.1  # the answer's timing
    with session_scope(engine) as session:
        first, answer = list_inbound(session=session, check_id=1)
    assert (first.kind, answer.kind) == ("auto_reply", "human_reply")
    assert check.details["inbound_id"] == answer.id  # the answer's timing, not the auto-reply's
    assert [e["sha256"] for e in check.evidence] == [first.sha256, answer.sha256]  # both kept
    assert event_kinds(engine) == ["planned", "pending", "auto_reply", "result"]


def test_silence_is_no_reply_only_at_the_end_of_the_reply_window(engine: Engine) -> None:
    from adapters.email.timing import reply_window_end

    sent = datetime(2026, 4, 6, 4, 0, tzinfo=UTC)  # Monday 10:00 in Omsk
    waiting_checks(engine, 1, sent=sent)
    # The 30th calendar day after the day of sending ends at midnight in Omsk: 7 May 00:00.
    window_end = datetime(2026, 5, 7, tzinfo=ZoneInfo(OMSK))
    assert reply_window_end(sent_at=sent, days=30, tz=OMSK) == window_end

    assert (
        sweep_no_reply(
            engine=engine, sink=engine_sink(engine), now=window_end - timedelta(seconds=1)
        )
        == 0
    )
    assert sweep_email(engine, now=window_end) == 1

    check = load(engine)
    assert check.outcome == Outcome.NO_REPLY
    assert datetime.fromisoformat(check.details["reply_window_ends_at"]) == window_end
    # The norm's deadline is kept for the record: end of Thursday 9 April in Omsk.
    assert datetime.fromisoformat(check.details["deadline_at"]) == datetime(
        2026, 4, 10, tzinfo=ZoneInfo(OMSK)
    )
    assert "suggested_grade" not in check.details


def test_an_auto_reply_only_is_auto_replied_at_the_end_of_the_window(
    engine: Engine, tmp_path: Path
) -> None:
    sent = datetime.now(UTC) - AFTER_THE_NORM
    [message_id] = waiting_checks(engine, 1, sent=sent)
    store(engine, [auto_reply(1, message_id)], tmp_path)
    assert sweep_email(engine, now=datetime.now(UTC)) == 0
    assert sweep_email(engine, now=sent + timedelta(days=32)) == 1
    assert load(engine).outcome == Outcome.AUTO_REPLIED


def test_a_reply_after_the_window_is_kept_as_a_late_message_not_counted(
    engine: Engine, tmp_path: Path
) -> None:
    """The sweeper had not come round: the letter ends as no_reply at its window's end."""
    from adapters.email.timing import reply_window_end

    sent = datetime.now(UTC) - timedelta(days=40)
    [message_id] = waiting_checks(engine, 1, sent=sent)
    [done] = store(engine, [reply(1, message_id)], tmp_path)
    assert done.action == "late"
    check = load(engine)
    assert check.outcome == Outcome.NO_REPLY
    assert check.finished_at is not None
    assert check.finished_at.replace(tzinfo=UTC) == reply_window_end(sent_at=sent, days=30, tz=OMSK)
    assert event_kinds(engine) == ["planned", "pending", "result", "late_message"]


def test_the_campaign_sets_the_reply_window(engine: Engine, tmp_path: Path) -> None:
    spec = parse_campaign(
        {"name": "q", "organisations": {"all": True}, "channels": ["email"],
         "start": "2026-04-06", "end": "2026-04-17", "email": {"reply_window_days": 14}}
    ).model_dump(mode="json")  # fmt: skip
    assert config_from_spec(spec).reply_window_days == 14
    assert config_from_spec(None).reply_window_days == 30
    assert parse_campaign(
        {"name": "q", "organisations": {"all": True}, "channels": ["email"],
         "start": "2026-04-06", "end": "2026-04-17"}
    ).email.reply_window_days == 30  # fmt: skip


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ({"reply_window_days": 0}, "email.reply_window_days: Input should be greater than or "
         "equal to 1"),
        ({"reply_window_days": 91}, "email.reply_window_days: Input should be less than or "
         "equal to 90"),
        ({"reply_window_days": 2}, "email: reply_window_days (2) is shorter than "
         "deadline_working_days (3)"),
    ],
)  # fmt: skip
def test_a_bad_reply_window_is_refused_with_the_field_named(
    email: dict[str, int], message: str
) -> None:
    data = {"name": "q", "organisations": {"all": True}, "channels": ["email"],
            "start": "2026-04-06", "end": "2026-04-17", "email": email}  # fmt: skip
    with pytest.raises(CampaignSpecError) as caught:
        parse_campaign(data, source="q.yaml")
    assert caught.value.problems == [message]


def test_the_channel_options_refuse_a_window_shorter_than_the_norm_and_grade_rules() -> None:
    with pytest.raises(ValidationError, match=r"reply_window_days \(5\) is shorter than "):
        Config.model_validate({"reply_window_days": 5, "deadline_working_days": 6})
    # The grade by speed is gone: the grade is about the answer, and the operator's.
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Config.model_validate({"grade_rules": []})

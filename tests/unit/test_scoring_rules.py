"""Each verdict rule on its own, at its edges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from adapters.email.config import config_from_spec
from probe import ru
from probe.reviews import Transfers
from probe.scoring.indicator import indicator_1_2
from probe.scoring.names import Outcome
from probe.scoring.rules import (
    RULES,
    call_connected,
    call_group_key,
    counts_as_call,
    counts_as_letter,
    deadline_working_days,
    dial_note,
    effective_outcome,
    email_works,
    operator_channel,
    phone_works,
    reply_date,
    reply_working_days,
    sent_date,
    transfers_from_count,
)
from storage.models import Review


def _verdict(value: str, minute: int, review_id: int) -> Review:
    return Review(
        id=review_id,
        author="op",
        field="verdict",
        value=value,
        created_at=datetime(2025, 1, 1, 0, minute, tzinfo=UTC),
    )


def test_every_rule_has_a_unique_id_and_both_languages() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(r.ru and r.en for r in RULES)


def test_an_answering_machine_is_a_call_but_not_a_connection() -> None:
    assert counts_as_call("done", Outcome.ANSWERING_MACHINE)
    assert not call_connected([Outcome.ANSWERING_MACHINE])
    assert dial_note(Outcome.ANSWERING_MACHINE, None) == "автоответчик"


def test_asked_to_call_back_is_a_connection_noted_in_russian() -> None:
    assert call_connected([Outcome.CONNECTED])
    assert dial_note(Outcome.CONNECTED, "callback_requested") == "попросили перезвонить"
    assert dial_note(Outcome.CONNECTED, None) is None


@pytest.mark.parametrize(
    ("outcome", "note"),
    [
        (Outcome.BUSY, "занято"),
        (Outcome.NO_ANSWER, "не отвечает"),
        (Outcome.UNAVAILABLE, "номер недоступен"),
        (Outcome.REJECTED, "вызов сброшен"),
    ],
)
def test_each_failed_dial_gets_its_note(outcome: Outcome, note: str) -> None:
    assert dial_note(outcome, None) == note


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.UNKNOWN, None])
def test_our_side_failures_and_unfinished_checks_are_not_calls(outcome: Outcome | None) -> None:
    assert not counts_as_call("done", outcome)
    assert not counts_as_call("running", Outcome.CONNECTED)


def test_dials_of_one_logged_item_form_one_call_and_prober_checks_do_not() -> None:
    assert call_group_key(7, {"call_group": 2}) == call_group_key(8, {"call_group": 2})
    assert call_group_key(7, {}) != call_group_key(8, {})
    assert call_group_key(7, {"call_group": True}) == ("check", 7)


def test_a_transfer_then_a_drop_still_counts_as_once_transferred() -> None:
    assert transfers_from_count(1) is Transfers.ONCE
    assert transfers_from_count(0) is Transfers.NONE
    assert transfers_from_count(3) is Transfers.SEVERAL
    assert transfers_from_count("1") is None and transfers_from_count(-1) is None


def test_the_newest_valid_verdict_replaces_the_outcome() -> None:
    verdicts = [_verdict("no_answer", 1, 1), _verdict("connected", 2, 2)]
    assert effective_outcome("phone", "answering_machine", verdicts) == Outcome.CONNECTED
    assert effective_outcome("phone", "busy", [_verdict("confirmed", 3, 3)]) == Outcome.BUSY
    # "replied" is not a phone outcome: ignored, the automatic outcome stands.
    assert effective_outcome("phone", "busy", [_verdict("replied", 4, 4)]) == Outcome.BUSY


def test_a_bounced_letter_is_sent_but_never_answered() -> None:
    assert counts_as_letter("done", Outcome.BOUNCED)
    assert reply_date(Outcome.BOUNCED, datetime(2025, 1, 2, tzinfo=UTC), {}, "Asia/Omsk") is None
    assert not counts_as_letter("done", Outcome.SEND_FAILED)
    assert counts_as_letter("waiting", None)


def test_the_reply_date_is_the_local_date_of_replied_at() -> None:
    late_evening_utc = {"replied_at": "2025-03-03T20:30:00+00:00"}  # 02:30 next day in Omsk
    got = reply_date(Outcome.REPLIED, None, late_evening_utc, "Asia/Omsk")
    assert got == date(2025, 3, 4)
    assert reply_date(Outcome.REPLIED, None, {"replied_on": "2020-05-08"}, "Asia/Omsk") == date(
        2020, 5, 8
    )
    finished = datetime(2025, 3, 3, 17, 59, tzinfo=UTC)
    assert reply_date(Outcome.REPLIED, finished, {}, "Asia/Omsk") == date(2025, 3, 3)
    naive = {"replied_at": "2025-03-03T20:30:00"}
    assert reply_date(Outcome.REPLIED, finished, naive, "Asia/Omsk") == date(2025, 3, 3)


def test_the_send_date_prefers_the_recorded_day() -> None:
    started = datetime(2020, 5, 6, 18, 0, tzinfo=UTC)  # midnight of 7 May in Omsk
    assert sent_date(started, {}, "Asia/Omsk") == date(2020, 5, 7)
    assert sent_date(started, {"sent_on": "2020-05-06"}, "Asia/Omsk") == date(2020, 5, 6)


def test_a_channel_works_only_on_evidence() -> None:
    assert phone_works(4, 0) is False
    assert phone_works(0, 0) is None
    assert email_works(2, 1, 0) is True  # bounce, then a reply from the second address
    assert email_works(2, 0, 1) is None
    assert email_works(2, 0, 0) is False
    assert operator_channel("not_working") == (True, False)
    assert operator_channel(None) is None


@pytest.mark.parametrize(
    ("working", "points"),
    [
        ([True, True, False, False, False], 60),
        ([True, True, True, True, False], 100),
        ([True, True, True, True, True], 100),
        ([False] * 5, 0),
        ([True, True, True, True, None], 100),
        ([True, True, True, None, None], None),
    ],
)
def test_indicator_1_2_gives_30_per_working_channel_capped_at_100(working, points) -> None:
    assert indicator_1_2(working) == points


@pytest.mark.parametrize(
    ("spec", "norm"),
    [
        (None, 3),
        ({}, 3),
        ({"email": {"deadline_working_days": 5}}, 5),  # a bare spec, as tests and scripts write
        # schedules.spec.CampaignSpec: the channel options' norm, else the campaign's.
        ({"organisations": {}, "email": {"deadline_working_days": 4}}, 4),
        ({"options": {"email": {"deadline_working_days": 6}}}, 6),
        (
            {
                "options": {"email": {"deadline_working_days": 6}},
                "email": {"reply_window_days": 20},
            },
            6,
        ),
        (
            {
                "options": {"email": {"deadline_working_days": 6}},
                "email": {"deadline_working_days": 2},
            },
            6,
        ),
    ],
)
def test_the_campaigns_norm_is_read_where_the_email_channel_reads_it(spec, norm) -> None:
    # The engine may not import a channel: the same reading, checked against the channel's own.
    assert deadline_working_days(spec) == norm == config_from_spec(spec).deadline_working_days


def test_the_working_days_of_a_reply_are_read_only_for_a_reply() -> None:
    assert reply_working_days(Outcome.REPLIED, {"working_days": 8}) == 8
    assert reply_working_days(Outcome.REPLIED, {"working_days": 0}) == 0
    assert reply_working_days(Outcome.REPLIED, {}) is None
    assert reply_working_days(Outcome.REPLIED, {"working_days": True}) is None
    assert reply_working_days(Outcome.NO_REPLY, {"working_days": 8}) is None


def test_the_late_mark_and_the_reply_term_in_russian() -> None:
    assert ru.late_mark(3) == "(позже нормы в 3 раб. дн.)"
    assert ru.reply_term(late=True, working_days=8, norm=3) == (
        "ответ позже нормы: 8 раб. дн. при норме 3"
    )
    assert ru.reply_term(late=False, working_days=1, norm=3) == (
        "ответ в пределах нормы: 1 раб. дн. при норме 3"
    )
    # A record without the count (before it was kept), or a reply on a day off after the norm.
    assert ru.reply_term(late=True, working_days=None, norm=3) == "ответ позже нормы в 3 раб. дн."
    assert ru.reply_term(late=True, working_days=3, norm=3) == "ответ позже нормы в 3 раб. дн."
    note = ru.late_note(5)
    assert note.startswith("Отметка «(позже нормы в 5 раб. дн.)» при дате получения ответа")
    assert "от 01.02.2016 № 17-п" in note and "не позднее трех рабочих дней" in note


def test_a_forward_before_the_answer_reads_as_evidence_in_russian() -> None:
    forward = {"kind": "redirect", "at_ms": 412.3, "detail": "302 Moved Temporarily -> sip:b@x"}
    assert ru.forward_text(forward) == (
        "переадресация до ответа: перенаправление сетью — 302 Moved Temporarily -> sip:b@x, "
        "через 0,4 с после вызова"
    )
    assert ru.forward_text({"kind": "forwarded_181", "detail": "181 Call Is Being Forwarded"}) == (
        "переадресация до ответа: сеть сообщила о переадресации вызова (181) — "
        "181 Call Is Being Forwarded"
    )
    # A kind without a word is shown as recorded, never dropped.
    assert ru.forward_text({"kind": "new_kind"}) == "переадресация до ответа: new_kind"

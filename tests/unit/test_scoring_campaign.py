"""Per-organisation results of a campaign built from checks and reviews in storage."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from probe.scoring import score_campaign
from probe.scoring.names import Outcome
from tests.scoring_helpers import world


def test_answering_machine_and_busy_count_as_calls_without_a_connection(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.ANSWERING_MACHINE)
    w.check(phone, Outcome.BUSY, minutes=5)
    w.check(phone, Outcome.FAILED, minutes=6)  # our trunk: not held against them
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert (row.total_calls, row.connected_calls) == (2, 0)
    assert [d.note for c in row.calls for d in c.dials] == ["автоответчик", "занято"]
    assert row.etiquette.persons == () and [c.etiquette for c in row.calls] == [(), ()]


def test_asked_to_call_back_is_connected_and_noted(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.CONNECTED)
    w.review("call_note", "callback_requested", check=check)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.connected_calls == 1
    assert row.calls[0].dials[0].note == "попросили перезвонить"
    assert row.calls[0].dials[0].at.strftime("%d.%m.%Y %H.%M") == "03.03.2025 10.00"


def test_a_transfer_then_a_drop_is_a_connection_transferred_once(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED, details={"transfers": 1, "dropped": True})
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.table1[0]
    assert row.connected_calls == 1
    assert row.transfers.value == "once"
    assert row.transfers.source.startswith("измерено программой")
    assert {p.columns for p in score.pending if p.table == "Протокол 6, таблица 1"} == {
        "7-9",
        "13-16",
    }


def test_an_operator_review_beats_the_measured_transfers(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.CONNECTED, details={"transfers": 0})
    w.review("transfers", "several", check=check)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.transfers.value == "several"


def test_an_organisation_level_review_wins_over_a_newer_one_on_a_check(engine: Engine) -> None:
    session, w = world(engine)
    org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.CONNECTED)
    w.review("etiquette", "full", org=org)
    w.review("etiquette", "none", check=check)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.etiquette.persons == ("full",)
    assert row.etiquette.counts == {"7": 1, "8": 0, "9": 0}
    assert row.calls[0].etiquette == ("none",)  # the call keeps its own judgement


def test_an_organisation_grade_in_a_mixed_campaign_is_ambiguous_and_stays_pending(
    engine: Engine,
) -> None:
    session, w = world(engine)
    org, (phone, mail, _) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    w.check(mail, Outcome.REPLIED, finished_after=timedelta(hours=2))
    w.review("grade", "good", org=org)
    score = score_campaign(session=session, campaign=w.campaign)
    assert score.table1[0].grade.value is None and score.table2[0].grade.value is None
    assert {"13-16", "6-9"} <= {p.columns for p in score.pending}


def test_an_organisation_grade_in_a_phone_campaign_grades_table_1(engine: Engine) -> None:
    session, w = world(engine, channels=("phone",))
    org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    w.review("grade", "good", org=org)
    assert score_campaign(session=session, campaign=w.campaign).table1[0].grade.value == "good"


def test_a_bounce_then_a_reply_from_the_second_address(engine: Engine) -> None:
    session, w = world(engine)
    _org, (_, first, second) = w.organisation()
    w.check(first, Outcome.BOUNCED, finished_after=timedelta(minutes=1))
    replied = w.check(
        second, Outcome.REPLIED, minutes=30, details={"replied_at": "2025-03-04T05:00:00+00:00"}
    )
    w.review("grade", "excellent", check=replied)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.table2[0]
    assert [(x.addresses, x.state) for x in row.letters] == [
        ((first.value,), "no_reply"),
        ((second.value,), "replied"),
    ]
    assert str(row.replied) == "2025-03-04" and row.grade.value == "excellent"
    assert score.protocol5[0].email.working is True


def test_a_letter_awaiting_its_reply_is_pending_not_no(engine: Engine) -> None:
    session, w = world(engine)
    _org, (_, mail, _) = w.organisation()
    w.check(mail, None, pending=True)
    score = score_campaign(session=session, campaign=w.campaign)
    assert score.table2[0].letters[0].state == "awaiting"
    assert score.protocol5[0].email.working is None
    assert any(p.what == "ожидается ответ на письмо" for p in score.pending)


def test_a_verdict_turns_an_answering_machine_into_a_connection(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.ANSWERING_MACHINE)
    w.review("verdict", "connected", check=check)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.connected_calls == 1


def test_protocol_5_and_indicator_from_checks_and_operator_fields(engine: Engine) -> None:
    session, w = world(engine)
    org, (phone, mail, _) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    w.check(mail, Outcome.REPLIED, finished_after=timedelta(hours=1))
    for field, value in (("web_form", "working"), ("faq", "absent"), ("survey", "not_working")):
        w.review(field, value, org=org)
    row = score_campaign(session=session, campaign=w.campaign).protocol5[0]
    assert (row.web_form.present, row.web_form.working) == (True, True)
    assert (row.faq.present, row.faq.working) == (False, False)
    assert (row.survey.present, row.survey.working) == (True, False)
    assert row.indicator_1_2 == 90


def test_nothing_judged_means_empty_columns_listed_as_pending(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.table1[0]
    assert (row.transfers.value, row.grade.value) == (None, None)
    assert row.etiquette.persons == (None,)  # the one who picked up, not judged
    phone_pending = {p.columns for p in score.pending if p.table == "Протокол 6, таблица 1"}
    assert phone_pending == {"7-9", "10-12", "13-16"}
    assert score.protocol5[0].indicator_1_2 is None


def test_each_person_who_answered_a_transferred_call_is_judged(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.CONNECTED, details={"transfers": 1})
    score = score_campaign(session=session, campaign=w.campaign)
    assert score.table1[0].calls[0].etiquette == (None, None)  # who picked up + the specialist
    assert "7-9" in {p.columns for p in score.pending}
    w.review("etiquette", "organisation_only,none", check=check)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.table1[0]
    assert row.calls[0].etiquette == ("organisation_only", "none")
    assert row.etiquette.counts == {"7": 0, "8": 1, "9": 1}
    assert "7-9" not in {p.columns for p in score.pending}


def test_every_connected_call_adds_its_persons_to_the_organisations_marks(engine: Engine) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    first = w.check(phone, Outcome.CONNECTED)
    w.check(phone, Outcome.BUSY, minutes=5)
    third = w.check(phone, Outcome.CONNECTED, minutes=10, details={"transfers": 2})
    w.review("etiquette", "full", check=first)
    w.review("etiquette", "none,,full", check=third)  # the first specialist not judged yet
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.table1[0]
    assert [c.etiquette for c in row.calls] == [("full",), (), ("none", None, "full")]
    assert row.etiquette.counts == {"7": 2, "8": 0, "9": 1} and row.etiquette.unjudged == 1
    waiting = [p.what for p in score.pending if p.columns == "7-9"]
    assert waiting == ["этикет не оценён у 1 из 4 ответивших"]


def test_an_operators_transfers_review_sets_how_many_persons_await_judgement(
    engine: Engine,
) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    check = w.check(phone, Outcome.CONNECTED, details={"transfers": 0})
    w.review("transfers", "once", check=check)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.calls[0].etiquette == (None, None)


def test_a_late_reply_is_a_reply_marked_late_and_the_channel_works(engine: Engine) -> None:
    """Seed 000 row 35: answered 8 working days after the letter, counted, e-mail «да»."""
    session, w = world(engine)
    _org, (_, mail, _) = w.organisation()
    late = {"replied_at": "2025-03-14T05:00:00+00:00", "working_days": 8, "late": True}
    w.check(mail, Outcome.REPLIED, finished_after=timedelta(days=10), details=late)
    score = score_campaign(session=session, campaign=w.campaign)
    [letter] = score.table2[0].letters
    assert (letter.state, letter.late, str(letter.replied)) == ("replied", True, "2025-03-14")
    assert score.protocol5[0].email.working is True


def test_a_reply_in_time_or_none_at_all_is_not_marked_late(engine: Engine) -> None:
    session, w = world(engine)
    _org, (_, first, second) = w.organisation()
    w.check(first, Outcome.REPLIED, finished_after=timedelta(hours=2), details={"late": False})
    # Recorded before `late` existed: `in_time: false` says the same.
    w.check(second, Outcome.REPLIED, minutes=5, details={"in_time": False})
    w.check(second, Outcome.NO_REPLY, minutes=10, details={"late": True})
    letters = score_campaign(session=session, campaign=w.campaign).table2[0].letters
    assert [(x.state, x.late) for x in letters] == [
        ("replied", False),
        ("replied", True),
        ("no_reply", False),
    ]


def test_a_number_marked_wrong_after_its_calls_stays_the_number_called(engine: Engine) -> None:
    from storage.corrections import correct_contact

    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.NO_ANSWER)
    w.check(phone, Outcome.BUSY, minutes=30)
    correct_contact(
        session=session, contact=phone, kind="wrong", raw="8 (3812) 99-99-99",
        value="+73812999999", extension=None, actor="operator", reason="на сайте другой",
    )  # fmt: skip
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.numbers_called == ["8 (3812) 20-00-01"]
    assert {d.number for c in row.calls for d in c.dials} == {"8 (3812) 20-00-01"}


def test_the_number_that_replaced_a_wrong_one_is_listed_once_it_is_called(
    engine: Engine,
) -> None:
    from storage.corrections import correct_contact

    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.NO_ANSWER)
    new, _ = correct_contact(
        session=session, contact=phone, kind="wrong", raw="8 (3812) 99-99-99",
        value="+73812999999", extension=None, actor="operator", reason="на сайте другой",
    )  # fmt: skip
    w.check(new, Outcome.CONNECTED, minutes=60)
    row = score_campaign(session=session, campaign=w.campaign).table1[0]
    assert row.numbers_called == ["8 (3812) 20-00-01", "8 (3812) 99-99-99"]

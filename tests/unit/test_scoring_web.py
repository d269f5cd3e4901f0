"""Protocol 5 columns 7-12 and indicator 1.2 from the web check (rule R15), with the operator's
review still winning (R13). Web checks are built as the web channel records them (channel
"web", outcomes site_checked / site_unreachable, details per service)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.scoring import score_campaign
from probe.scoring.model import ChannelState, Protocol5Row
from probe.scoring.names import Outcome
from probe.scoring.rules import RULES_BY_ID, site_error_ru, site_verdict
from storage.models import Check, Contact, Organisation
from tests.scoring_helpers import T0, World, world

CHANNELS = ("phone", "email", "web")


def service(present: bool | None, working: bool | None, needed: str | None = None) -> dict:
    return {"present": present, "working": working, "operator_needed": needed, "evidence": []}


def checked(
    form: dict | None = None, faq: dict | None = None, survey: dict | None = None
) -> dict[str, Any]:
    return {
        "url": "https://kcson.example.org/",
        "web_form": form or service(True, True),
        "faq": faq or service(True, True),
        "survey": survey or service(True, True),
        "phones": [],
        "emails": [],
        "pages_fetched": 4,
        "pages_rendered": 0,
        "robots_disallowed": [],
        "site_error": None,
    }


def site(session: Session, org: Organisation) -> Contact:
    assert org.id is not None
    contact = Contact(
        organisation_id=org.id,
        channel="web",
        key=f"https://kcson{org.id}.example.org/",
        raw=f"kcson{org.id}.example.org",
        value=f"https://kcson{org.id}.example.org/",
    )
    session.add(contact)
    session.flush()
    return contact


def web_check(
    w: World,
    contact: Contact,
    outcome: str | None,
    details: dict[str, Any] | None = None,
    *,
    status: str = "done",
    minutes: int = 0,
) -> Check:
    started = T0 + timedelta(minutes=minutes)
    check = Check(
        campaign_id=w.campaign.id,
        organisation_id=contact.organisation_id,
        contact_id=contact.id or 0,
        channel="web",
        status=status,
        outcome=outcome,
        started_at=started if status != "planned" else None,
        finished_at=started + timedelta(seconds=20) if status == "done" else None,
        planned_at=started,
        details=details or {},
    )
    w.session.add(check)
    w.session.flush()
    return check


def answered_centre(w: World) -> tuple[Organisation, Contact]:
    """A centre whose phone connected and whose letter was answered: 60 points before the web."""
    org, (phone, mail, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    w.check(mail, Outcome.REPLIED, finished_after=timedelta(hours=3))
    return org, site(w.session, org)


def states(row: Protocol5Row) -> list[tuple[bool | None, bool | None]]:
    return [(s.present, s.working) for s in (row.web_form, row.faq, row.survey)]


def p5_pending(score: Any) -> dict[str, Any]:
    return {p.columns: p for p in score.pending if p.table == "Протокол 5, таблица 1"}


def test_a_site_with_all_three_working_scores_100_without_a_human(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    web_check(w, contact, "site_checked", checked())
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    assert states(row) == [(True, True)] * 3
    assert row.indicator_1_2 == 100
    assert p5_pending(score) == {}
    assert score.audit[-1].counted == "проверка сайта (R15)"


def test_absent_and_not_working_services_are_judged_and_the_indicator_follows(
    engine: Engine,
) -> None:
    session, w = world(engine, channels=CHANNELS)
    org, (phone, mail, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    w.check(mail, Outcome.NO_REPLY)
    contact = site(session, org)
    # The form's submit answers 500; no FAQ; a survey link.
    details = checked(form=service(True, False), faq=service(False, None))
    web_check(w, contact, "site_checked", details)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    assert states(row) == [(True, False), (False, False), (True, True)]
    assert row.indicator_1_2 == 60  # phone and survey
    assert p5_pending(score) == {}


def test_a_captcha_leaves_working_to_the_operator_with_the_reason(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    org, (phone, mail, *_) = w.organisation()
    w.check(phone, Outcome.NO_ANSWER)
    w.check(phone, Outcome.NO_ANSWER, minutes=30)
    w.check(phone, Outcome.NO_ANSWER, minutes=60)
    w.check(mail, Outcome.NO_REPLY)
    contact = site(session, org)
    check = web_check(w, contact, "site_checked", checked(form=service(True, None, "captcha")))
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    assert states(row)[0] == (True, None)
    # FAQ and survey work (60); the form could bring 30 more: pending.
    assert row.indicator_1_2 is None
    waiting = p5_pending(score)["8"]
    assert waiting.rule == "R13"
    assert "форма защищена капчей: решает оператор" in waiting.what
    assert f"проверка {check.id}" in waiting.what
    # The operator's review on the web check decides; the indicator is then computed.
    w.review("web_form", "working", check=check)
    row = score_campaign(session=session, campaign=w.campaign).protocol5[0]
    assert states(row)[0] == (True, True)
    assert row.indicator_1_2 == 90


def test_the_operator_overturns_the_checks_verdict(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    org, contact = answered_centre(w)
    check = web_check(w, contact, "site_checked", checked())
    w.review("faq", "absent", check=check)  # the "FAQ" was a news page
    w.review("survey", "not_working", org=org)
    row = score_campaign(session=session, campaign=w.campaign).protocol5[0]
    assert states(row) == [(True, True), (False, False), (True, False)]
    assert row.indicator_1_2 == 90


def test_the_newest_review_wins_whether_on_the_check_or_the_organisation(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    org, contact = answered_centre(w)
    check = web_check(w, contact, "site_checked", checked())
    w.review("faq", "absent", org=org)
    w.review("faq", "working", check=check)
    row = score_campaign(session=session, campaign=w.campaign).protocol5[0]
    assert (row.faq.present, row.faq.working) == (True, True)


def test_an_unreachable_site_after_every_attempt_waits_for_the_operator(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    down = {**checked(), "site_error": "certificate expired"}
    for key in ("web_form", "faq", "survey"):
        down[key] = service(None, None)
    web_check(w, contact, "site_unreachable", down)
    web_check(w, contact, "site_unreachable", down, minutes=60)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    assert states(row) == [(None, None)] * 3
    # Phone and e-mail give 60: the three unknown channels could reach 100.
    assert row.indicator_1_2 is None
    pending = p5_pending(score)
    assert set(pending) == {"7-8", "9-10", "11-12"}
    assert all(p.rule == "R13" for p in pending.values())
    assert "сайт недоступен после всех попыток (просроченный сертификат)" in pending["9-10"].what


def test_an_unreachable_site_with_a_retry_planned_waits_for_the_check(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    web_check(w, contact, "site_unreachable", {"site_error": "timeout"})
    web_check(w, contact, None, status="planned", minutes=30)
    pending = p5_pending(score_campaign(session=session, campaign=w.campaign))
    assert pending["7-8"].rule == "R15"
    assert "проверка повторится" in pending["7-8"].what


def test_a_later_success_replaces_an_earlier_failure_and_our_failures_do_not_count(
    engine: Engine,
) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    web_check(w, contact, "site_unreachable", {"site_error": "connection refused"})
    web_check(w, contact, "site_checked", checked(faq=service(False, None)), minutes=30)
    web_check(w, contact, "failed", {}, minutes=60)  # ours: a browser crash
    score = score_campaign(session=session, campaign=w.campaign)
    assert states(score.protocol5[0])[1] == (False, False)
    assert [a.counted for a in score.audit if a.channel == "web"] == [
        "проверка сайта (R15)",
        "проверка сайта (R15)",
        "не учитывается (R15)",
    ]


def test_a_site_not_checked_yet_waits_for_the_check(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    web_check(w, contact, "failed", {})
    pending = p5_pending(score_campaign(session=session, campaign=w.campaign))
    assert pending["11-12"].rule == "R15"
    assert pending["11-12"].what.startswith("сайт не проверен")


def test_no_website_in_the_directory_leaves_the_columns_to_the_operator(engine: Engine) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    pending = p5_pending(score_campaign(session=session, campaign=w.campaign))
    assert pending["7-8"].rule == "R13"
    assert "адрес сайта не указан в справочнике" in pending["7-8"].what


def test_a_campaign_without_the_web_channel_keeps_the_operator_only_columns(
    engine: Engine,
) -> None:
    session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.CONNECTED)
    pending = p5_pending(score_campaign(session=session, campaign=w.campaign))
    assert pending["7-8"].what == "электронные сервисы не проверены"
    assert pending["7-8"].rule == "R13"


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (service(True, True), ChannelState(True, True)),
        (service(True, False), ChannelState(True, False)),
        (service(False, None), ChannelState(False, False)),
        (service(True, None, "login"), ChannelState(True, None)),
        (service(None, None), ChannelState(None, None)),  # presence not established
        (service(None, None, "robots"), ChannelState(None, None)),  # robots.txt closes the site
        ({"present": "yes"}, ChannelState(None, None)),  # not a flag: never guessed
    ],
)
def test_site_verdict_per_service(found: dict, expected: ChannelState) -> None:
    verdict = site_verdict("site_checked", {"faq": found}, "faq", retry_planned=False)
    assert ChannelState(verdict.present, verdict.working) == expected
    assert (verdict.awaits is None) == (expected.working is not None)


def test_the_rule_text_exists_in_both_languages() -> None:
    rule = RULES_BY_ID["R15"]
    assert "капчей" in rule.ru and "CAPTCHA" in rule.en


def test_the_xlsx_shows_columns_7_to_12_and_the_indicator_from_the_site(
    engine: Engine, tmp_path: Any
) -> None:
    from openpyxl import load_workbook

    from probe.export import export_campaign

    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    web_check(w, contact, "site_checked", checked(form=service(True, False)))
    _org2, contact2 = answered_centre(w)
    web_check(w, contact2, "site_unreachable", {"site_error": "timeout"})
    web_check(w, contact2, None, status="planned", minutes=30)
    _org3, contact3 = answered_centre(w)
    web_check(w, contact3, "site_checked", checked(survey=service(True, None, "login")))
    session.commit()
    path = export_campaign(engine=engine, campaign="spring", fmt="xlsx", out=tmp_path / "p.xlsx")
    rows = [
        r[2:13]
        for r in load_workbook(path)["Протокол 5 табл. 1"].iter_rows(values_only=True)
        if isinstance(r[0], int)
    ]
    assert rows[0] == ("да", "да", "да", "да", "да", "нет", "да", "да", "да", "да", 100)
    # A pending pair is one merged cell with the word; the indicator waits.
    waits = ("ожидает проверки", None)
    assert rows[1][4:] == (*waits, *waits, *waits, "ожидает оценки")
    # Presence found, working left to the operator (a login wall): only column 12 waits.
    assert rows[2][4:] == ("да", "да", "да", "да", "да", "ожидает оценки", 100)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("certificate expired", "просроченный сертификат"),
        ("SSL: CERTIFICATE_VERIFY_FAILED", "ошибка защищённого соединения"),
        ("[Errno -2] Name or service not known", "адрес сайта не найден"),
        ("HTTP 503", "сервер ответил ошибкой 503"),
        ("ReadTimeout", "истекло время ожидания"),
        ("connection refused", "нет соединения с сайтом"),
        (None, "ошибка сайта"),
    ],
)
def test_a_sites_failure_is_named_in_russian(reason: str | None, words: str) -> None:
    assert site_error_ru(reason) == words


def test_an_absent_service_on_a_page_the_browser_could_not_open_is_the_operators(
    engine: Engine,
) -> None:
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    details = {**checked(form=service(False, False)), "render_error": "TimeoutError: Page.goto"}
    check = web_check(w, contact, "site_checked", details)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    # The form may be one a script inserts: not «нет»; FAQ and survey were found all the same.
    assert states(row) == [(None, None), (True, True), (True, True)]
    assert row.indicator_1_2 == 100
    waiting = p5_pending(score)["7-8"]
    assert waiting.rule == "R13"
    assert waiting.what == (
        "страница не открылась в браузере, отсутствие не установлено: решает оператор "
        f"(проверка {check.id})"
    )


def test_a_test_questions_follow_ups_neither_hold_nor_replace_the_site_check(
    engine: Engine,
) -> None:
    """Issue 17 item 3: the questions asked through the form wait for their answers as checks
    of their own; columns 7-12 are the site check's at once."""
    session, w = world(engine, channels=CHANNELS)
    _org, contact = answered_centre(w)
    site_check = web_check(w, contact, "site_checked", checked(form=service(True, True)))
    follow = {"follow_up": "question", "follow_up_of": site_check.id, "token": "PRB-ABCDEFGH"}
    web_check(w, contact, "question_answered", {**follow, "working_days": 2}, minutes=1)
    web_check(w, contact, None, follow, status="waiting", minutes=2)
    score = score_campaign(session=session, campaign=w.campaign)
    row = score.protocol5[0]
    assert states(row) == [(True, True)] * 3
    assert row.indicator_1_2 == 100
    assert p5_pending(score) == {}
    assert [a.counted for a in score.audit if a.channel == "web"] == [
        "проверка сайта (R15)",
        "не учитывается (R15)",
        "не учитывается (R15)",
    ]

"""The channels' options a YAML campaign file sets (the letter sent, the call's timings and
recording) set from the browser's form «Новая кампания», over HTTP on a real server: stored in
the campaign's spec as the file would store them, a bad value refused in Russian on its field
with the input kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.engine import Engine
from sqlmodel import select

from probe.web import campaign_form
from storage.engine import session_scope
from storage.models import Campaign
from tests.integration.test_web_support import (
    WebServer,
    _accounts,
    logged_in,
    make_settings,
    running_server,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def server(engine: Engine, sqlite_url: str, tmp_path: Path) -> Iterator[WebServer]:
    with session_scope(engine) as db:
        _accounts(db)
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=engine, settings=settings)


def _form(token: str, **changes: str) -> dict[str, str | list[str]]:
    values = {
        **campaign_form.defaults(),
        "csrf_token": token,
        "name": "omsk-q3",
        "start": "2026-07-06",
        "end": "2026-07-17",
        "org_mode": "all",
        **changes,
    }
    unticked = [k for k, v in values.items() if k in dict(campaign_form.switches()) and not v]
    form: dict[str, str | list[str]] = {k: v for k, v in values.items() if k not in unticked}
    return {**form, "channels": ["phone", "email"]}


def test_the_letter_and_the_calls_options_are_set_from_the_form(
    server: WebServer, engine: Engine
) -> None:
    admin, token = logged_in(server, "admin")
    page = LexborHTMLParser(admin.get("/campaigns/new").text)
    options = page.css_first("#channel-options")
    assert options is not None
    labels = [" ".join(label.text().split()) for label in options.css("label")]
    assert labels[0].startswith("Письмо (тема) Вопрос о ежемесячной выплате на ребёнка")
    assert labels[1:] == [
        "Ждать ответа на звонок (с)",
        "Оставаться на линии после ответа (с)",
        "Имя отправителя письма",
        "Паузы перед новой отправкой, если почтовый сервер временно отказал (с, через запятую)",
        "Записывать разговор",
    ]
    chosen = page.css_first("select[name='options.email.template'] option[selected]")
    assert chosen is not None and chosen.attributes["value"] == "benefits"

    bad = admin.post(
        "/campaigns/new",
        data=_form(
            token,
            **{"options.phone.ring_timeout_seconds": "0", "options.phone.listen_seconds": "x"},
        ),
    )
    assert bad.status_code == 400
    errors = {
        e.attributes["data-field"]: e.text() for e in LexborHTMLParser(bad.text).css(".field-error")
    }
    assert errors == {
        "options.phone.ring_timeout_seconds": "Больше 0.",
        "options.phone.listen_seconds": "Введите число.",
    }
    kept = LexborHTMLParser(bad.text).css_first("input[name='options.phone.listen_seconds']")
    assert kept is not None and kept.attributes["value"] == "x"

    made = admin.post(
        "/campaigns/new",
        data=_form(
            token,
            **{
                "options.email.template": "large_family",
                "options.phone.listen_seconds": "45",
                "options.phone.record": "",
            },
        ),
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    with session_scope(engine) as db:
        campaign = db.exec(select(Campaign).where(Campaign.name == "omsk-q3")).one()
        assert campaign.spec["options"] == {
            "email": {"template": "large_family"},
            "phone": {"listen_seconds": 45.0, "record": False},
        }


def test_the_calls_other_rules_and_the_letters_sender_are_set_from_the_form(
    server: WebServer, engine: Engine
) -> None:
    admin, token = logged_in(server, "admin")
    page = LexborHTMLParser(admin.get("/campaigns/new").text)
    boxes = page.css("[data-list='calls.next_number_after'] input[type=checkbox]")
    assert [(b.attributes["value"], "checked" in b.attributes) for b in boxes] == [
        (outcome, True)
        for outcome in ("busy", "no_answer", "unavailable", "rejected", "answering_machine")
    ]
    sender = page.css_first("input[name='options.email.sender_name']")
    assert sender is not None and sender.attributes["value"] == "Ирина Петрова"
    letter_retry = page.css_first("input[name='email.our_failure_retry_minutes']")
    assert letter_retry is not None and letter_retry.attributes["value"] == "10"
    assert letter_retry.parent is not None
    assert " ".join(letter_retry.parent.text().split()) == (
        "Сбой на нашей стороне: повтор письма через (мин)"
    )

    typed = {
        "calls.rejected_retry_minutes.0": "5",
        "calls.rejected_retry_minutes.1": "15",
        "calls.our_failure_retry_minutes": "7",
        "email.our_failure_retry_minutes": "25",
        "options.email.sender_name": "Анна Смирнова",
        "options.email.retry_delays": "60, 300",
    }
    bad = admin.post(
        "/campaigns/new",
        data={
            **_form(token, **{**typed, "options.email.retry_delays": "60, -1"}),
            "calls.next_number_after": ["busy", "hung_up"],
        },
    )
    assert bad.status_code == 400
    shown = LexborHTMLParser(bad.text)
    errors = {e.attributes["data-field"]: e.text() for e in shown.css(".field-error")}
    assert errors == {
        "options.email.retry_delays": "Паузы не могут быть отрицательными.",
        "calls.next_number_after": "Выберите из списка.",
    }
    kept = {
        path: node.attributes["value"]
        for path in typed
        if (node := shown.css_first(f"input[name='{path}']")) is not None
    }
    assert kept == {**typed, "options.email.retry_delays": "60, -1"}
    ticked = shown.css("[data-list='calls.next_number_after'] input[checked]")
    assert [b.attributes["value"] for b in ticked] == ["busy"]

    made = admin.post(
        "/campaigns/new",
        data={**_form(token, **typed), "calls.next_number_after": ["busy", "rejected"]},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    with session_scope(engine) as db:
        spec = db.exec(select(Campaign).where(Campaign.name == "omsk-q3")).one().spec
    assert spec["options"] == {
        "email": {"sender_name": "Анна Смирнова", "retry_delays": [60.0, 300.0]}
    }
    assert spec["calls"]["rejected_retry_minutes"] == [5, 15]
    assert spec["calls"]["our_failure_retry_minutes"] == 7
    assert spec["calls"]["next_number_after"] == ["busy", "rejected"]
    assert spec["email"]["our_failure_retry_minutes"] == 25
    # The campaign's page says them, in the calls' own lines (adapters' `summary`).
    assert _calls_rules(admin, made.headers["location"]) == {
        "«Вызов отклонён»": "повтор через 5 мин – 15 мин",
        "Другой номер организации": "сразу после: «занято», «вызов отклонён»",
        "Сбой на нашей стороне": "повтор звонка через 7 мин",
    }
    # Both ends of the dropped call's retry blank and no box ticked: never that number again,
    # the next number only in its turn.
    never = admin.post(
        "/campaigns/new",
        data={
            **_form(
                token,
                name="omsk-q3-never",
                **{"calls.rejected_retry_minutes.0": "", "calls.rejected_retry_minutes.1": ""},
            ),
            "calls.next_number_after": [],
        },
        follow_redirects=False,
    )
    assert never.status_code == 303, never.text
    assert _calls_rules(admin, never.headers["location"]) == {
        "«Вызов отклонён»": "этот номер больше не набирать",
        "Другой номер организации": "в свой черёд по плану, не сразу",
        "Сбой на нашей стороне": "повтор звонка через 5 мин",
    }


def _calls_rules(admin: httpx.Client, plan: str) -> dict[str, str]:
    """The campaign page's lines for a dropped call, the next number and our failure."""
    page = admin.get(plan)
    assert page.status_code == 200, page.text
    cells = [row.css("th, td") for row in LexborHTMLParser(page.text).css("#campaign-rules tr")]
    shown = {title.text(): text.text() for title, text in cells}
    wanted = ("«Вызов отклонён»", "Другой номер организации", "Сбой на нашей стороне")
    return {title: shown[title] for title in wanted if title in shown}

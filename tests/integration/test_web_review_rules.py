"""Issue 16's review bugs against a real server: judgements that cannot apply, re-queue
safeguards, sessions, and what a check page asks for."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.integration.test_web_support import (
    Seeded,
    WebServer,
    api,
    logged_in,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def operator(server: WebServer, seeded: Seeded) -> httpx.Client:
    return api(server, seeded.tokens["operator"])


def _reviews(client: httpx.Client, check_id: int) -> list[tuple[str, str]]:
    reviews = client.get(f"/api/checks/{check_id}").json()["reviews"]
    return [(r["field"], r["value"]) for r in reviews]


@pytest.mark.parametrize(
    ("which", "body", "message"),
    [
        ("no_answer_id", {"field": "etiquette", "value": "full"},
         "«Этикет» не оценивается у проверки с результатом «не отвечает»."),
        ("busy_id", {"field": "transfers", "value": "once"},
         "«Переадресация» не оценивается у проверки с результатом «занято»."),
        ("busy_id", {"field": "grade", "value": "excellent"},
         "«Качество консультации» не оценивается у проверки с результатом «занято»."),
        ("no_answer_id", {"field": "call_note", "value": "callback_requested"},
         "«Отметка о звонке» не оценивается у проверки с результатом «не отвечает»."),
        ("replied_id", {"field": "etiquette", "value": "full"},
         "«Этикет» не оценивается у проверки с результатом «ответили»."),
    ],
)  # fmt: skip
def test_a_judgement_that_cannot_apply_to_the_outcome_is_refused(
    seeded: Seeded, operator: httpx.Client, which: str, body: dict[str, str], message: str
) -> None:
    check_id = getattr(seeded, which)
    response = operator.post(f"/api/checks/{check_id}/reviews", json=body)
    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert _reviews(operator, check_id) == []


def test_a_grade_on_a_bounced_letter_is_refused_but_a_note_is_not(
    seeded: Seeded, operator: httpx.Client, engine: Engine
) -> None:
    from storage.engine import session_scope
    from storage.models import Check

    with session_scope(engine) as db:
        check = db.get(Check, seeded.replied_id)
        assert check is not None
        check.outcome = "bounced"
        db.add(check)
    url = f"/api/checks/{seeded.replied_id}/reviews"
    refused = operator.post(url, json={"field": "grade", "value": "excellent"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "«Качество консультации» не оценивается у проверки с результатом "
         "«письмо не доставлено»."},
    )  # fmt: skip
    assert operator.post(url, json={"field": "note", "value": "адрес не существует"}).is_success
    assert _reviews(operator, seeded.replied_id) == [("note", "адрес не существует")]


def test_an_overturned_outcome_decides_which_judgements_apply(
    seeded: Seeded, operator: httpx.Client
) -> None:
    url = f"/api/checks/{seeded.busy_id}"
    overturn = {"value": "connected", "reason": "на записи ответили"}
    assert operator.post(f"{url}/verdict", json=overturn).is_success
    assert operator.post(f"{url}/reviews", json={"field": "etiquette", "value": "full"}).is_success
    back = {"value": "confirmed", "reason": "ошибся"}
    assert operator.post(f"{url}/verdict", json=back).is_success
    refused = operator.post(f"{url}/reviews", json={"field": "grade", "value": "good"})
    assert refused.status_code == 400


def test_the_check_page_offers_only_the_judgements_that_apply(
    server: WebServer, seeded: Seeded
) -> None:
    client, _ = logged_in(server, "operator")
    forms = ("form-etiquette", "form-transfers", "form-grade", "form-call_note", "form-note")
    offered = {
        name: [form for form in forms if f'id="{form}"' in client.get(f"/checks/{i}").text]
        for name, i in (
            ("no_answer", seeded.no_answer_id),
            ("connected", seeded.connected_id),
            ("replied", seeded.replied_id),
        )
    }
    assert offered == {
        "no_answer": ["form-note"],
        "connected": list(forms),
        "replied": ["form-grade", "form-note"],
    }


def test_a_second_requeue_of_one_check_is_refused_and_the_old_check_links_the_new(
    server: WebServer, seeded: Seeded, operator: httpx.Client
) -> None:
    url = f"/api/checks/{seeded.busy_id}/requeue"
    new_id = operator.post(url, json={"reason": "вечером"}).json()["new_id"]
    again = operator.post(url, json={"reason": "ещё раз"})
    assert (again.status_code, again.json()) == (
        400,
        {"detail": f"Проверка уже поставлена повторно: попытка №{new_id} ещё не выполнена."},
    )
    client, _ = logged_in(server, "operator")
    page = client.get(f"/checks/{seeded.busy_id}").text
    assert f'<a href="/checks/{new_id}">проверка №{new_id}</a>' in page
    assert 'id="needs"' not in page and 'id="form-requeue"' not in page
    assert operator.get(f"/api/checks/{seeded.busy_id}").json()["needs"] == []


def test_a_check_followed_by_a_retry_is_not_requeued_and_asks_for_nothing(
    seeded: Seeded, operator: httpx.Client
) -> None:
    refused = operator.post(f"/api/checks/{seeded.retried_id}/requeue", json={"reason": "x"})
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("По этому контакту уже есть более новая попытка №")
    assert operator.get(f"/api/checks/{seeded.retried_id}").json()["needs"] == []


def test_a_check_on_a_contact_marked_wrong_is_not_requeued(
    seeded: Seeded, operator: httpx.Client
) -> None:
    fix = {"kind": "wrong", "raw": "8 (3812) 99-99-99", "reason": "сайт"}
    new_contact = operator.post(f"/api/contacts/{seeded.phone_contact_id}/correction", json=fix)
    new_id = new_contact.json()["new_id"]
    refused = operator.post(f"/api/checks/{seeded.busy_id}/requeue", json={"reason": "x"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": f"Контакт №{seeded.phone_contact_id} заменён или отключён: повторять по нему "
         f"нельзя. Действующий контакт: №{new_id}."},
    )  # fmt: skip


@pytest.mark.parametrize(("status", "word"), [("done", "завершена"), ("cancelled", "отменена")])
def test_a_check_of_a_finished_campaign_is_not_requeued(
    seeded: Seeded, operator: httpx.Client, engine: Engine, status: str, word: str
) -> None:
    from storage.engine import session_scope
    from storage.models import Campaign

    with session_scope(engine) as db:
        campaign = db.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        campaign.status = status
        db.add(campaign)
    refused = operator.post(f"/api/checks/{seeded.no_answer_id}/requeue", json={"reason": "x"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": f"Кампания {word}: повторная проверка в ней невозможна."},
    )


def test_logging_out_ends_the_session_even_for_a_copy_of_its_cookie(server: WebServer) -> None:
    client, token = logged_in(server, "operator")
    copy = httpx.Client(base_url=server.url, cookies=dict(client.cookies), timeout=10)
    assert copy.get("/queue").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    for who in (client, copy):
        response = who.get("/queue", follow_redirects=False)
        assert (response.status_code, response.headers["location"][:6]) == (303, "/login")
    again, _ = logged_in(server, "operator")  # signing in again works
    assert again.get("/queue").status_code == 200


def test_after_an_overturn_the_title_shows_the_operators_outcome_and_the_automatic_beside(
    server: WebServer, seeded: Seeded, operator: httpx.Client
) -> None:
    client, _ = logged_in(server, "operator")
    title = 'id="check-outcome">'
    page = client.get(f"/checks/{seeded.busy_id}").text
    assert f"{title}занято<" in page and "automatic-outcome" not in page
    overturn = {"value": "answering_machine", "reason": "на записи автоответчик"}
    assert operator.post(f"/api/checks/{seeded.busy_id}/verdict", json=overturn).is_success
    page = client.get(f"/checks/{seeded.busy_id}").text
    assert f"{title}автоответчик<" in page
    assert "исправлено оператором, автоматически: «занято»" in page


def test_a_busy_check_followed_by_a_retry_does_not_ask_to_be_confirmed(
    server: WebServer, seeded: Seeded
) -> None:
    client, _ = logged_in(server, "operator")
    retried = client.get(f"/checks/{seeded.retried_id}").text
    assert 'id="needs"' not in retried and 'id="next-attempt"' in retried
    assert 'id="needs">Нужно: подтвердить' in client.get(f"/checks/{seeded.busy_id}").text


def test_a_refused_form_shows_the_check_page_again_with_the_message_and_the_input(
    server: WebServer, seeded: Seeded
) -> None:
    client, token = logged_in(server, "operator")
    typed = {"csrf_token": token, "value": "busy", "reason": "слышно «занято» на записи"}
    response = client.post(f"/checks/{seeded.busy_id}/verdict", data=typed)
    assert response.status_code == 400
    page = response.text
    assert '<a href="/queue">Очередь проверки</a>' in page and 'id="form-verdict"' in page
    assert (
        'id="form-error" data-form="form-verdict">Исправленный результат совпадает с '
        "автоматическим: выберите «подтвердить»." in page
    )
    assert 'value="слышно «занято» на записи"' in page


def test_an_error_page_keeps_the_menu_and_a_way_back(server: WebServer, seeded: Seeded) -> None:
    client, token = logged_in(server, "operator")
    back = f"{server.url}/checks/{seeded.busy_id}"
    response = client.post(
        "/contacts/999999/correct",
        data={"csrf_token": token, "kind": "wrong", "raw": "8 (3812) 99-99-99"},
        headers={"Referer": back},
    )
    assert response.status_code == 404
    assert '<a href="/queue">Очередь проверки</a>' in response.text
    assert f'<a href="/checks/{seeded.busy_id}" id="error-back">Назад</a>' in response.text


def test_a_note_typed_while_the_session_expired_survives_a_new_sign_in(
    server: WebServer, seeded: Seeded, operator: httpx.Client
) -> None:
    import html
    import re

    from tests.integration.test_web_support import PASSWORD, csrf_of

    client, token = logged_in(server, "operator")
    client.cookies.clear()  # the 12 hours are over: the cookie no longer opens anything
    note = "Перезвонили в 14:05, ответила <секретарь>"
    response = client.post(
        f"/checks/{seeded.connected_id}/review",
        data={"csrf_token": token, "field": "note", "value": note},
    )
    assert response.status_code == 401
    assert "Сеанс истёк — войдите снова. Введённое в форму не потеряно" in response.text
    assert "с другого сайта" not in response.text
    drafts = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="(draft_[a-z_]+)" value="([^"]*)"', response.text)
    }
    assert drafts["draft_value"] == note
    login = {"csrf_token": csrf_of(response.text), "username": "operator",
             "password": PASSWORD, "next": f"/checks/{seeded.connected_id}", **drafts}  # fmt: skip
    page = client.post("/login", data=login)
    assert page.status_code == 200
    assert "Вы снова вошли. Введённое сохранено" in page.text
    assert html.escape(note, quote=False) in page.text.split('id="form-note"')[1]
    assert _reviews(operator, seeded.connected_id) == []  # nothing saved behind the user's back

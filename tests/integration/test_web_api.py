"""The JSON API against a real server: tokens, the queue and its pages, changes and refusals."""

from __future__ import annotations

import importlib

import httpx
import pytest
from sqlalchemy.engine import Engine

from storage.engine import session_scope
from storage.models import Contact
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


def _ids(client: httpx.Client, **params: object) -> list[int]:
    response = client.get("/api/queue", params=params)
    assert response.status_code == 200, response.text
    return [item["check"]["id"] for item in response.json()["items"]]


def test_the_api_needs_a_valid_token(server: WebServer) -> None:
    missing = httpx.get(server.url + "/api/queue")
    assert missing.status_code == 401
    assert missing.json() == {"detail": "missing API token: send 'Authorization: Bearer <token>'"}
    wrong = api(server, "prb_not-a-token").get("/api/queue")
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "invalid or revoked API token"}


def test_a_disabled_users_token_stops_working(
    server: WebServer, seeded: Seeded, operator: httpx.Client
) -> None:
    assert operator.get("/api/me").json() == {"username": "operator", "role": "operator"}
    admin, token = logged_in(server, "admin")
    users = admin.get("/users").text
    operator_id = users.split('data-username="operator"')[1].split("/users/")[1].split("/")[0]
    admin.post(
        f"/users/{operator_id}/active", data={"active": "0", "confirm": "1", "csrf_token": token}
    )
    assert operator.get("/api/me").status_code == 401


def test_the_openapi_spec_is_published_with_bearer_auth(server: WebServer) -> None:
    spec = httpx.get(server.url + "/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert set(spec["paths"]) == {
        "/api/me",
        "/api/campaigns",
        "/api/queue",
        "/api/queue/next",
        "/api/checks/{check_id}",
        "/api/checks/{check_id}/claim",
        "/api/organisations/{organisation_id}",
        "/api/checks/{check_id}/reviews",
        "/api/checks/{check_id}/verdict",
        "/api/checks/{check_id}/requeue",
        "/api/contacts/{contact_id}/correction",
        "/api/organisations/{organisation_id}/contacts",
    }


def test_the_queue_holds_final_failures_and_unjudged_answers_only(
    seeded: Seeded, operator: httpx.Client
) -> None:
    assert _ids(operator) == [
        seeded.no_answer_id, seeded.replied_id, seeded.busy_id, seeded.connected_id
    ]  # fmt: skip
    item = operator.get("/api/queue", params={"outcome": "connected"}).json()["items"][0]
    assert item["needs"] == ["etiquette", "transfers", "grade"]
    assert item["organisation_name"].startswith("КЦСОН <script>")  # JSON: data, not markup


def test_walking_the_queue_one_item_at_a_time_sees_each_check_once(
    seeded: Seeded, operator: httpx.Client
) -> None:
    for order in ("new", "old"):
        seen: list[int] = []
        after = None
        while True:
            params: dict[str, object] = {"limit": 1, "order": order}
            if after is not None:
                params["after"] = after
            page = operator.get("/api/queue", params=params).json()
            seen += [item["check"]["id"] for item in page["items"]]
            after = page["next_after"]
            if after is None:
                break
        assert seen == sorted(_ids(operator), reverse=order == "new")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "rostov"}, ["no_answer_id"]),
        ({"channel": "email"}, ["replied_id"]),
        ({"outcome": "busy"}, ["busy_id"]),
        ({"organisation_id": "$rostov"}, ["no_answer_id"]),
        ({"campaign_id": "$campaign"}, ["no_answer_id", "replied_id", "busy_id", "connected_id"]),
        ({"min_age_days": 1}, ["no_answer_id", "replied_id", "busy_id", "connected_id"]),
        ({"max_age_days": 0}, []),
    ],
)
def test_the_queue_filters(
    seeded: Seeded, operator: httpx.Client, params: dict[str, object], expected: list[str]
) -> None:
    ids = {"$rostov": seeded.rostov_id, "$campaign": seeded.campaign_id}
    resolved = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
    assert _ids(operator, **resolved) == [getattr(seeded, name) for name in expected]


def test_bad_queue_parameters_are_refused_with_the_field_named(operator: httpx.Client) -> None:
    response = operator.get("/api/queue", params={"limit": 0, "outcome": "maybe"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [
        ["query", "outcome"],
        ["query", "limit"],
    ]


def test_a_check_comes_with_its_timeline_reviews_and_thread(
    seeded: Seeded, operator: httpx.Client
) -> None:
    body = operator.get(f"/api/checks/{seeded.replied_id}").json()
    assert [e["kind"] for e in body["events"]] == ["planned", "result"]
    assert [m["subject"] for m in body["messages"]] == ["Re: вопрос 1", "Re: вопрос 2"]
    assert body["needs"] == ["grade"]
    missing = operator.get("/api/checks/999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no check 999999"})


def test_an_organisation_comes_with_contacts_and_history(
    seeded: Seeded, operator: httpx.Client
) -> None:
    body = operator.get(f"/api/organisations/{seeded.omsk_id}").json()
    assert [c["channel"] for c in body["contacts"]] == ["email", "phone"]
    assert len(body["checks"]) == 6
    assert [c["held"] for c in body["contacts"]] == [None, None]


def test_a_held_contact_says_why_it_is_not_called(
    seeded: Seeded, operator: httpx.Client, engine: Engine
) -> None:
    with session_scope(engine) as db:
        contact = db.get(Contact, seeded.phone_contact_id)
        assert contact is not None
        contact.held = "shared"
        contact.held_values = {"by": [{"name": "ЦСО", "source": None, "row": 46}]}
        db.add(contact)
    body = operator.get(f"/api/organisations/{seeded.omsk_id}").json()
    phone = next(c for c in body["contacts"] if c["id"] == seeded.phone_contact_id)
    assert (phone["held"], phone["held_code"]) == (
        "also published by row 46 (ЦСО): not called until an operator confirms it is this "
        "organisation's",
        "shared",
    )


def test_grading_a_call_through_the_api_takes_it_out_of_the_queue_when_complete(
    seeded: Seeded, operator: httpx.Client
) -> None:
    url = f"/api/checks/{seeded.connected_id}/reviews"
    for field, value in (("etiquette", "organisation_only"), ("transfers", "once")):
        assert operator.post(url, json={"field": field, "value": value}).json() == {
            "ok": True,
            "new_id": None,
        }
    assert seeded.connected_id in _ids(operator)
    operator.post(url, json={"field": "grade", "value": "satisfactory"})
    assert seeded.connected_id not in _ids(operator)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"field": "etiquette", "value": "great"}, "Недопустимое значение для «Этикет»: «great»."),
        (
            {"field": "etiquette", "value": "full,great"},
            "Недопустимое значение для «Этикет»: «full,great».",
        ),
        ({"field": "etiquette", "value": " , "}, "Оцените этикет хотя бы одного ответившего."),
        ({"field": "note", "value": "   "}, "Укажите текст (Заметка)."),
        ({"field": "grade", "value": "good", "reason": "x\x00"}, None),
    ],
)
def test_a_bad_review_is_refused_with_the_exact_reason(
    seeded: Seeded, operator: httpx.Client, body: dict[str, str], message: str | None
) -> None:
    response = operator.post(f"/api/checks/{seeded.connected_id}/reviews", json=body)
    if message is None:  # refused by the schema: a NUL cannot be stored on PostgreSQL
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    else:
        assert (response.status_code, response.json()) == (400, {"detail": message})
    assert operator.get(f"/api/checks/{seeded.connected_id}").json()["reviews"] == []


def test_the_api_judges_each_person_who_answered_a_call(
    seeded: Seeded, operator: httpx.Client
) -> None:
    url = f"/api/checks/{seeded.connected_id}/reviews"
    response = operator.post(url, json={"field": "etiquette", "value": "organisation_only, none"})
    assert response.status_code == 200, response.text
    reviews = operator.get(f"/api/checks/{seeded.connected_id}").json()["reviews"]
    assert [(r["field"], r["value"]) for r in reviews] == [("etiquette", "organisation_only,none")]


def test_a_verdict_confirms_or_overturns_with_a_reason(
    seeded: Seeded, operator: httpx.Client
) -> None:
    url = f"/api/checks/{seeded.busy_id}/verdict"
    refusals = [
        ({"value": "busy", "reason": "x"}, "Исправленный результат совпадает с автоматическим: "
         "выберите «подтвердить»."),
        ({"value": "bounced", "reason": "x"}, "Недопустимый вердикт для этого канала: «bounced»."),
        ({"value": "confirmed", "reason": " "}, "Укажите причину решения."),
    ]  # fmt: skip
    for body, message in refusals:
        response = operator.post(url, json=body)
        assert (response.status_code, response.json()) == (400, {"detail": message})
    assert seeded.busy_id in _ids(operator)
    ok = operator.post(url, json={"value": "answering_machine", "reason": "на записи автоответчик"})
    assert ok.status_code == 200
    assert seeded.busy_id not in _ids(operator)
    reviews = operator.get(f"/api/checks/{seeded.busy_id}").json()["reviews"]
    assert [(r["field"], r["value"], r["author"]) for r in reviews] == [
        ("verdict", "answering_machine", "operator")
    ]


def test_requeueing_makes_a_new_unplanned_attempt_and_refuses_an_unfinished_check(
    seeded: Seeded, operator: httpx.Client
) -> None:
    response = operator.post(f"/api/checks/{seeded.busy_id}/requeue", json={"reason": "вечером"})
    new_id = response.json()["new_id"]
    again = operator.get(f"/api/checks/{new_id}").json()["check"]
    assert (again["status"], again["planned_at"], again["attempt"]) == ("planned", None, 2)
    refused = operator.post(f"/api/checks/{new_id}/requeue", json={"reason": "ещё раз"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "Повторить можно только завершённую проверку."},
    )


def test_correcting_a_contact_keeps_the_old_one_and_refuses_bad_values(
    seeded: Seeded, operator: httpx.Client, engine: Engine
) -> None:
    url = f"/api/contacts/{seeded.phone_contact_id}/correction"
    bad = [
        ({"kind": "wrong", "raw": "позвоните нам"},
         "Не удалось распознать номер телефона: «позвоните нам»."),
        ({"kind": "wrong", "raw": "+7 3812 35-70-00"},
         "У организации уже есть такой контакт: +73812357000 (№1)."),
        ({"kind": "wrong", "raw": "8 (3812) 35-70-02, 8 (3812) 35-70-03"},
         "Укажите один номер, а не несколько: «8 (3812) 35-70-02, 8 (3812) 35-70-03»."),
    ]  # fmt: skip
    for body, message in bad:
        response = operator.post(url, json=body)
        assert (response.status_code, response.json()) == (400, {"detail": message})
    done = operator.post(url, json={"kind": "wrong", "raw": "8 (3812) 35-70-02 доб. 15"})
    new_id = done.json()["new_id"]
    with session_scope(engine) as db:
        old = db.get(Contact, seeded.phone_contact_id)
        new = db.get(Contact, new_id)
        assert old is not None and new is not None
        assert (old.active, old.superseded_by_id) == (False, new_id)
        assert (new.value, new.extension, new.active) == ("+73812357002", "15", True)
    again = operator.post(url, json={"kind": "outdated", "raw": "8 (3812) 35-70-04"})
    assert again.json() == {
        "detail": f"Контакт №{seeded.phone_contact_id} уже заменён или отключён: "
        "исправляйте действующий."
    }


def test_correcting_back_to_a_number_the_organisation_had_switches_it_back_on(
    seeded: Seeded, operator: httpx.Client, server: WebServer, engine: Engine
) -> None:
    first = seeded.phone_contact_id
    done = operator.post(
        f"/api/contacts/{first}/correction", json={"kind": "wrong", "raw": "8 (3812) 35-70-02"}
    )
    second = done.json()["new_id"]
    assert done.json() == {"ok": True, "new_id": second, "reactivated": False}
    # The first number was right after all: through the API, then the page's form says so.
    back = operator.post(
        f"/api/contacts/{second}/correction", json={"kind": "wrong", "raw": "+7 3812 35-70-00"}
    )
    assert back.json() == {"ok": True, "new_id": first, "reactivated": True}
    with session_scope(engine) as db:
        assert db.get(Contact, first).active  # type: ignore[union-attr]
        assert db.get(Contact, second).superseded_by_id == first  # type: ignore[union-attr]
    client, token = logged_in(server, "operator")
    client.post(  # the first wrong again, replaced by the second (switched back on)
        f"/contacts/{first}/correct",
        data={"kind": "wrong", "raw": "8 (3812) 35-70-02", "csrf_token": token},
    )
    page = client.post(
        f"/contacts/{second}/correct",
        data={"kind": "outdated", "raw": "8 (3812) 35-70-00", "back": str(seeded.busy_id),
              "csrf_token": token},
    )  # fmt: skip
    assert page.status_code == 303
    shown = client.get(page.headers["location"])
    assert (
        "Контакт исправлен: такое значение у организации уже было — тот контакт снова действует, "
        "исправленный сохранён в истории."
    ) in shown.text


def test_an_operator_adds_a_contact_through_the_api_as_the_page_does(
    seeded: Seeded, operator: httpx.Client, engine: Engine
) -> None:
    url = f"/api/organisations/{seeded.omsk_id}/contacts"
    done = operator.post(url, json={"kind": "website", "raw": "Kcson.Omsk.ru", "reason": "звонок"})
    assert done.status_code == 200, done.text
    new_id = done.json()["new_id"]
    assert done.json() == {"ok": True, "new_id": new_id, "reactivated": False}
    with session_scope(engine) as db:
        site = db.get(Contact, new_id)
        assert site is not None
        assert (site.channel, site.value, site.source) == (
            "web", "https://kcson.omsk.ru/", "operator addition by operator",
        )  # fmt: skip
    refused = [
        (url, {"kind": "website", "raw": "https://kcson.omsk.ru"}, 400,
         f"У организации уже есть такой контакт: https://kcson.omsk.ru/ (№{new_id})."),
        (url, {"kind": "fax", "raw": "1"}, 400, "Неизвестный вид контакта: «fax»."),
        (url, {"kind": "test", "raw": "1"}, 400, "Неизвестный вид контакта: «test»."),
        (url, {"kind": "website", "raw": "  "}, 400, "Укажите значение контакта."),
        (url, {"kind": "website", "raw": "http://bad site"}, 400,
         "Не удалось распознать адрес сайта: «http://bad site»."),
        ("/api/organisations/999999/contacts", {"kind": "website", "raw": "a.ru"}, 404,
         "Организация не найдена."),
    ]  # fmt: skip
    for where, body, status, message in refused:
        response = operator.post(where, json=body)
        assert (response.status_code, response.json()) == (status, {"detail": message}), body
    # A contact the organisation had (replaced) is switched back on, as on the page.
    operator.post(f"/api/contacts/{new_id}/correction", json={"kind": "wrong", "raw": "kcson55.ru"})
    again = operator.post(url, json={"kind": "website", "raw": "kcson.omsk.ru"})
    assert again.json() == {"ok": True, "new_id": new_id, "reactivated": True}


def test_the_export_button_answers_with_a_file_or_says_the_exporter_is_missing(
    server: WebServer, seeded: Seeded
) -> None:
    client, _ = logged_in(server, "viewer")
    response = client.get(f"/campaigns/{seeded.campaign_id}/export", params={"fmt": "csv"})
    try:
        exporter = getattr(importlib.import_module("probe.export"), "export_campaign", None)
    except ImportError:
        exporter = None
    if exporter is None:
        assert response.status_code == 501
        assert "Выгрузка пока недоступна: модуль экспорта протоколов ещё не установлен." in (
            response.text
        )
    else:
        assert response.status_code == 200
        assert response.content
    bad = client.get(f"/campaigns/{seeded.campaign_id}/export", params={"fmt": "pdf"})
    assert bad.status_code == 400
    assert "Неизвестный формат выгрузки: «pdf». Доступны: xlsx, csv, json." in bad.text

"""The review UI's defences, against a real server: CSRF, escaping, roles, rate limits, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.engine import session_scope
from storage.models import AuditLog, Check, Contact, Review
from tests.integration.test_web_support import (
    EVIL_BODY,
    PASSWORD,
    Seeded,
    WebServer,
    api,
    browser_client,
    csrf_of,
    logged_in,
)

pytestmark = pytest.mark.integration

CSRF_REFUSED = (
    "Форма устарела или отправлена с другого сайта (неверный CSRF-токен). "
    "Обновите страницу и повторите."
)


def _reviews(engine: Engine) -> list[tuple[int | None, str, str]]:
    with session_scope(engine) as db:
        return [(r.check_id, r.field, r.value) for r in db.exec(select(Review)).all()]


def _audit(engine: Engine, after_id: int = 0) -> list[AuditLog]:
    with session_scope(engine) as db:
        return list(
            db.exec(select(AuditLog).where(col(AuditLog.id) > after_id).order_by(col(AuditLog.id)))
        )


def _last_audit_id(engine: Engine) -> int:
    rows = _audit(engine)
    return rows[-1].id or 0 if rows else 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_this_sessions_csrf_token_is_refused_and_changes_nothing(
    server: WebServer, seeded: Seeded, engine: Engine, token: str | None
) -> None:
    client, _ = logged_in(server, "operator")
    before = _reviews(engine)
    data = {"field": "grade", "value": "good"} | (
        {"csrf_token": token} if token is not None else {}
    )
    response = client.post(f"/checks/{seeded.connected_id}/review", data=data)
    assert response.status_code == 403
    assert CSRF_REFUSED in response.text
    assert _reviews(engine) == before


def test_another_sessions_csrf_token_does_not_work_in_this_one(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    _, other_token = logged_in(server, "admin")
    client, _ = logged_in(server, "operator")
    response = client.post(
        f"/checks/{seeded.connected_id}/review",
        data={"field": "grade", "value": "good", "csrf_token": other_token},
    )
    assert response.status_code == 403
    assert _reviews(engine) == [
        (seeded.judged_id, "etiquette", "full"),
        (seeded.judged_id, "transfers", "none"),
        (seeded.judged_id, "grade", "good"),
    ]


def test_the_login_form_itself_needs_a_csrf_token(server: WebServer) -> None:
    client = browser_client(server)
    client.get("/login")
    response = client.post("/login", data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 403
    assert CSRF_REFUSED in response.text


def test_an_organisation_name_and_an_email_body_with_script_tags_render_escaped(
    server: WebServer, seeded: Seeded
) -> None:
    client, _ = logged_in(server, "viewer")
    pages = {
        "queue": client.get("/queue").text,
        "organisation": client.get(f"/organisations/{seeded.omsk_id}").text,
        "check": client.get(f"/checks/{seeded.replied_id}").text,
    }
    for name, html in pages.items():
        assert "<script>alert('org')</script>" not in html, name
        assert "КЦСОН &lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt;" in html, name
    check = pages["check"]
    assert "<script>alert('mail')</script>" not in check
    assert "Добрый день! &lt;script&gt;alert(&#39;mail&#39;)&lt;/script&gt;" in check
    assert EVIL_BODY not in check
    # The HTML-only reply is sanitised: markup kept, script and remote image gone.
    assert "<p>Ответ <b>готов</b></p>" in check
    assert 'alert("html")' not in check and "<img" not in check
    # The attachment is listed by name and never linked.
    assert "evil.html — text/html, 38 байт" in check
    assert 'href="/checks/' + str(seeded.replied_id) + "/evidence" not in check


def test_every_page_forbids_scripts_from_anywhere_but_the_site(server: WebServer) -> None:
    response = browser_client(server).get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_session_cookie_is_http_only_and_same_site(server: WebServer) -> None:
    cookie = browser_client(server).get("/login").headers["set-cookie"]
    assert cookie.startswith("probe_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


@pytest.mark.parametrize(
    "path",
    [
        "/api/checks/{id}/reviews",
        "/api/checks/{id}/verdict",
        "/api/checks/{id}/requeue",
        "/api/contacts/{contact}/correction",
        "/api/organisations/{organisation}/contacts",
    ],
)
def test_a_viewer_token_cannot_change_anything_through_the_api(
    server: WebServer, seeded: Seeded, engine: Engine, path: str
) -> None:
    before = _last_audit_id(engine)
    body = {"field": "grade", "value": "good", "reason": "x", "kind": "wrong", "raw": "a@b.ru"}
    url = path.format(
        id=seeded.busy_id, contact=seeded.phone_contact_id, organisation=seeded.omsk_id
    )
    response = api(server, seeded.tokens["viewer"]).post(url, json=body)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "role 'viewer' may only read; this needs operator or admin"
    }
    assert _audit(engine, before) == []


def test_a_viewer_posting_a_page_form_gets_403(server: WebServer, seeded: Seeded) -> None:
    client, token = logged_in(server, "viewer")
    response = client.post(
        f"/checks/{seeded.busy_id}/requeue", data={"reason": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    refusal = "Недостаточно прав: действие доступно только оператору и администратору."
    assert refusal in response.text


def _try_login(client: object, username: str, password: str) -> tuple[int, str]:
    import httpx

    assert isinstance(client, httpx.Client)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return response.status_code, response.text


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    client = browser_client(server)
    for _ in range(4):
        status, html = _try_login(client, "operator", "wrong password!")
        assert status == 401
        assert "Неверное имя пользователя или пароль." in html
    status, html = _try_login(client, "operator", "wrong password!")
    assert status == 429
    assert "Слишком много неудачных попыток входа. Повторите через 15 мин." in html
    status, html = _try_login(client, "operator", PASSWORD)
    assert status == 429
    assert "Слишком много неудачных попыток входа. Повторите через 15 мин." in html
    locks = [a for a in _audit(engine) if a.action == "lock"]
    assert [(a.actor, a.entity) for a in locks] == [("system", "user")]


def test_one_address_guessing_many_usernames_is_throttled(server: WebServer) -> None:
    client = browser_client(server)
    for n in range(20):
        status, _ = _try_login(client, f"nobody{n}", "whatever-password")
        assert status == 401
    status, html = _try_login(client, "nobody-else", "whatever-password")
    assert status == 429
    assert "Слишком много неудачных попыток входа. Повторите через 15 мин." in html


def test_a_disabled_account_loses_its_open_session(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    client, _ = logged_in(server, "operator")
    admin, token = logged_in(server, "admin")
    users = admin.get("/users").text
    operator_id = users.split('data-username="operator"')[1].split("/users/")[1].split("/")[0]
    response = admin.post(
        f"/users/{operator_id}/active", data={"active": "0", "confirm": "1", "csrf_token": token}
    )
    assert response.status_code == 303
    response = client.get("/queue")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueue"


def test_login_never_redirects_off_the_site(server: WebServer) -> None:
    client = browser_client(server)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"


def test_evidence_outside_the_data_directory_is_never_served(
    server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    with session_scope(engine) as db:
        check = db.get(Check, seeded.busy_id)
        assert check is not None
        check.evidence = [
            {"kind": "eml", "path": "../secret.txt"},
            {"kind": "eml", "path": str(secret)},
        ]
        db.add(check)
    client, _ = logged_in(server, "viewer")
    for index in (0, 1):
        response = client.get(f"/checks/{seeded.busy_id}/evidence/{index}")
        assert response.status_code == 404
        assert "Файл доказательства не найден в каталоге данных." in response.text


def test_a_recording_is_served_inline_for_the_player_and_only_to_a_signed_in_user(
    server: WebServer, seeded: Seeded
) -> None:
    url = f"/checks/{seeded.connected_id}/evidence/0"
    assert browser_client(server).get(url).status_code == 303
    client, _ = logged_in(server, "viewer")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF"


def test_every_operator_change_is_in_the_audit_log_with_who_and_what(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    client, token = logged_in(server, "operator")
    before = _last_audit_id(engine)
    posts = [
        (f"/checks/{seeded.connected_id}/review", {"field": "etiquette", "value": "full"}),
        (f"/checks/{seeded.connected_id}/review", {"field": "note", "value": "перезвонили"}),
        (f"/checks/{seeded.busy_id}/verdict", {"value": "confirmed", "reason": "слышно занято"}),
        (f"/checks/{seeded.no_answer_id}/requeue", {"reason": "вне часов"}),
        (
            f"/contacts/{seeded.phone_contact_id}/correct",
            {"kind": "outdated", "raw": "8 (3812) 35-70-01", "reason": "сайт", "back": "1"},
        ),
    ]
    for url, data in posts:
        response = client.post(url, data=data | {"csrf_token": token})
        assert response.status_code == 303, response.text
    rows = _audit(engine, before)
    assert [(a.actor, a.action, a.entity) for a in rows] == [
        ("operator", "review", "check"),
        ("operator", "review", "check"),
        ("operator", "review", "check"),
        ("operator", "requeue", "check"),
        ("operator", "correct_outdated", "contact"),
    ]
    assert rows[0].after == {"field": "etiquette", "value": "full", "reason": ""}
    assert rows[2].after == {"field": "verdict", "value": "confirmed", "reason": "слышно занято"}
    correction = rows[4]
    assert correction.before == {
        "raw": "+73812357000",
        "value": "+73812357000",
        "extension": None,
        "active": True,
        "superseded_by_id": None,
    }
    assert correction.after is not None
    assert correction.after["active"] is False
    new_id = correction.after["new_contact_id"]
    assert correction.after["superseded_by_id"] == new_id
    with session_scope(engine) as db:
        new = db.get(Contact, new_id)
        assert new is not None and (new.raw, new.value) == ("8 (3812) 35-70-01", "+73812357001")
        assert all(a.at.tzinfo is not None for a in db.exec(select(AuditLog)).all())

"""Administration in Chromium (issue 16): an admin unlocks an account the login throttle
locked, and «Отключить» asks for confirmation first; both are audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.engine import session_scope
from storage.models import AppUser, AuditLog
from tests.integration.browser_support import guide_shot, login
from tests.integration.test_web_support import (
    PASSWORD,
    Seeded,
    WebServer,
    browser_client,
    csrf_of,
    logged_in,
)

pytestmark = pytest.mark.integration


def _try_login(server: WebServer, username: str, password: str) -> int:
    client = browser_client(server)
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return answer.status_code


def _audit(engine: Engine, action: str) -> list[AuditLog]:
    with session_scope(engine) as db:
        found = db.exec(
            select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        ).all()
        return list(found)


def test_an_admin_unlocks_an_account_the_throttle_locked(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    statuses = [_try_login(server, "operator", "wrong password!") for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert _try_login(server, "operator", PASSWORD) == 429  # locked for 15 minutes

    login(page, server, "admin", target="/users")
    row = page.locator("tr[data-username=operator]")
    expect(row.locator("td.lock .tag")).to_have_text("ещё 15 мин")
    guide_shot(page, tmp_path, "admin-users.png")
    row.locator(".form-unlock button").click()
    expect(page.locator("#flash")).to_have_text(
        "Вход для operator разблокирован: счётчик неудачных попыток сброшен."
    )
    expect(row.locator("td.lock")).to_have_text("нет")
    assert _try_login(server, "operator", PASSWORD) == 303
    unlocked = _audit(engine, "unlock")
    assert [(a.actor, a.after["username"]) for a in unlocked] == [("admin", "operator")]
    assert unlocked[0].before is not None and unlocked[0].before["locked_until"]
    page.goto(server.url + "/audit?action=unlock")
    row = page.locator("#audit-table tbody tr")
    expect(row.locator(".action-name")).to_have_text("вход разблокирован администратором")
    # The lock's end in the zone the page names once, not a UTC timestamp.
    expect(row.locator(".changes")).to_contain_text("вход заблокирован до:")
    expect(row.locator(".changes")).not_to_contain_text("UTC")
    expect(row.locator(".changes")).not_to_contain_text("T0")


def test_an_unlock_also_lifts_the_address_limit_for_that_account(
    server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    admin, token = logged_in(server, "admin")  # before the address is refused
    users = admin.get("/users").text
    operator_id = users.split('data-username="operator"')[1].split("/users/")[1].split("/")[0]
    # Colleagues behind the same address mistype their names, then the operator its password:
    # twenty failures from 127.0.0.1, the address limit, and the operator's account is locked.
    assert {_try_login(server, f"colleague{n}", "whatever-password") for n in range(15)} == {401}
    statuses = [_try_login(server, "operator", "wrong password!") for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert _try_login(server, "viewer", PASSWORD) == 429  # the address is refused

    answer = admin.post(f"/users/{operator_id}/unlock", data={"csrf_token": token})
    assert answer.status_code == 303
    # The operator's five leave the address's count; five more colleagues' fill it again.
    assert {_try_login(server, f"other{n}", "whatever-password") for n in range(5)} == {401}
    assert _try_login(server, "viewer", PASSWORD) == 429  # the limit holds for the others
    assert _try_login(server, "operator", PASSWORD) == 303  # not for the account unlocked
    unlocked = _audit(engine, "unlock")
    assert [(a.actor, a.after["username"]) for a in unlocked] == [("admin", "operator")]
    assert unlocked[0].before is not None and unlocked[0].before["address_failures"] == 5


def test_an_account_refused_only_by_its_address_can_be_unlocked(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    login(page, server, "admin", target="/users")
    assert {_try_login(server, "operator", "wrong password!") for _ in range(4)} == {401}
    assert {_try_login(server, f"colleague{n}", "whatever-password") for n in range(16)} == {401}
    with session_scope(engine) as db:  # its own count has ended (the lock lapsed, say)
        account = db.exec(select(AppUser).where(AppUser.username == "operator")).one()
        account.failed_logins = 0
        db.add(account)
    assert _try_login(server, "operator", PASSWORD) == 429
    page.reload()
    page.locator("tr[data-username=operator] .form-unlock button").click()
    expect(page.locator("#flash")).to_contain_text("Вход для operator разблокирован")
    assert _try_login(server, "operator", PASSWORD) == 303
    page.goto(server.url + "/audit?action=unlock")
    changes = page.locator("#audit-table tbody tr .changes")
    expect(changes).to_contain_text("неудачных входов, учтённых по адресу")


def test_disabling_an_account_asks_for_confirmation_and_is_audited(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    operator, _ = logged_in(server, "operator")
    login(page, server, "admin", target="/users")
    button = page.locator("tr[data-username=operator] .form-active button")
    expect(button).to_have_text("Отключить…")
    expect(button).to_have_class("danger")
    button.click()
    expect(page.locator("h1")).to_have_text("Отключить пользователя operator?")
    expect(page.locator("#confirm-disable")).to_contain_text("API-токены будут отозваны")
    guide_shot(page, tmp_path, "admin-disable-confirm.png")
    page.click("#cancel-disable")  # nothing happened
    expect(page).to_have_url(server.url + "/users")
    with session_scope(engine) as db:
        account = db.exec(select(AppUser).where(AppUser.username == "operator")).one()
        assert account.active
    assert _audit(engine, "disable") == []

    button.click()
    page.click("#form-confirm-disable button")
    expect(page.locator("#flash")).to_contain_text("Учётная запись operator отключена")
    expect(page.locator("tr[data-username=operator] .form-active button")).to_have_text("Включить")
    assert operator.get("/queue").status_code == 303  # its session ended
    disabled = _audit(engine, "disable")
    assert [(a.actor, a.after["active"]) for a in disabled] == [("admin", False)]


def test_only_an_admin_may_unlock_or_disable(server: WebServer, seeded: Seeded) -> None:
    for role in ("operator", "viewer"):
        client, token = logged_in(server, role)
        for path in ("/users/1/unlock", "/users/1/active"):
            answer = client.post(path, data={"csrf_token": token, "active": "0", "confirm": "1"})
            assert answer.status_code == 403, (role, path)
            assert "Недостаточно прав: действие доступно только администратору." in answer.text

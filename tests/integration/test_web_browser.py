"""The review UI driven by a real browser (Debian's chromium, headless) against a real server."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.engine import session_scope
from storage.models import AuditLog, Check, Review
from tests.integration.test_web_support import (
    PASSWORD,
    Seeded,
    WebServer,
)

pytestmark = pytest.mark.integration

DOC_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Set to copy the screenshots into docs/ (they are kept small: one of each page).
UPDATE_DOCS = os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"


def _login(page: Page, server: WebServer, username: str) -> None:
    page.goto(server.url + "/queue")
    expect(page).to_have_url(server.url + "/login?next=%2Fqueue")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    expect(page).to_have_url(server.url + "/queue")


def _queue_ids(page: Page) -> list[int]:
    return [int(x) for x in page.locator("#queue-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.checkId)"
    )]  # fmt: skip


def _shot(page: Page, tmp_path: Path, name: str, *, full_page: bool = False) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_DOCS:
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_SHOTS / name)
    return path


def test_operator_filters_the_queue_grades_a_call_and_requeues_a_busy_number(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _login(page, server, "operator")
    assert _queue_ids(page) == [
        seeded.no_answer_id, seeded.replied_id, seeded.busy_id, seeded.connected_id
    ]  # fmt: skip
    _shot(page, tmp_path, "queue.png")

    page.select_option("select[name=region]", "rostov")
    page.click("#queue-filters button[type=submit]")
    assert _queue_ids(page) == [seeded.no_answer_id]
    page.goto(server.url + "/queue")
    page.select_option("select[name=channel]", "phone")
    page.select_option("select[name=outcome]", "connected")
    page.click("#queue-filters button[type=submit]")
    assert _queue_ids(page) == [seeded.connected_id]

    # The link keeps the queue's filters (for «Сохранить и к следующей»).
    page.click(f"#queue-table a[href^='/checks/{seeded.connected_id}?queue=']")
    expect(page.locator("#check-outcome")).to_have_text("соединение")
    expect(page.locator("#sip-ladder tbody tr")).to_have_count(6)
    expect(page.locator("audio.recording")).to_have_attribute(
        "src", f"/checks/{seeded.connected_id}/evidence/0"
    )
    _shot(page, tmp_path, "check.png", full_page=True)
    page.select_option("#form-grade select[name=value]", "good")
    page.click("#form-grade button")
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    expect(page.locator("#current-reviews tr[data-field=grade] td.value")).to_have_text("хорошо")

    page.goto(f"{server.url}/checks/{seeded.busy_id}")
    page.fill("#form-requeue input[name=reason]", "занято весь день, попробовать завтра")
    page.click("#form-requeue button")
    expect(page.locator("#flash")).to_contain_text("Проверка поставлена в очередь повторно")
    page.goto(server.url + "/queue")
    assert seeded.busy_id not in _queue_ids(page)

    with session_scope(engine) as db:
        grade = db.exec(select(Review).where(Review.check_id == seeded.connected_id)).one()
        assert (grade.author, grade.field, grade.value) == ("operator", "grade", "good")
        newest = db.exec(select(Check).order_by(col(Check.id).desc())).first()
        assert newest is not None and newest.details == {"requeued_from": seeded.busy_id}
        assert newest.planned_at is None and newest.status == "planned"
        actions = [(a.actor, a.action) for a in db.exec(select(AuditLog)).all()]
        assert ("operator", "review") in actions and ("operator", "requeue") in actions


def test_operator_judges_each_person_of_a_transferred_call_and_the_export_shows_both(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _login(page, server, "operator")
    page.goto(f"{server.url}/checks/{seeded.connected_id}")
    persons = page.locator("#form-etiquette select[name=person]")
    expect(persons).to_have_count(1)  # nobody has said the call was transferred
    page.select_option("#form-transfers select[name=value]", "once")
    page.click("#form-transfers button")
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    expect(persons).to_have_count(2)  # who picked up, and the specialist after the transfer
    labels = page.locator("#form-etiquette label")
    expect(labels.nth(0)).to_contain_text("1. Взявший(ая) трубку")
    expect(labels.nth(1)).to_contain_text("2. Специалист после 1-го перевода")
    persons.nth(0).select_option("organisation_only")
    persons.nth(1).select_option("none")
    page.click("#form-etiquette button")
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    expect(page.locator("#current-reviews tr[data-field=etiquette] td.value")).to_have_text(
        "1) назвал(а) только организацию (графа 8); "
        "2) не представился(ась) и не назвал(а) организацию (графа 9)"
    )
    # As many persons as the operator says: the judged ones stay chosen.
    page.fill("#form-persons input[name=persons]", "3")
    page.click("#form-persons button")
    expect(persons).to_have_count(3)
    expect(persons.nth(0)).to_have_value("organisation_only")
    expect(persons.nth(1)).to_have_value("none")
    expect(persons.nth(2)).to_have_value("")

    with session_scope(engine) as db:
        on_check = Review.check_id == seeded.connected_id
        review = db.exec(select(Review).where(on_check, Review.field == "etiquette")).one()
        assert (review.author, review.value) == ("operator", "organisation_only,none")
    export = f"{server.url}/campaigns/{seeded.campaign_id}/export"
    data = json.loads(page.request.get(export + "?fmt=json").body())
    row = next(r for r in data["protocol6_table1"] if r["organisation_id"] == seeded.omsk_id)
    call = next(c for c in row["calls"] if c["dials"][0]["check_id"] == seeded.connected_id)
    assert call["etiquette"] == ["organisation_only", "none"]
    # With the other connected call of the organisation, judged 'full' before.
    assert row["etiquette_marks"] == {"7": 1, "8": 1, "9": 1}
    xlsx = tmp_path / "p.xlsx"
    xlsx.write_bytes(page.request.get(export + "?fmt=xlsx").body())
    sheet = load_workbook(xlsx)["Протокол 6 табл. 1"]
    cells = next(
        [c.value for c in r] for r in sheet.iter_rows(min_row=7) if r[1].value == row["name"]
    )
    assert cells[6:9] == ["+", "+", "+"]


def test_a_viewer_sees_no_action_buttons_and_a_forged_post_is_refused(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine
) -> None:
    _login(page, server, "viewer")
    page.goto(f"{server.url}/checks/{seeded.connected_id}")
    expect(page.locator("#check-outcome")).to_have_text("соединение")
    expect(page.locator("#actions")).to_have_count(0)
    expect(page.locator("form[action*='/review']")).to_have_count(0)
    # The viewer's own valid CSRF token: only the role is missing.
    token = page.locator("form.logout input[name=csrf_token]").get_attribute("value")
    response = page.request.post(
        f"{server.url}/checks/{seeded.connected_id}/review",
        form={"csrf_token": token or "", "field": "grade", "value": "excellent"},
    )
    assert response.status == 403
    refusal = "Недостаточно прав: действие доступно только оператору и администратору."
    assert refusal in response.text()
    with session_scope(engine) as db:
        assert db.exec(select(Review).where(Review.check_id == seeded.connected_id)).all() == []


def test_a_long_word_in_a_note_wraps_and_a_too_long_text_names_its_field(
    page: Page, server: WebServer, seeded: Seeded
) -> None:
    _login(page, server, "operator")
    page.goto(f"{server.url}/checks/{seeded.connected_id}")
    page.fill("#form-note textarea[name=value]", "Ы" * 3900)
    page.click("#form-note button")
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width
    token = page.locator("form.logout input[name=csrf_token]").get_attribute("value")
    response = page.request.post(
        f"{server.url}/checks/{seeded.connected_id}/review",
        form={"csrf_token": token or "", "field": "note", "value": "я" * 4001},
    )
    assert response.status == 400
    assert (
        "Слишком длинный текст в поле «Заметка»: допускается не более 4000 символов "
        "(введено 4001)." in response.text()
    )

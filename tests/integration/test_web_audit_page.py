"""The audit log page in Chromium (issue 16): filters by user, action, object and date, pages,
Russian action names, local time with the zone named once; every role reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from storage.audit import write_audit
from storage.engine import session_scope
from tests.integration.browser_support import guide_shot, login
from tests.integration.test_web_support import Seeded, WebServer, logged_in

pytestmark = pytest.mark.integration
DAY = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 10:00 in Omsk


def _history(engine: Engine, seeded: Seeded) -> None:
    """Sixty reviews by anna over three days, and a campaign paused by the admin."""
    with session_scope(engine) as db:
        for n in range(60):
            row = write_audit(
                session=db, actor="anna", action="review", entity="check",
                entity_id=str(seeded.busy_id), before=None,
                after={"field": "note", "value": f"заметка {n}"},
            )  # fmt: skip
            row.at = DAY + timedelta(hours=n)
        paused = write_audit(
            session=db, actor="admin", action="pause", entity="campaign",
            entity_id=str(seeded.campaign_id), before={"status": "running"},
            after={"status": "paused"},
        )  # fmt: skip
        paused.at = DAY + timedelta(days=5)


def _rows(page: Page) -> list[int]:
    rows = page.locator("#audit-table tbody tr")
    return [int(x) for x in rows.evaluate_all("rows => rows.map(r => r.dataset.auditId)")]


def test_an_admin_filters_and_pages_the_audit_log(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _history(engine, seeded)
    login(page, server, "admin", target="/audit")
    # The zone is named once, above the table; the cells carry only the time.
    expect(page.locator("p.hint")).to_contain_text("Время — Asia/Omsk, UTC+6.")
    newest = page.locator("#audit-table tbody tr").first
    expect(newest.locator(".at")).to_have_text("07.03.2026 10:00:00")
    expect(newest.locator(".action-name")).to_have_text("пауза кампании")
    expect(newest.locator(".entity")).to_have_text(f"кампания {seeded.campaign_id}")
    expect(newest.locator(".changes")).to_have_text("состояние: идёт → приостановлена")
    guide_shot(page, tmp_path, "audit-log.png")

    page.select_option("select[name=actor]", "anna")
    page.select_option("select[name=action]", "review")
    page.click("#audit-filters button[type=submit]")
    expect(page.locator("#audit-total")).to_have_text("Записей: 60")
    first = _rows(page)
    assert len(first) == 50
    expect(page.locator("#audit-table .action-name").first).to_have_text(
        "оценка или решение по проверке"
    )
    link = page.locator("#audit-table .entity a").first
    expect(link).to_have_attribute("href", f"/checks/{seeded.busy_id}")
    page.click("#next-page")
    assert len(_rows(page)) == 10 and max(_rows(page)) < min(first)
    expect(page.locator("#audit-table .changes").last).to_have_text(
        "графа: Заметка значение: заметка 0"
    )
    page.click("#prev-page")
    assert _rows(page) == first

    # Dates are days in the zone shown: 2 March is anna's first 14 hours (10:00-23:00 Omsk).
    page.goto(f"{server.url}/audit?actor=anna")
    page.fill("input[name=since]", "02.03.2026")
    page.fill("input[name=until]", "02.03.2026")
    page.click("#audit-filters button[type=submit]")
    expect(page.locator("#audit-total")).to_have_text("Записей: 14")
    page.goto(f"{server.url}/audit?actor=anna&since=2026-03-03&until=2026-03-03")
    expect(page.locator("#audit-total")).to_have_text("Записей: 24")
    page.goto(f"{server.url}/audit?entity=campaign&entity_id={seeded.campaign_id}")
    expect(page.locator("#audit-total")).to_have_text("Записей: 1")
    page.goto(f"{server.url}/audit?since=05.03.2026&until=01.03.2026")
    expect(page.locator("main")).to_contain_text("Дата «по» раньше даты «с».")
    page.goto(f"{server.url}/audit?since=вчера")
    expect(page.locator("main")).to_contain_text("Неверная дата «с»: «вчера» (нужно ДД.ММ.ГГГГ).")


def test_a_viewer_reads_the_audit_log_and_sees_the_operators_work(
    page: Page, server: WebServer, seeded: Seeded
) -> None:
    operator, token = logged_in(server, "operator")
    answer = operator.post(
        f"/checks/{seeded.busy_id}/verdict",
        data={"csrf_token": token, "value": "confirmed", "reason": "занято весь день"},
    )
    assert answer.status_code == 303
    login(page, server, "viewer")
    page.click("header nav a:has-text('Журнал действий')")
    page.select_option("select[name=actor]", "operator")
    page.click("#audit-filters button[type=submit]")
    expect(page.locator("#audit-total")).to_have_text("Записей: 1")
    row = page.locator("#audit-table tbody tr")
    expect(row.locator(".action-name")).to_have_text("оценка или решение по проверке")
    expect(row.locator(".changes")).to_contain_text("графа: Вердикт")
    expect(row.locator(".changes")).to_contain_text("причина: занято весь день")
    expect(page.locator("form[method=post]:not(.logout)")).to_have_count(0)


def test_the_audit_log_and_the_queue_refuse_a_bad_page_position_alike(
    server: WebServer, seeded: Seeded
) -> None:
    viewer, _ = logged_in(server, "viewer")
    for path in ("/audit", "/queue"):
        for query in ("after=-5", "before=x"):
            answer = viewer.get(f"{path}?{query}")
            assert answer.status_code == 400, (path, query)
            text = query.split("=")[1]
            assert f"Неверная позиция страницы: «{text}»." in answer.text, (path, query)

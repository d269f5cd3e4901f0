"""The ministry's work in a real browser (Debian's chromium, headless) on a fresh database:
import its directory, see each bad row in Russian, fix and re-import; confirm a shared contact;
create a campaign from the form, see its plan, start, pause, resume and cancel it (issue 16).

The screenshots of docs/guide.md come from here (`UPDATE_DOC_SCREENSHOTS=1`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from probe.directory.importer import bundled_path
from probe.web.labels import listed_channels
from schedules import campaigns as service
from schedules.spec import parse_campaign
from storage.engine import session_scope
from storage.models import AuditLog, Campaign, Check, Contact, Organisation
from tests.integration.browser_support import shown_dates
from tests.integration.test_web_support import (
    PASSWORD,
    WebServer,
    _accounts,
    logged_in,
    make_settings,
    running_server,
)

pytestmark = pytest.mark.integration

GUIDE_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "guide"
UPDATE_DOCS = os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"
HEADER = ["Наименование", "Регион", "Вид", "Телефоны", "Электронная почта", "Режим работы"]
GOOD = [
    ["БУ «КЦСОН «Любава»", "Омская область", "КЦСОН", "+7(3812)63-19-10", "lubava@example.ru",
     "пн-пт 9:00-18:00, перерыв с 13.00 до 14.00"],
    ["БУ «КЦСОН «Пенаты»", "Омская область", "КЦСОН", "+7 (3812) 32-49-46", "", ""],
]  # fmt: skip
MARS = ["ЦСО Марса", "Марс", "ЦСО", "+7(3812) 32-11-00", "", ""]
BAD_MAIL = ["ЦСО Тары", "omsk", "ЦСО", "8-381-71-2-25-21", "vдох_tara@mail.ru", ""]


@pytest.fixture
def fresh(engine: Engine) -> Engine:
    """A fresh database: the three accounts and nothing else."""
    with session_scope(engine) as db:
        _accounts(db)
    return engine


@pytest.fixture
def server(fresh: Engine, sqlite_url: str, tmp_path: Path) -> Iterator[WebServer]:
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=fresh, settings=settings)


def _login(page: Page, server: WebServer, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    expect(page).to_have_url(server.url + "/queue")


def _shot(page: Page, tmp_path: Path, name: str, *, full_page: bool = False) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_DOCS:
        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, GUIDE_SHOTS / name)


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def _problems(page: Page) -> list[list[str]]:
    rows = page.locator("#import-problems tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def _organisations(engine: Engine) -> list[str]:
    with session_scope(engine) as db:
        return sorted(o.name for o in db.exec(select(Organisation)).all())


def _audit(engine: Engine, action: str) -> list[AuditLog]:
    with session_scope(engine) as db:
        return list(db.exec(select(AuditLog).where(col(AuditLog.action) == action)).all())


def test_admin_imports_a_spreadsheet_sees_each_bad_row_in_russian_fixes_it_and_reimports(
    page: Page, server: WebServer, fresh: Engine, tmp_path: Path
) -> None:
    _login(page, server, "admin")
    page.click("nav a:has-text('Справочник')")
    page.set_input_files("#form-import input[name=file]", str(_xlsx(
        tmp_path / "справочник.xlsx", [*GOOD, MARS, BAD_MAIL]
    )))  # fmt: skip
    page.click("#form-import button")
    expect(page.locator("#import-summary")).to_contain_text(
        "Загружено организаций — 3, телефонов — 3, адресов — 2, сайтов — 0. Строк не загружено: 1"
    )
    assert _problems(page) == [
        ["4", "Регион", "Марс", "неизвестный регион «Марс»: укажите название (например, "
         "«Омская область») или код (omsk)", "строка не загружена"],
        ["5", "Электронная почта", "vдох_tara@mail.ru", "русская буква «д» в латинском адресе "
         "«vдох_tara@mail.ru» (позиция 2); возможно, «vdoh_tara@mail.ru»",
         "загружено с предупреждением"],
    ]  # fmt: skip
    _shot(page, tmp_path, "directory-import.png", full_page=True)
    assert _organisations(fresh) == ["БУ «КЦСОН «Любава»", "БУ «КЦСОН «Пенаты»", "ЦСО Тары"]

    # The row fixed in the file; the same file again: nothing duplicated, the fixed row added.
    MARS_FIXED = ["ЦСО Марса", "Омская область", *MARS[2:]]
    path = _xlsx(tmp_path / "справочник.xlsx", [*GOOD, MARS_FIXED, BAD_MAIL])
    page.set_input_files("#form-import input[name=file]", str(path))
    page.click("#form-import button")
    expect(page.locator("#import-summary")).to_contain_text("Загружено организаций — 4")
    expect(page.locator("#import-summary")).not_to_contain_text("Строк не загружено")
    expect(page.locator("#import-stats")).to_contain_text("новых 1, обновлено 0, без изменений 3")
    assert len(_organisations(fresh)) == 4


def test_a_file_that_is_not_a_directory_is_refused_in_russian(
    page: Page, server: WebServer, fresh: Engine, tmp_path: Path
) -> None:
    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    bad = tmp_path / "список.csv"
    bad.write_text("Адрес;Телефон\nг. Омск;1\n", encoding="utf-8")
    page.set_input_files("#form-import input[name=file]", str(bad))
    page.click("#form-import button")
    expect(page.locator("#directory-error")).to_have_text(
        "список.csv: нет обязательного столбца «Наименование» (name); в первой строке: "
        "'Адрес', 'Телефон'"
    )
    page.set_input_files("#form-import input[name=file]", str(tmp_path / _pdf(tmp_path)))
    page.click("#form-import button")
    expect(page.locator("#directory-error")).to_have_text(
        "Файл «приказ.pdf» не принят: загрузите таблицу .xlsx, .csv или .yaml."
    )
    # «только проверить»: the report, nothing written (`--dry-run`).
    page.set_input_files("#form-import input[name=file]", str(_xlsx(tmp_path / "g.xlsx", GOOD)))
    page.check("#form-import input[name=check_only]")
    page.click("#form-import button")
    expect(page.locator("#import-summary")).to_contain_text(
        "Проверено, ничего не записано: организаций — 2, телефонов — 2, адресов — 1, сайтов — 0."
    )
    assert page.locator("#import-stats").count() == 0
    assert _organisations(fresh) == []


def _pdf(tmp_path: Path) -> str:
    (tmp_path / "приказ.pdf").write_bytes(b"%PDF-1.4\n")
    return "приказ.pdf"


def test_an_operator_confirms_a_contact_two_organisations_publish(
    page: Page, server: WebServer, fresh: Engine, tmp_path: Path
) -> None:
    shared = [["ЦСО Азова", "rostov", "ЦСО", "8(86342) 4-03-61", "", ""],
              ["ЦСО Азовского района", "rostov", "ЦСО", "8(86342) 4-03-61", "", ""]]  # fmt: skip
    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    page.set_input_files("#form-import input[name=file]", str(_xlsx(tmp_path / "r.xlsx", shared)))
    page.click("#form-import button")
    expect(page.locator("#import-problems tbody tr")).to_have_count(2)
    expect(page.locator("#import-problems tbody tr").first).to_contain_text(
        "указан и другой организацией (строка 3 (ЦСО Азовского района))"
    )
    page.click("button:has-text('Выйти')")

    _login(page, server, "operator")
    page.goto(server.url + "/directory")
    assert page.locator("#form-import").count() == 0  # importing is the admin's
    held = page.locator("#held-contacts tbody tr")
    expect(held).to_have_count(2)
    expect(held.first).to_contain_text("указан и другой организацией: строка 3 (ЦСО Азовского")
    first = held.first.get_attribute("data-contact-id")
    held.first.locator("button").click()
    expect(page.locator("#directory-error")).to_have_text(
        "Укажите, откуда известно, что контакт этой организации."
    )
    page.locator(f"tr[data-contact-id='{first}'] input[name=reason]").fill("звонили, подтвердили")
    page.locator(f"tr[data-contact-id='{first}'] button").click()
    expect(page.locator("#flash")).to_have_text(
        f"Контакт №{first} подтверждён: он будет вызываться."
    )
    expect(page.locator("#held-contacts tbody tr")).to_have_count(1)
    with session_scope(fresh) as db:
        contact = db.get(Contact, int(first or 0))
        assert contact is not None and contact.held is None
        assert contact.confirmed_by == "operator"
    assert [a.actor for a in _audit(fresh, "confirm_shared")] == ["operator"]


def _fill_campaign(page: Page, *, name: str, start: date, end: date) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=title]", "КЦСОН Омской области, проверка")
    page.fill("input[name=start]", start.isoformat())
    page.fill("input[name=end]", end.isoformat())
    page.check("input[name=org_mode][value=filter]")
    page.check("input[name=region][value=omsk]")
    page.check("input[name=kind][value=КЦСОН]")


def test_admin_imports_the_bundled_directory_creates_plans_and_runs_a_campaign(
    page: Page, server: WebServer, fresh: Engine, tmp_path: Path
) -> None:
    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    page.set_input_files("#form-import input[name=file]", str(bundled_path("omsk-kcson")))
    page.click("#form-import button")
    expect(page.locator("#import-summary")).to_contain_text("Загружено организаций — 38")

    page.click("nav a:has-text('Кампании')")
    page.click("#new-campaign")
    channels = page.locator("input[name=channels]")
    # The registry's channels (those staff choose among), not a list of the page's own.
    offered = channels.evaluate_all("xs => xs.map(x => x.value)")
    assert offered == listed_channels() and {"email", "phone"} <= set(offered)
    for other in set(offered) - {"email", "phone"}:
        page.uncheck(f"input[name=channels][value={other}]")
    # Mistakes first: each error beside its field, what was typed kept.
    today = date.today()
    _fill_campaign(page, name="омск 2026", start=today + timedelta(days=5), end=today)
    page.fill("input[name='calls.per_contact']", "0")
    page.fill("input[name='limits.quiet_minutes']", "три")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#form-errors")).to_be_visible()
    errors = page.locator(".field-error")
    assert {e.get_attribute("data-field"): e.inner_text() for e in errors.all()} == {
        "name": "Только латинские буквы, цифры и знаки . _ - (без пробелов).",
        "calls.per_contact": "Не меньше 1.",
        "limits.quiet_minutes": "Введите число.",
    }
    expect(page.locator("input[name=title]")).to_have_value("КЦСОН Омской области, проверка")
    # The dates as Russians write them, in the fields too (the page says lang="ru").
    assert shown_dates(page) == [f"{today + timedelta(days=5):%d.%m.%Y}", f"{today:%d.%m.%Y}"]
    page.fill("input[name=name]", "omsk-now")
    page.fill("input[name='calls.per_contact']", "3")
    page.fill("input[name='limits.quiet_minutes']", "3")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator(".field-error[data-field=end]")).to_have_text(
        "Дата окончания раньше даты начала."
    )
    _shot(page, tmp_path, "campaign-new.png", full_page=True)
    page.fill("input[name=start]", today.isoformat())
    page.fill("input[name=end]", (today + timedelta(days=13)).isoformat())
    page.click("#campaign-form button[type=submit]")

    expect(page.locator("#flash")).to_have_text(
        "Кампания создана (черновик). Проверьте план и запустите её."
    )
    expect(page.locator("#plan-zone")).to_have_text("Время местное, часовой пояс Asia/Omsk.")
    expect(page.locator("#campaign-rules")).to_contain_text("«Не отвечает»повтор через 2 ч")
    summary = page.locator("#plan-summary").inner_text()
    assert "Организаций в плане: 38" in summary, summary
    expect(page.locator("#plan-calendar tbody tr")).to_have_count(38)
    # The Omsk ministry's hours, assumed: the bundled directory publishes none.
    expect(page.locator("#plan-calendar tbody tr th .sub").first).to_have_text(
        "Омская область; часы: пн–чт 8:30–17:45, перерыв 13:00–14:00; пт 8:30–16:30, перерыв "
        "13:00–14:00 (по умолчанию для региона)"
    )
    _shot(page, tmp_path, "campaign-plan.png")
    with session_scope(fresh) as db:
        assert db.exec(select(Check)).all() == []  # the preview writes nothing

    page.click("#action-start")
    expect(page.locator("#flash")).to_contain_text("Кампания запущена: запланировано проверок — ")
    planned = int(page.locator("#flash").inner_text().rsplit("— ", 1)[1].rstrip("."))
    expect(page.locator("#campaign-status")).to_have_text("идёт")
    with session_scope(fresh) as db:
        checks = db.exec(select(Check)).all()
        assert len(checks) == planned > 38 and {c.status for c in checks} == {"planned"}
    expect(page.locator("#plan-calendar .attempt")).to_have_count(planned)

    page.click("#action-pause")
    expect(page.locator("#campaign-status")).to_have_text("приостановлена")
    page.click("#action-resume")
    expect(page.locator("#campaign-status")).to_have_text("идёт")
    page.click("#action-cancel")  # not confirmed: nothing happens
    expect(page.locator("#campaign-error")).to_contain_text("Отмена кампании необратима")
    expect(page.locator("#campaign-status")).to_have_text("идёт")
    page.check("#form-cancel input[name=confirm]")
    page.click("#action-cancel")
    expect(page.locator("#campaign-status")).to_have_text("отменена")
    with session_scope(fresh) as db:
        assert {c.status for c in db.exec(select(Check)).all()} == {"cancelled"}
    actions = [a.action for a in _audit(fresh, "start") + _audit(fresh, "pause")
               + _audit(fresh, "resume") + _audit(fresh, "cancel")]  # fmt: skip
    assert actions == ["start", "pause", "resume", "cancel"]
    journal = page.locator("#campaign-journal tbody tr")
    assert [r.locator("td").all_inner_texts()[1:] for r in journal.all()] == [
        ["admin", what]
        for what in ("создана", "запущена", "приостановлена", "продолжена", "отменена")
    ]
    assert {a.actor for a in _audit(fresh, "cancel")} == {"admin"}


def test_a_campaign_that_can_plan_nothing_refuses_to_start_in_the_browser(
    page: Page, server: WebServer, fresh: Engine, tmp_path: Path
) -> None:
    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    page.set_input_files("#form-import input[name=file]", str(bundled_path("omsk-kcson")))
    page.click("#form-import button")
    page.goto(server.url + "/campaigns/new")
    # The README's example as printed: April 2026, past by now.
    _fill_campaign(page, name="omsk-2026-q2", start=date(2026, 4, 6), end=date(2026, 4, 17))
    page.check("input[name=channels][value=phone]")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#plan-summary")).to_have_text(
        "Ничего не удаётся запланировать: запуск будет отклонён. Причины — ниже."
    )
    expect(page.locator("#plan-missed tbody tr")).to_have_count(38)
    page.click("#action-start")
    expect(page.locator("#campaign-error")).to_have_text(
        "Кампанию нельзя запустить: не удаётся запланировать ни одной проверки (нет рабочего "
        "времени организации между датами начала и окончания — организаций: 38). Последний "
        "день кампании, 17.04.2026, уже прошёл: создайте кампанию с новыми датами."
    )
    expect(page.locator("#campaign-status")).to_have_text("черновик")
    expect(page.locator("#campaign-journal")).to_contain_text("создана")
    expect(page.locator("h2:has-text('Журнал кампании') .sub")).to_have_text("(время — Asia/Omsk)")
    _shot(page, tmp_path, "campaign-refused.png")
    with session_scope(fresh) as db:
        campaign = db.exec(select(Campaign)).one()
        assert campaign.status == "draft" and db.exec(select(Check)).all() == []
    assert _audit(fresh, "start") == []


def test_what_each_role_may_do(page: Page, server: WebServer, fresh: Engine) -> None:
    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    # The directory shipped with the product, as `probe directory import --bundled omsk-kcson`.
    page.select_option("#form-import select[name=bundled]", "omsk-kcson")
    page.click("#form-import button")
    expect(page.locator("#import-report h2")).to_have_text("Результат: bundled:omsk-kcson")
    expect(page.locator("#import-summary")).to_contain_text("Загружено организаций — 38")
    with session_scope(fresh) as db:
        sources = {o.source for o in db.exec(select(Organisation)).all()}
        assert sources == {"bundled:omsk-kcson"}
    page.goto(server.url + "/campaigns/new")
    today = date.today()
    _fill_campaign(page, name="roles", start=today, end=today + timedelta(days=13))
    page.check("input[name=channels][value=email]")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#action-start")).to_be_visible()
    plan_url = page.url.split("?")[0]
    page.goto(server.url + "/campaigns")
    assert page.locator("select[name=status]").count() == 0
    page.click("a:has-text('План и управление')")
    expect(page).to_have_url(plan_url)
    page.click("#dashboard-link")  # the campaign's dashboard and back
    page.click("#plan-link")
    expect(page).to_have_url(plan_url)
    page.click("button:has-text('Выйти')")

    _login(page, server, "operator")
    page.goto(plan_url)
    expect(page.locator("#plan-calendar tbody tr")).to_have_count(38)
    assert page.locator("#campaign-actions").count() == 0
    page.goto(server.url + "/campaigns")
    assert page.locator("#new-campaign").count() == 0
    # No raw status select: a status changes only through the lifecycle (start plans first).
    assert page.locator("select[name=status]").count() == 0
    page.goto(server.url + "/campaigns/new")
    expect(page.locator("#error-message")).to_have_text(
        "Недостаточно прав: действие доступно только администратору."
    )
    page.click("button:has-text('Выйти')")

    _login(page, server, "viewer")
    assert page.locator("nav a:has-text('Справочник')").count() == 0
    page.goto(server.url + "/directory")
    expect(page.locator("#error-message")).to_have_text(
        "Недостаточно прав: действие доступно только оператору и администратору."
    )


def test_the_ministry_forms_need_the_csrf_token_and_the_role(
    server: WebServer, fresh: Engine
) -> None:
    spec = {"name": "c", "organisations": {"all": True}, "channels": ["phone"],
            "start": "2026-04-06", "end": "2026-04-17"}  # fmt: skip
    campaign = service.create(engine=fresh, spec=parse_campaign(spec), actor="t")
    posts = {
        "/directory/import": {"bundled": "omsk-kcson"},
        "/campaigns/new": {"name": "x"},
        f"/campaigns/{campaign.id}/lifecycle": {"action": "cancel", "confirm": "1"},
        "/directory/contacts/1/confirm": {"reason": "так"},
    }
    admin, token = logged_in(server, "admin")
    for path, data in posts.items():
        refused = admin.post(path, data=data)  # no token: another site's form
        assert refused.status_code == 403 and "неверный CSRF-токен" in refused.text, path
    viewer, viewer_token = logged_in(server, "viewer")
    for path, data in posts.items():
        refused = viewer.post(path, data={**data, "csrf_token": viewer_token})
        assert refused.status_code == 403 and "Недостаточно прав" in refused.text, path
    assert _organisations(fresh) == [] and service.get(engine=fresh, name="c").status == "draft"
    cancelled = admin.post(
        f"/campaigns/{campaign.id}/lifecycle",
        data={"action": "cancel", "confirm": "1", "csrf_token": token},
    )
    assert cancelled.status_code == 303
    assert service.get(engine=fresh, name="c").status == "cancelled"


def test_the_campaign_form_starts_from_today_on_the_process_clock(
    page: Page, server: WebServer, fresh: Engine
) -> None:
    """Two weeks from today, the ministry's today as the server's clock has it: on the
    sandbox's compressed clock (April 2026 in Omsk) a campaign typed with the wall calendar's
    dates would be planned months ahead of the sandbox."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from probe.clock import WarpClock, set_clock

    _login(page, server, "admin")
    page.goto(server.url + "/directory")
    page.select_option("#form-import select[name=bundled]", "omsk-kcson")
    page.click("#form-import button")
    # 23:30 UTC on 5 April is already the 6th in Omsk, the directory's zone.
    previous = set_clock(WarpClock(datetime(2026, 4, 5, 23, 30, tzinfo=ZoneInfo("UTC")), 1.0))
    try:
        page.goto(server.url + "/campaigns/new")
    finally:
        set_clock(previous)
    expect(page.locator("input[name=start]")).to_have_value("2026-04-06")
    expect(page.locator("input[name=end]")).to_have_value("2026-04-19")
    assert shown_dates(page) == ["06.04.2026", "19.04.2026"]

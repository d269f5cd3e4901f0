"""A web check's page in a real browser (Debian's chromium): the real web probe walks a real
nginx site (a form behind a CAPTCHA, an FAQ accordion, a number the directory lacks), the result
is stored on the one result path, and an operator reads what was found where, with its
screenshot, confirms one service's verdict, overturns another, decides the one the CAPTCHA left
to them, and answers «справочник может быть устаревшим»; the export's columns 7-12 follow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.engine import Engine
from sqlmodel import select

from adapters.web.config import WebSettings
from probe.channels import ProbeTarget, get_channel
from probe.export import export_campaign
from probe.runner import run_probe
from probe.sandbox.websites import SiteRequest, nginx_installed, serve_websites
from probe.settings import Settings
from schedules.completion import record, sink_for
from storage.checks import create_check
from storage.engine import session_scope
from storage.models import Check, Contact, Review
from tests.integration.test_web_browser import _login
from tests.integration.test_web_support import Seeded, WebServer, logged_in, running_server

pytestmark = pytest.mark.integration

DIRECTORY_PHONE = "+73812357000"  # the seeded Omsk centre's phone
OTHER_PHONE = "+73812215050"  # on the site only


@pytest.fixture
def web_settings(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    if not nginx_installed():
        pytest.fail("nginx is not installed: run `scripts/setup.sh --test`")
    # A form behind a CAPTCHA; the accordion FAQ and the survey link come from other kinds, so
    # the site is one kind: the CAPTCHA form (FAQ and survey absent).
    request = SiteRequest(
        "captcha_form", "КЦСОН «Пример»", (DIRECTORY_PHONE, OTHER_PHONE), ("kcson@example.ru",)
    )
    with serve_websites([request], tmp_path / "sites") as served:
        settings = Settings(
            database_url=sqlite_url,
            data_dir=tmp_path / "var",
            secret_key="test-secret-key",
            network="loopback",
            web={"ca_bundle": served.ca_bundle, "pause_seconds": 0.05},
        )
        yield settings, served.urls[0]


@pytest.fixture
def web_server(
    engine: Engine, web_settings: tuple[Settings, str], seeded: Seeded
) -> Iterator[WebServer]:
    yield from running_server(engine=engine, settings=web_settings[0])


def _probe_the_site(
    engine: Engine, settings: Settings, url: str, seeded: Seeded, render: str = "always"
) -> int:
    """The real probe through the runner's wrapper, stored as the engine stores a result."""
    with session_scope(engine) as db:
        contact = Contact(
            organisation_id=seeded.omsk_id, channel="web", key=url, raw=url, value=url
        )
        db.add(contact)
        db.flush()
        check = create_check(session=db, contact=contact, campaign_id=seeded.campaign_id)
        check.status = "running"
        db.flush()
        check_id = check.id
        assert check_id is not None
    # Rendered in Chromium: the findings get their screenshots.
    target = ProbeTarget(check_id=check_id, channel="web", value=url, options={"render": render})
    # In a thread of its own: Playwright's sync API holds this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(
            asyncio.run, run_probe(get_channel("web"), target, settings=settings, timeout=120)
        ).result()
    assert result.outcome == "site_checked", result
    with session_scope(engine) as db:
        stored = db.get(Check, check_id)
        assert stored is not None
        # The seeded campaign has no spec to plan by: no attempt policy here.
        record(sink_for(engine, settings).rt, db, stored, result, policy=False)
    return check_id


def test_operator_reads_the_sites_findings_and_confirms_or_overturns_each_service(
    page: Page,
    web_server: WebServer,
    web_settings: tuple[Settings, str],
    seeded: Seeded,
    engine: Engine,
    tmp_path: Path,
) -> None:
    settings, url = web_settings
    check_id = _probe_the_site(engine, settings, url, seeded)
    _login(page, web_server, "operator")
    page.goto(f"{web_server.url}/checks/{check_id}")
    site = page.locator("#site")
    expect(site.locator("#site-url")).to_contain_text("https://127.0.0.1:")
    form = site.locator("tr[data-service=web_form]")
    expect(form.locator("td.present")).to_have_text("да")
    expect(form.locator(".operator-needed")).to_have_text(
        "форма защищена капчей: работу проверяет оператор"
    )
    expect(form.locator(".finding code")).not_to_have_count(0)
    expect(form.locator("a.snapshot")).not_to_have_count(0)
    # The form's screenshot is shown: a PNG the browser decoded.
    shot = form.locator("img.screenshot").first
    expect(shot).to_be_visible()
    assert shot.evaluate("img => img.naturalWidth") > 100
    faq = site.locator("tr[data-service=faq]")
    expect(faq.locator("td.present")).to_have_text("нет")
    # The number the directory lacks is marked; the one it lists is not.
    expect(site.locator("#site-contacts li.unlisted")).to_contain_text(OTHER_PHONE)
    expect(site.locator("#site-contacts li.listed")).to_have_text(
        [DIRECTORY_PHONE, "kcson@example.ru"]
    )
    expect(page.locator("#needs")).to_contain_text("справочник может быть устаревшим")
    page.screenshot(path=str(tmp_path / "web-check.png"), full_page=True)

    # No FAQ: the operator confirms the finding.
    faq.locator("#confirm-faq button").click()
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    expect(site.locator("tr[data-service=faq] .current")).to_have_text("нет")
    # The survey: the operator found it after all (a link the probe did not follow).
    survey = site.locator("tr[data-service=survey]")
    survey.locator("#form-survey select[name=value]").select_option("working")
    survey.locator("#form-survey input[name=reason]").fill("ссылка на анкету в разделе «Документы»")
    survey.locator("#form-survey button").click()
    expect(site.locator("tr[data-service=survey] .current")).to_have_text("есть, работает")
    # The CAPTCHA form: no confirm button (the probe did not judge it); the operator decides.
    form = site.locator("tr[data-service=web_form]")
    expect(form.locator("#confirm-web_form")).to_have_count(0)
    form.locator("#form-web_form select[name=value]").select_option("working")
    form.locator("#form-web_form button").click()
    expect(site.locator("tr[data-service=web_form] .current")).to_have_text("есть, работает")
    # The directory: checked, it is current (the other number is the site's old one).
    page.select_option("#form-directory select[name=value]", "current")
    page.click("#form-directory button")
    expect(page.locator("#needs")).to_have_count(0)

    with session_scope(engine) as db:
        reviews = db.exec(select(Review).where(Review.check_id == check_id)).all()
        assert sorted((r.field, r.value, r.author) for r in reviews) == [
            ("directory", "current", "operator"),
            ("faq", "absent", "operator"),
            ("survey", "working", "operator"),
            ("web_form", "working", "operator"),
        ]
    path = export_campaign(
        engine=engine, campaign=seeded.campaign_id, fmt="xlsx", out=tmp_path / "p.xlsx"
    )
    rows = {
        r[1]: r[6:12]
        for r in load_workbook(path)["Протокол 5 табл. 1"].iter_rows(values_only=True)
        if isinstance(r[0], int)
    }
    assert ("да", "да", "нет", "нет", "да", "да") in rows.values()


def test_a_screenshot_is_served_inline_only_as_a_png(
    web_server: WebServer, web_settings: tuple[Settings, str], seeded: Seeded, engine: Engine
) -> None:
    settings, url = web_settings
    check_id = _probe_the_site(engine, settings, url, seeded)
    with session_scope(engine) as db:
        check = db.get(Check, check_id)
        assert check is not None
        kinds = [e["kind"] for e in check.evidence]
    shot, snapshot = kinds.index("screenshot"), kinds.index("page_snapshot")
    client, _ = logged_in(web_server, "viewer")
    image = client.get(f"/checks/{check_id}/evidence/{shot}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    html = client.get(f"/checks/{check_id}/evidence/{snapshot}")
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")
    assert isinstance(client, httpx.Client)


def test_the_check_page_says_in_russian_why_the_findings_have_no_screenshot(
    web_server: WebServer, web_settings: tuple[Settings, str], seeded: Seeded, engine: Engine
) -> None:
    settings, url = web_settings
    # No browser on the prober's machine: the static page is read, its form found, no picture.
    web = settings.web.model_dump() | {
        "chromium": "/nonexistent/chromium",
        "screenshot_static": True,
    }
    without = settings.model_copy(update={"web": WebSettings.model_validate(web)})
    check_id = _probe_the_site(engine, without, url, seeded, render="auto")
    with session_scope(engine) as db:
        check = db.get(Check, check_id)
        assert check is not None
        assert check.details["screenshot_failure"] == "browser_unavailable"
    client, _ = logged_in(web_server, "viewer")
    page = LexborHTMLParser(client.get(f"/checks/{check_id}").text)
    shown = " ".join(page.css_first("#screenshot-error").text().split())
    assert shown.startswith(
        "браузер на сервере проверки не найден или не запустился — сообщите администратору. "
        "Страницы прочитаны без браузера: наличие и работа сервисов от этого не зависят"
    )
    assert "PROBE_WEB__CHROMIUM" in shown  # the probe's own words beside it
    form = page.css_first("tr[data-service=web_form]")
    assert form.css_first("td.present").text() == "да" and not form.css("img.screenshot")

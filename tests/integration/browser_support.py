"""Chromium for the web UI's browser tests, and the screenshots the user guide shows.

`UPDATE_DOC_SCREENSHOTS=1` copies a test's screenshots into docs/screenshots/guide/ (viewport
only, kept small); without it they stay in the test's tmp_path and are only checked to be PNGs.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.test_web_support import PASSWORD, WebServer

CHROMIUM = Path("/usr/bin/chromium")
GUIDE_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "guide"
UPDATE_DOCS = os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: run `scripts/setup.sh --test`")
    with sync_playwright() as playwright:
        # As root chromium needs --no-sandbox; the rest keeps it from calling home.
        # LangAttributeAwareFormControlUI: a date field is shown in the page's language (the
        # pages say `lang="ru"`: dd.mm.yyyy), as a Russian browser shows it; without it
        # headless Chromium shows its own English mm/dd/yyyy whatever the context's locale.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--enable-blink-features=LangAttributeAwareFormControlUI",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    try:
        yield context.new_page()
    finally:
        context.close()


def login(page: Page, server: WebServer, username: str, *, target: str = "/queue") -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    expect(page).to_have_url(server.url + "/queue")
    if target != "/queue":
        page.goto(server.url + target)


def guide_shot(page: Page, tmp_path: Path, name: str) -> Path:
    """A screenshot for docs/guide.md (copied there with UPDATE_DOC_SCREENSHOTS=1)."""
    path = tmp_path / name
    page.screenshot(path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_DOCS:
        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, GUIDE_SHOTS / name)
    return path


Node = dict[str, Any]


def _texts(node: Node) -> str:
    own = str(node.get("nodeValue", "")) if node.get("nodeType") == 3 else ""
    return own + "".join(_texts(c) for k in ("children", "shadowRoots") for c in node.get(k, []))


def _date_fields(node: Node) -> Iterator[Node]:
    attributes = node.get("attributes", [])
    pairs = zip(attributes[::2], attributes[1::2], strict=True)
    if node.get("nodeName") == "INPUT" and ("type", "date") in pairs:
        yield node
    for key in ("children", "shadowRoots", "contentDocument"):
        found = node.get(key, [])
        for child in [found] if isinstance(found, dict) else found:
            yield from _date_fields(child)


def shown_dates(page: Page) -> list[str]:
    """What each date field on the page shows, as the user sees it: the fields the browser
    draws inside it, read through the DevTools protocol (they are not in the page's DOM)."""
    session = page.context.new_cdp_session(page)
    try:
        document = session.send("DOM.getDocument", {"depth": -1, "pierce": True})
    finally:
        session.detach()
    return [_texts(field).strip() for field in _date_fields(document["root"])]


ISO_OR_US_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b")


def assert_russian_dates(page: Page) -> None:
    """Every date on the page as Russians write it: the text shows no 2026-04-06 or 04/06/2026,
    and each date field shows dd.mm.yyyy (or its empty «дд.мм.гггг»)."""
    text = page.locator("body").inner_text()
    assert not ISO_OR_US_DATE.findall(text), (page.url, ISO_OR_US_DATE.findall(text))
    for shown in shown_dates(page):
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}|дд\.мм\.гггг", shown), (page.url, shown)

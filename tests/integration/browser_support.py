"""Chromium for the web UI's browser tests, and the screenshots the user guide shows.

`UPDATE_DOC_SCREENSHOTS=1` copies a test's screenshots into docs/screenshots/guide/ (viewport
only, kept small); without it they stay in the test's tmp_path and are only checked to be PNGs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
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

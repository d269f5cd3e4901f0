"""Headless Chromium (Debian's, through Playwright) for pages whose content a script inserts.

Every request the browser makes is fulfilled by the polite fetcher: the same network gate,
certificate check (with the configured CA), User-Agent and one-request-at-a-time rule as the
static crawl; the page itself is paced like any page, its scripts and styles are not.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.web.detect import WIDGET_MOUNT
from adapters.web.fetch import PoliteFetcher, SiteError
from adapters.web.page import Page, folded
from probe.errors import DestinationRefusedError, OurSideError

_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}
_INSERTING = ("createelement", "innerhtml", "insertadjacenthtml", "appendchild", "document.write")


def shows_scripted_content(page: Page) -> bool:
    """Signs that a script inserts what a visitor sees: a <noscript> note, an empty container
    with an id beside scripts, or inline code that builds the page."""
    scripts = page.tree.css("script")
    if not scripts:
        return False
    if page.tree.css_first(f"noscript, {WIDGET_MOUNT}") is not None:
        return True
    for node in page.tree.css("div[id], section[id], main[id], span[id]"):
        child = node.child
        if child is None or (child.tag == "-text" and child.next is None and not node.text()):
            return True
    return any(w in folded(s.text() or "") for s in scripts for w in _INSERTING)


@dataclass
class View:
    """A rendered page kept open for its elements' screenshots."""

    html: str
    page: Any

    async def shot(self, selector: str, path: Path) -> bool:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            element = self.page.locator(selector).first
            if not await element.is_visible():  # hidden or absent: no waiting for it
                return False
            await element.scroll_into_view_if_needed(timeout=3000)
            await element.screenshot(path=str(path), timeout=5000)
        except Exception:  # hidden, zero-sized or gone: the evidence stays without a picture
            return False
        return True


class Renderer:
    def __init__(self, fetcher: PoliteFetcher, *, chromium: Path, timeout: float) -> None:
        self.fetcher = fetcher
        self.chromium = chromium
        self.timeout = timeout
        self._playwright: Any = None
        self._browser: Any = None
        self.restarts = 0

    async def ready(self) -> Any:
        """The browser, started once per probe; not starting is our failure, never a verdict
        of "absent" on a page we could not render."""
        if self._browser is None:
            from playwright.async_api import async_playwright

            if not self.chromium.exists():
                raise OurSideError(
                    f"chromium not found at {self.chromium} (PROBE_WEB__CHROMIUM)",
                    error_class="browser_unavailable",
                )
            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=str(self.chromium), headless=True, args=_ARGS
                )
            except Exception as error:
                await self.close()
                raise OurSideError(
                    f"chromium did not start: {error}"[:500], error_class="browser_unavailable"
                ) from error
        return self._browser

    async def _route(self, route: Any, request: Any) -> None:
        if not request.url.startswith(("http://", "https://")):
            await route.abort("blockedbyclient")
            return
        try:
            answer = await self.fetcher.fetch(
                request.url,
                method=request.method,
                paced=request.is_navigation_request(),
                content=request.post_data_buffer,
            )
        except (SiteError, DestinationRefusedError):
            await route.abort("failed")
            return
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in _DROPPED_HEADERS}
        await route.fulfill(status=answer.status, headers=headers, body=answer.body)

    async def _live(self) -> Any:
        """The browser for the next page: started again when it crashed on an earlier one."""
        if self._browser is not None and not self._browser.is_connected():
            self.restarts += 1
            await self.close()
        return await self.ready()

    @contextlib.asynccontextmanager
    async def open(self, url: str) -> AsyncIterator[View]:
        browser = await self._live()
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="ru-RU",
            user_agent=self.fetcher.settings.agent(),
        )
        try:
            page = await context.new_page()
            page.set_default_timeout(self.timeout * 1000)
            await page.route("**/*", self._route)
            await page.goto(url, wait_until="load")
            with contextlib.suppress(Exception):
                await page.wait_for_load_state("networkidle", timeout=self.timeout * 500)
            yield View(await page.content(), page)
        finally:
            await context.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                await self._browser.close()
        with contextlib.suppress(Exception):
            if self._playwright is not None:
                await self._playwright.stop()
        self._browser = self._playwright = None

"""Walk one site from its home page through its own links, within the budget (pages, depth,
time), politely; detect on each page, rendering those that show script-inserted content."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.web import contacts
from adapters.web.config import Config, WebSettings
from adapters.web.detect import FAQ_WORDS, FEEDBACK_WORDS, SURVEY_WORDS, Finding, detect
from adapters.web.fetch import PoliteFetcher, Response, SiteError
from adapters.web.page import Page, folded, same_site
from adapters.web.render import Renderer, shows_scripted_content
from probe.errors import OurSideError

# Links worth following first: what a visitor looking for these services would click.
_INTERESTING = (
    *FEEDBACK_WORDS,
    *FAQ_WORDS,
    *SURVEY_WORDS,
    "обращени",
    "приемн",
    "вопрос",
    "контакт",
)
_NOT_PAGES = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".zip", ".rar", ".jpg", ".jpeg", ".png", ".gif",
    ".svg", ".mp4", ".mp3", ".odt", ".ods", ".rtf", ".7z",
)  # fmt: skip


@dataclass
class Crawl:
    home: str
    final_url: str = ""
    redirects: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    robots_disallowed: list[str] = field(default_factory=list)
    broken_links: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    pages_fetched: int = 0
    pages_rendered: int = 0
    render_seconds: float = 0.0
    # The first page the browser could not open where its content needed it (a timeout, a
    # crash): that page's static verdicts stand; a service not found is then not established.
    render_error: str | None = None
    render_failures: int = 0
    # The browser could not photograph what a static page showed: evidence only, no verdict.
    # `screenshot_failure`: why, as a code the review page words (FAILURES).
    screenshot_error: str | None = None
    screenshot_failure: str | None = None
    budget_left: bool = True


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


# Why the browser did not open a page: `browser_unavailable` (ours: Chromium missing or not
# starting, OurSideError's class), `timeout` (the page took longer than render_timeout_seconds),
# `page_failed` (anything else: the page crashed it, a navigation error).
FAILURES = ("browser_unavailable", "timeout", "page_failed")


def _failure(error: BaseException) -> str:
    if isinstance(error, OurSideError):
        return "browser_unavailable"
    # Playwright's TimeoutError is not the built-in one; both mean the page took too long.
    if isinstance(error, TimeoutError) or type(error).__name__ == "TimeoutError":
        return "timeout"
    return "page_failed"


def _priority(item: tuple[str, int, str]) -> tuple[int, int]:
    _url, depth, text = item
    interesting = any(w in folded(text) for w in _INTERESTING)
    return (0 if interesting else 1, depth)


class Crawler:
    def __init__(
        self,
        fetcher: PoliteFetcher,
        settings: WebSettings,
        config: Config,
        evidence_dir: Path,
    ) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.config = config
        self.evidence_dir = evidence_dir
        self.max_pages = config.max_pages or settings.max_pages
        self.renderer = Renderer(
            fetcher, chromium=settings.chromium, timeout=settings.render_timeout_seconds
        )
        self.shots = 0

    async def run(self, home: str) -> Crawl:
        crawl = Crawl(home=home)
        deadline = time.monotonic() + self.settings.time_budget_seconds
        try:
            await self._walk(crawl, deadline)
            if self.settings.screenshot_static and self.config.render != "never":
                await self._photograph(crawl)
        finally:
            await self.renderer.close()
        return crawl

    async def _photograph(self, crawl: Crawl) -> None:
        """Screenshots of what was found on pages read without the browser, their pages opened
        once each, within the rendering budget."""
        waiting: dict[str, list[Finding]] = {}
        for finding in crawl.findings:
            if finding.screenshot is None and not finding.page.rendered:
                waiting.setdefault(finding.url, []).append(finding)
        for url, findings in waiting.items():
            if crawl.pages_rendered >= self.settings.max_rendered:
                return
            started = time.monotonic()
            try:
                async with self.renderer.open(url) as view:
                    crawl.pages_rendered += 1
                    for finding in findings:
                        await self._shoot(view, finding)
            except Exception as error:
                # No picture (the browser did not start, or the page did not open); the page
                # was read whole without the browser, so its verdicts stand as they are.
                if crawl.screenshot_error is None:
                    crawl.screenshot_error = _reason(error)
                    crawl.screenshot_failure = _failure(error)
                if isinstance(error, OurSideError):
                    return
            finally:
                crawl.render_seconds += time.monotonic() - started

    async def _shoot(self, view: Any, finding: Finding) -> None:
        self.shots += 1
        path = self.evidence_dir / "shots" / f"{self.shots:03d}-{finding.service}.png"
        if await view.shot(finding.selector, path):
            finding.screenshot = str(path.relative_to(self.evidence_dir))

    async def _walk(self, crawl: Crawl, deadline: float) -> None:
        queue: list[tuple[str, int, str]] = [(crawl.home, 0, "")]
        seen = {crawl.home}
        while queue:
            if crawl.pages_fetched >= self.max_pages or time.monotonic() > deadline:
                crawl.budget_left = False
                return
            queue.sort(key=_priority)
            url, depth, via = queue.pop(0)
            page = await self._visit(crawl, url, depth, via)
            if page is None or depth >= self.settings.max_depth:
                continue
            origin = crawl.final_url
            for link, text in page.links():
                path = urlsplit(link).path.lower()
                if link in seen or not same_site(link, origin) or path.endswith(_NOT_PAGES):
                    continue
                seen.add(link)
                queue.append((link, depth + 1, text))

    async def _visit(self, crawl: Crawl, url: str, depth: int, via: str) -> Page | None:
        home = not crawl.final_url
        if not await self.fetcher.allowed(url):
            crawl.robots_disallowed.append(url)
            return None
        try:
            response = await self.fetcher.fetch(url)
        except SiteError as error:
            if home:
                raise
            crawl.broken_links.append({"url": url, "error": error.reason})
            return None
        crawl.pages_fetched += 1
        if home:
            if response.status >= 400:
                raise SiteError(f"http: {response.status} on the home page", url)
            crawl.final_url, crawl.redirects = response.url, response.redirects
        elif response.status >= 400:
            crawl.broken_links.append({"url": url, "status": response.status})
            return None
        if not response.is_html:
            return None
        page = Page(response.url, response.text, depth, status=response.status, via_text=via)
        return await self._examine(crawl, page, response)

    async def _examine(self, crawl: Crawl, page: Page, response: Response) -> Page:
        number = len(crawl.pages) + 1
        snapshot = self.evidence_dir / "pages" / f"{number:03d}.html"
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_bytes(response.body)
        record = {
            "url": page.url,
            "status": page.status,
            "snapshot": str(snapshot.relative_to(self.evidence_dir)),
            "rendered": False,
            "http_version": response.http_version,
        }
        crawl.pages.append(record)
        wants = self.config.render == "always" or (
            self.config.render == "auto" and shows_scripted_content(page)
        )
        found: list[Finding] | None = None
        if wants and crawl.pages_rendered < self.settings.max_rendered:
            rendered = await self._render(crawl, page, record)
            if rendered is not None:
                page, found = rendered
                record["rendered"] = True
        if found is None:
            found = detect(page)
        for finding in found:
            finding.snapshot = str(snapshot.relative_to(self.evidence_dir))
        crawl.findings += found
        crawl.phones = list(dict.fromkeys(crawl.phones + contacts.phones(page)))
        crawl.emails = list(dict.fromkeys(crawl.emails + contacts.emails(page)))
        return page

    async def _render(
        self, crawl: Crawl, page: Page, record: dict[str, Any]
    ) -> tuple[Page, list[Finding]] | None:
        # A browser that cannot start at all: the check fails as ours (OurSideError). One that
        # crashed on an earlier page is started again by `open`. Starting it is rendering's
        # time too (bench/web_probe.py's share).
        started = time.monotonic()
        await self.renderer.ready()
        try:
            async with self.renderer.open(page.url) as view:
                crawl.pages_rendered += 1
                seen = Page(page.url, view.html, page.depth, True, page.status, page.via_text)
                found = detect(seen)
                for finding in found:
                    await self._shoot(view, finding)
                return seen, found
        except Exception as error:  # this page failed to render: its static verdicts stand
            record["render_error"] = _reason(error)
            crawl.render_error = crawl.render_error or record["render_error"]
            crawl.render_failures += 1
            return None
        finally:
            crawl.render_seconds += time.monotonic() - started

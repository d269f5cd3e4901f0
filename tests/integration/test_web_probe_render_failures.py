"""When Chromium fails on a page (a timeout, a crash), what the static HTML showed stands: the
failure is recorded beside the verdicts, never turned into a worse or missing verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.web.config import WebSettings
from adapters.web.fetch import PoliteFetcher
from adapters.web.render import Renderer
from tests.servers.web_fixtures import Sites, sites_fixture  # noqa: F401

pytestmark = pytest.mark.integration

SERVICES = ("web_form", "faq", "survey")
# Far below what opening any page takes: every page the browser is asked to open times out.
TOO_SHORT = 0.001


def _verdicts(details: dict[str, Any]) -> dict[str, tuple[Any, Any, Any]]:
    return {
        s: (details[s]["present"], details[s]["working"], details[s]["operator_needed"])
        for s in SERVICES
    }


async def test_pages_that_time_out_in_the_browser_keep_their_static_verdicts(
    sites: Sites, tmp_path: Path
) -> None:
    static = await sites.probe("all_three", tmp_path / "static", render="never")
    settings = sites.settings(render_timeout_seconds=TOO_SHORT)
    failed = await sites.probe("all_three", tmp_path / "f", settings=settings, render="always")
    assert str(failed.outcome) == "site_checked"
    assert _verdicts(failed.details) == _verdicts(static.details)
    assert _verdicts(failed.details)["web_form"] == (True, True, None)
    assert failed.details["pages_rendered"] == 0
    assert failed.details["render_error"].startswith("TimeoutError")
    # Each page says it was not rendered, and why; its snapshot is the static HTML.
    pages = failed.details["pages"]
    assert failed.details["render_failures"] == len(pages) > 1
    assert all(p["rendered"] is False and p["render_error"] for p in pages)


async def test_a_scripted_form_the_browser_could_not_open_is_not_reported_found(
    sites: Sites, tmp_path: Path
) -> None:
    settings = sites.settings(render_timeout_seconds=TOO_SHORT)
    result = await sites.probe("script_form", tmp_path, settings=settings)
    assert str(result.outcome) == "site_checked"
    # The static page had no form: "absent" as read, with the failure beside it, which the
    # scoring (R15) turns into a question for the operator rather than «нет».
    assert result.details["web_form"]["present"] is False
    assert result.details["render_error"].startswith("TimeoutError")


async def test_a_photograph_that_fails_leaves_a_static_site_verdicts_and_no_render_error(
    sites: Sites, tmp_path: Path
) -> None:
    settings = sites.settings(screenshot_static=True, render_timeout_seconds=TOO_SHORT)
    result = await sites.probe("form_500", tmp_path, settings=settings)
    assert _verdicts(result.details)["web_form"] == (True, False, None)
    # Only the picture is missing: nothing needed the browser to be read.
    assert result.details["render_error"] is None
    assert result.details["screenshot_error"].startswith("TimeoutError")
    assert result.details["screenshot_failure"] == "timeout"
    assert result.details["web_form"]["evidence"][0]["screenshot"] is None


async def test_without_a_browser_a_static_site_is_still_checked_without_photographs(
    sites: Sites, tmp_path: Path
) -> None:
    settings = sites.settings(screenshot_static=True, chromium=str(tmp_path / "no-chromium"))
    result = await sites.probe("plain_form", tmp_path / "e", settings=settings)
    assert (str(result.outcome), result.error_class) == ("site_checked", None)
    assert _verdicts(result.details)["web_form"] == (True, True, None)
    assert "PROBE_WEB__CHROMIUM" in result.details["screenshot_error"]
    assert result.details["screenshot_failure"] == "browser_unavailable"
    assert result.details["render_error"] is None


async def test_a_browser_that_crashed_is_started_again_for_the_next_page(sites: Sites) -> None:
    settings = WebSettings(ca_bundle=sites.served.ca_bundle, pause_seconds=0.02)
    async with PoliteFetcher(settings, network="loopback") as fetcher:
        renderer = Renderer(fetcher, chromium=settings.chromium, timeout=10)
        try:
            browser = await renderer.ready()
            await browser.close()  # as a crash leaves it: disconnected
            async with renderer.open(sites.url("script_form")) as view:
                assert "Комплексный центр" in view.html  # rendered by a new browser
            assert renderer.restarts == 1
        finally:
            await renderer.close()

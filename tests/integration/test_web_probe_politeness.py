"""The web channel is polite on somebody else's site: one request at a time with a pause, the
prober named with a contact address, no POST unless the campaign asks, the crawl's budget kept,
and a destination outside loopback refused as ours without a packet sent."""

from __future__ import annotations

import asyncio
import itertools
import socket
from pathlib import Path

import pytest
from structlog import get_logger

from adapters.web import plugin
from probe.channels import ProbeContext, ProbeTarget
from tests.servers.web_fixtures import Sites, sites_fixture  # noqa: F401

pytestmark = pytest.mark.integration


def _requests(sites: Sites, kind: str) -> list[tuple[float, str, str, str]]:
    """(time, status, request line, user agent) of the site's requests, from nginx's log."""
    port = sites.url(kind).rsplit(":", 1)[1].strip("/")
    rows = []
    for line in sites.access_log():
        stamp, where, status, rest = line.split(" ", 3)
        if where == port:
            request, _, agent = rest.strip('"').partition('" "')
            rows.append((float(stamp), status, request, agent))
    return rows


async def test_requests_come_one_at_a_time_a_pause_apart_naming_the_prober(
    sites: Sites, tmp_path: Path
) -> None:
    before = len(_requests(sites, "all_three"))
    settings = sites.settings(pause_seconds=0.3, user_agent="probe-test/1.0", contact="a@b.test")
    result = await sites.probe("all_three", tmp_path, settings=settings)
    assert str(result.outcome) == "site_checked"
    rows = _requests(sites, "all_three")[before:]
    # robots.txt, every page, the form's target.
    assert len(rows) >= result.details["pages_fetched"] + 2
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(rows)]
    assert min(gaps) >= 0.28, gaps
    assert rows[0][2].startswith("GET /robots.txt ")
    assert {agent for *_, agent in rows} == {"probe-test/1.0 (+mailto:a@b.test)"}


async def test_a_form_is_never_posted_unless_the_campaign_asks(
    sites: Sites, tmp_path: Path
) -> None:
    before = len(_requests(sites, "plain_form"))
    quiet = await sites.probe("plain_form", tmp_path / "q")
    rows = _requests(sites, "plain_form")[before:]
    assert quiet.details["web_form"]["working"] is True
    assert not [r for r in rows if r[2].startswith("POST")]
    assert [r[2].split()[0] for r in rows if "/feedback/send" in r[2]] == ["HEAD"]

    before = len(rows) + before
    asked = await sites.probe("plain_form", tmp_path / "a", submit_test_question=True)
    posted = [r for r in _requests(sites, "plain_form")[before:] if r[2].startswith("POST")]
    assert [r[2].split()[1] for r in posted] == ["/feedback/send"]
    assert asked.details["web_form"]["working"] is True
    assert asked.details["web_form"]["evidence"][0]["note"].startswith("submitted: 200")


async def test_a_submitted_question_that_fails_makes_the_form_not_working(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("form_500", tmp_path, submit_test_question=True)
    form = result.details["web_form"]
    assert (form["present"], form["working"]) == (True, False)
    assert form["evidence"][0]["note"].startswith("submitted: 500")


async def test_a_captcha_form_is_not_submitted_even_when_the_campaign_asks(
    sites: Sites, tmp_path: Path
) -> None:
    before = len(_requests(sites, "captcha_form"))
    result = await sites.probe("captcha_form", tmp_path, submit_test_question=True)
    assert result.details["web_form"]["operator_needed"] == "captcha"
    assert not [r for r in _requests(sites, "captcha_form")[before:] if r[2].startswith("POST")]


async def test_the_page_budget_stops_the_crawl(sites: Sites, tmp_path: Path) -> None:
    result = await sites.probe("all_three", tmp_path, max_pages=2)
    assert result.details["pages_fetched"] == 2
    assert result.details["budget_exhausted"] is True


async def test_a_destination_outside_loopback_is_refused_as_ours(tmp_path: Path) -> None:
    import structlog

    from adapters.web import plugin
    from probe.channels import ProbeContext, ProbeTarget
    from probe.settings import Settings

    target = ProbeTarget(check_id=0, channel="web", value="https://192.0.2.10/")
    context = ProbeContext(settings=Settings(), evidence_dir=tmp_path, log=structlog.get_logger())
    result = await plugin.probe(target, context)
    assert (str(result.outcome), result.error_class) == ("failed", "destination_refused")


async def test_bad_options_and_targets_fail_with_a_clear_message(tmp_path: Path) -> None:
    import structlog

    from adapters.web import plugin
    from probe.channels import ProbeContext, ProbeTarget
    from probe.settings import Settings

    context = ProbeContext(settings=Settings(), evidence_dir=tmp_path, log=structlog.get_logger())
    options = ProbeTarget(check_id=0, channel="web", value="x.ru", options={"render": "maybe"})
    result = await plugin.probe(options, context)
    assert result.error_class == "bad_web_options"
    assert result.error_detail.startswith("render: Input should be 'auto', 'always' or 'never'")
    bad = ProbeTarget(check_id=0, channel="web", value="ftp://x.ru/")
    result = await plugin.probe(bad, context)
    assert result.error_class == "bad_web_target"
    assert result.error_detail == "Не удалось распознать адрес сайта: «ftp://x.ru/»."


def test_a_website_contact_is_normalised_by_its_kind_through_the_registry() -> None:
    from probe.channels import column_contact_kinds, contact_kind

    kind = contact_kind("web")  # Contact.channel is the channel's name
    assert kind is contact_kind("website") and kind.normalise is not None
    assert kind.normalise(" MinSoc.OmskPortal.ru ", "") == ("https://minsoc.omskportal.ru/", None)
    assert ("web", kind) in column_contact_kinds()
    with pytest.raises(ValueError, match=r"Адрес сайта пуст\."):
        kind.normalise("  ", "")


async def test_two_probes_of_one_site_at_once_still_take_turns(
    sites: Sites, tmp_path: Path
) -> None:
    before = len(_requests(sites, "faq_page"))
    settings = sites.settings(pause_seconds=0.2)
    both = await asyncio.gather(
        sites.probe("faq_page", tmp_path / "1", settings=settings),
        sites.probe("faq_page", tmp_path / "2", settings=settings),
    )
    assert [str(r.outcome) for r in both] == ["site_checked", "site_checked"]
    rows = _requests(sites, "faq_page")[before:]
    assert len(rows) >= 2 * both[0].details["pages_fetched"]
    assert min(b[0] - a[0] for a, b in itertools.pairwise(rows)) >= 0.18


async def test_a_site_that_never_answers_is_unreachable_by_timeout(
    sites: Sites, tmp_path: Path
) -> None:
    # The kernel completes the TCP handshake from the backlog; nobody ever speaks TLS.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        settings = sites.settings(request_timeout_seconds=0.5)
        target = ProbeTarget(check_id=0, channel="web", value=f"https://127.0.0.1:{port}/")
        context = ProbeContext(settings=settings, evidence_dir=tmp_path, log=get_logger())
        result = await plugin.probe(target, context)
    finally:
        silent.close()
    assert str(result.outcome) == "site_unreachable"
    assert result.details["site_error"].startswith("timeout: ")


async def test_the_sites_are_fetched_over_http2(sites: Sites, tmp_path: Path) -> None:
    result = await sites.probe("plain_form", tmp_path)
    assert {page["http_version"] for page in result.details["pages"]} == {"HTTP/2"}


async def test_a_browser_that_cannot_start_fails_the_check_as_ours(
    sites: Sites, tmp_path: Path
) -> None:
    settings = sites.settings(chromium=str(tmp_path / "no-chromium"))
    result = await sites.probe("script_form", tmp_path, settings=settings)
    assert (str(result.outcome), result.error_class) == ("failed", "browser_unavailable")
    assert "PROBE_WEB__CHROMIUM" in (result.error_detail or "")

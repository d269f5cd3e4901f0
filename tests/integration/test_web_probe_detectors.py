"""The web channel against real sites (nginx on loopback, HTTPS with the sandbox's CA), one of
every kind: each detector's present / absent / not working / operator-needed verdict, and every
failure of the site, with their evidence; scripted content in a real Chromium."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from probe.sandbox.websites import EXPECTED, KINDS
from tests.servers.web_fixtures import Sites, site_emails, site_phones, sites_fixture  # noqa: F401

pytestmark = pytest.mark.integration
SERVICES = ("web_form", "faq", "survey")


def _verdicts(details: dict) -> dict:
    return {
        name: (details[name]["present"], details[name]["working"], details[name]["operator_needed"])
        for name in SERVICES
    }


@pytest.mark.parametrize("kind", KINDS)
async def test_each_kind_of_site_gets_the_verdicts_it_was_built_for(
    sites: Sites, kind: str, tmp_path: Path
) -> None:
    result = await sites.probe(kind, tmp_path)
    expected = EXPECTED[kind]
    assert str(result.outcome) == expected["outcome"], result.details.get("site_error")
    assert _verdicts(result.details) == {name: expected[name] for name in SERVICES}
    for name in SERVICES:
        verdict = result.details[name]
        assert bool(verdict["evidence"]) == bool(verdict["present"])
        for item in verdict["evidence"]:
            assert {"url", "selector", "text", "screenshot"} <= set(item)
            assert item["url"].startswith("http") and item["selector"]


async def test_a_form_a_script_inserts_is_found_in_chromium_with_its_screenshot(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("script_form", tmp_path)
    form = result.details["web_form"]
    assert form["present"] is True and form["working"] is True
    assert result.details["pages_rendered"] >= 1
    shot = form["evidence"][0]["screenshot"]
    assert shot is not None and shot.endswith(".png")
    png = (tmp_path / shot).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert width > 50 and height > 20
    assert "Отправить обращение" in form["evidence"][0]["text"]


async def test_without_rendering_the_scripted_form_is_not_seen(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("script_form", tmp_path, render="never")
    assert result.details["web_form"]["present"] is False
    assert result.details["pages_rendered"] == 0


async def test_the_gosuslugi_widget_is_found_by_its_script_and_mount_point(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("gosuslugi_widget", tmp_path)
    evidence = result.details["web_form"]["evidence"][0]
    assert evidence["kind"] == "widget"
    assert evidence["selector"] == "#js-show-iframe-wrapper"
    assert "pos.gosuslugi.ru/bin/script.min.js" in evidence["target"]
    # Rendered: the stand-in script drew the widget's button, which is in the screenshot.
    assert evidence["screenshot"] and (tmp_path / evidence["screenshot"]).is_file()


async def test_faq_as_an_accordion_and_as_a_page_under_another_heading(
    sites: Sites, tmp_path: Path
) -> None:
    accordion = (await sites.probe("faq_accordion", tmp_path / "a")).details["faq"]
    page = (await sites.probe("faq_page", tmp_path / "p")).details["faq"]
    assert accordion["evidence"][0]["kind"] == "accordion"
    assert "вопросов 3, с ответами 3" in accordion["evidence"][0]["text"]
    assert page["evidence"][0]["url"].endswith("/vopros-otvet/")
    assert "Вопрос-ответ" in page["evidence"][0]["text"]


async def test_the_survey_link_points_at_the_federal_assessment_site(
    sites: Sites, tmp_path: Path
) -> None:
    survey = (await sites.probe("survey_link", tmp_path)).details["survey"]
    assert survey["evidence"][0]["target"].startswith("https://bus.gov.ru/")
    assert survey["evidence"][0]["kind"] == "link"


async def test_a_form_whose_target_answers_500_is_present_but_not_working(
    sites: Sites, tmp_path: Path
) -> None:
    form = (await sites.probe("form_500", tmp_path)).details["web_form"]
    assert (form["present"], form["working"]) == (True, False)
    assert form["evidence"][0]["note"].startswith("500 ")


async def test_captcha_and_login_wall_leave_working_to_the_operator(
    sites: Sites, tmp_path: Path
) -> None:
    captcha = (await sites.probe("captcha_form", tmp_path / "c")).details["web_form"]
    login = (await sites.probe("login_wall", tmp_path / "l")).details["web_form"]
    assert (captcha["working"], captcha["operator_needed"]) == (None, "captcha")
    assert (login["working"], login["operator_needed"]) == (None, "login")
    assert login["evidence"][0]["kind"] == "login"


async def test_the_sites_phones_and_emails_are_found_normalised(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("nothing", tmp_path)
    index = sites.index("nothing")
    assert result.details["phones"] == list(site_phones(index))
    assert result.details["emails"] == list(site_emails(index))


async def test_a_redirect_chain_is_followed_and_recorded(sites: Sites, tmp_path: Path) -> None:
    result = await sites.probe("redirect_chain", tmp_path)
    hops = result.details["redirects"]
    assert [hop["status"] for hop in hops] == [301, 302]
    assert hops[0]["from"].startswith("http://") and result.details["url"].startswith("https://")
    assert result.details["url"].endswith(":" + hops[1]["to"].split(":")[-1])


async def test_a_page_robots_txt_disallows_is_reported_and_never_fetched(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("robots_disallow", tmp_path)
    disallowed = result.details["robots_disallowed"]
    assert disallowed == [sites.url("robots_disallow") + "feedback/"]
    port = sites.url("robots_disallow").rsplit(":", 1)[1].strip("/")
    fetched = [line for line in sites.access_log() if f" {port} " in line]
    assert not [line for line in fetched if "/feedback/" in line]
    assert any("/robots.txt" in line for line in fetched)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("down", "tcp: connection refused"),
        ("expired_cert", "tls: certificate has expired"),
        ("home_error", "http: 503 on the home page"),
    ],
)
async def test_a_site_that_fails_is_unreachable_with_its_reason(
    sites: Sites, kind: str, reason: str, tmp_path: Path
) -> None:
    result = await sites.probe(kind, tmp_path)
    assert str(result.outcome) == "site_unreachable"
    assert result.details["site_error"] == reason
    assert result.details["url"] == sites.url(kind)  # the site, whichever request failed
    for name in SERVICES:
        assert result.details[name] == {
            "present": None, "working": False, "operator_needed": None, "evidence": []
        }  # fmt: skip


async def test_without_the_sandbox_ca_a_valid_site_is_refused_as_untrusted(
    sites: Sites, tmp_path: Path
) -> None:
    settings = sites.settings(ca_bundle=None)
    result = await sites.probe("plain_form", tmp_path, settings=settings)
    assert str(result.outcome) == "site_unreachable"
    assert result.details["site_error"].startswith("tls: ")


async def test_the_campaign_can_ask_every_page_rendered_with_screenshots(
    sites: Sites, tmp_path: Path
) -> None:
    result = await sites.probe("faq_accordion", tmp_path, render="always")
    assert result.details["pages_rendered"] == result.details["pages_fetched"]
    evidence = result.details["faq"]["evidence"][0]
    assert evidence["screenshot"] and (tmp_path / evidence["screenshot"]).is_file()
    assert (tmp_path / evidence["snapshot"]).read_text().startswith("<!doctype html>")
    kinds = {e.kind for e in result.evidence}
    assert kinds == {"screenshot", "page_snapshot"}


async def test_what_a_static_page_shows_is_photographed_too(sites: Sites, tmp_path: Path) -> None:
    settings = sites.settings(screenshot_static=True)
    result = await sites.probe("form_500", tmp_path, settings=settings)
    evidence = result.details["web_form"]["evidence"][0]
    assert evidence["screenshot"] and (tmp_path / evidence["screenshot"]).is_file()
    assert result.details["pages_rendered"] == 1  # only the form's page was opened
    never = await sites.probe("form_500", tmp_path / "n", settings=settings, render="never")
    assert never.details["web_form"]["evidence"][0]["screenshot"] is None

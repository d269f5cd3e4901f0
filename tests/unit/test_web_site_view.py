"""A web check's page model (probe/web/site.py): what a service's finding proposes to the
operator, and how the site's findings read in Russian."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from probe.web.evidence import EvidenceItem
from probe.web.site import proposed_value, site_view


@pytest.mark.parametrize(
    ("found", "proposed"),
    [
        ({"present": True, "working": True}, "working"),
        ({"present": True, "working": False}, "not_working"),
        ({"present": False, "working": None}, "absent"),
        ({"present": True, "working": None, "operator_needed": "captcha"}, None),
        ({"present": True, "working": True, "operator_needed": "login"}, None),
        ({"present": None, "working": None}, None),
    ],
)
def test_the_confirm_button_says_what_the_finding_means(found: dict, proposed: str | None) -> None:
    assert proposed_value(found) == proposed


def _item(index: int, kind: str, path: str, available: bool = True) -> EvidenceItem:
    return EvidenceItem(index, kind, path, "application/octet-stream", None, None, available, False)


def _detail(details: dict[str, Any], channel: str = "web") -> Any:
    check = SimpleNamespace(channel=channel, details=details)
    contact = SimpleNamespace(value="https://kcson.example.ru/", raw="kcson.example.ru")
    current = {"faq": SimpleNamespace(value="absent")}
    return SimpleNamespace(check=check, contact=contact, current=current)


def test_a_site_reads_in_russian_with_its_screenshots_and_unlisted_contacts() -> None:
    details = {
        "url": "https://kcson.example.ru/",
        "web_form": {
            "present": True, "working": None, "operator_needed": "captcha",
            "evidence": [{"url": "https://kcson.example.ru/priem/", "selector": "form#appeal",
                          "text": "Задать вопрос", "screenshot": "web/form-1.png"}],
        },
        "faq": {"present": True, "working": True, "evidence": [
            {"url": "https://kcson.example.ru/faq/", "selector": "h1", "text": "Вопрос-ответ",
             "screenshot": "web/missing.png"}]},
        "survey": None,
        "phones": ["+73812000001", "+73812215050"],
        "emails": ["KCSON@example.ru"],
        "pages_fetched": 7,
        "pages_rendered": 1,
        "robots_disallowed": ["https://kcson.example.ru/private/"],
        "site_error": None,
    }  # fmt: skip
    items = [
        _item(0, "page_snapshot", "evidence/7/web/home.html"),
        _item(1, "screenshot", "evidence/7/web/form-1.png"),
    ]
    view = site_view(_detail(details), items, {"+73812000001", "kcson@example.ru"})
    assert view is not None
    form, faq, survey = view.services
    assert (form.present, form.working) == ("да", "не установлено")
    assert form.operator_needed == "форма защищена капчей: работу проверяет оператор"
    assert form.proposed is None and form.findings[0].screenshot == 1
    assert (faq.proposed, faq.current) == ("working", "absent")
    assert faq.findings[0].screenshot is None
    assert faq.findings[0].screenshot_path == "web/missing.png"
    assert (survey.present, survey.findings) == ("не установлено", [])
    assert view.phones == [("+73812000001", True), ("+73812215050", False)]
    assert view.emails == [("KCSON@example.ru", True)]
    assert [i.index for i in view.snapshots] == [0]
    assert view.render_error is None
    assert (view.url, view.checked) == ("https://kcson.example.ru/", "")


def test_a_site_that_moved_names_the_address_checked_beside_where_it_led() -> None:
    moved = {"url": "https://new.example.ru/", "web_form": None, "faq": None, "survey": None}
    view = site_view(_detail(moved), [], set())
    assert view is not None
    assert (view.url, view.checked) == ("https://new.example.ru/", "https://kcson.example.ru/")


def test_an_unreachable_site_names_its_failure_in_russian() -> None:
    view = site_view(_detail({"site_error": "certificate has expired"}), [], set())
    assert view is not None
    assert (view.site_error, view.site_error_raw) == (
        "просроченный сертификат",
        "certificate has expired",
    )


def test_a_check_of_another_channel_has_no_site() -> None:
    assert site_view(_detail({}, channel="phone"), [], set()) is None

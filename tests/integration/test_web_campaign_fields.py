"""The campaign form's rest of the channels' fields in a real browser (Debian's chromium): a
dropped call's retry, our failure's retry, the outcomes after which the next number is rung,
the letter's sender and its pauses after a temporary refusal. A bad value is refused in Russian
beside its field with everything typed kept; the good ones reach the stored spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.engine import session_scope
from storage.models import Campaign
from tests.integration.test_web_support import (
    PASSWORD,
    WebServer,
    _accounts,
    make_settings,
    running_server,
)

pytestmark = pytest.mark.integration

NEXT = "[data-list='calls.next_number_after']"


@pytest.fixture
def server(engine: Engine, sqlite_url: str, tmp_path: Path) -> Iterator[WebServer]:
    with session_scope(engine) as db:
        _accounts(db)
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=engine, settings=settings)


def _errors(page: Page) -> dict[str | None, str]:
    return {
        e.get_attribute("data-field"): e.inner_text() for e in page.locator(".field-error").all()
    }


def test_the_rest_of_the_channels_fields_in_the_browser(
    page: Page, server: WebServer, engine: Engine
) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    page.goto(server.url + "/campaigns/new")
    today = date.today()
    page.fill("input[name=name]", "fields")
    page.fill("input[name=start]", today.isoformat())
    page.fill("input[name=end]", (today + timedelta(days=13)).isoformat())
    page.check("input[name=org_mode][value=all]")
    for channel in page.locator("input[name=channels]").evaluate_all("xs => xs.map(x => x.value)"):
        box = f"input[name=channels][value={channel}]"
        page.check(box) if channel in ("phone", "email") else page.uncheck(box)
    expect(page.locator(f"{NEXT} input:checked")).to_have_count(5)
    expect(page.locator("input[name='options.email.retry_delays']")).to_have_value("30, 120, 600")

    page.fill("input[name='calls.rejected_retry_minutes.0']", "25")
    page.fill("input[name='calls.rejected_retry_minutes.1']", "15")
    page.fill("input[name='calls.our_failure_retry_minutes']", "7")
    page.uncheck(f"{NEXT} input[value=no_answer]")
    page.uncheck(f"{NEXT} input[value=answering_machine]")
    page.fill("input[name='options.email.sender_name']", "")
    page.fill("input[name='options.email.retry_delays']", "60, минута")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#form-errors")).to_be_visible()
    assert _errors(page) == {
        "calls.rejected_retry_minutes.0": (
            "Интервал повтора: «не раньше» больше нуля и не больше «не позже»."
        ),
        "options.email.sender_name": "Заполните поле.",
        "options.email.retry_delays": "Введите числа через запятую.",
    }
    expect(page.locator("input[name='calls.rejected_retry_minutes.0']")).to_have_value("25")
    expect(page.locator("input[name='calls.our_failure_retry_minutes']")).to_have_value("7")
    expect(page.locator("input[name='options.email.retry_delays']")).to_have_value("60, минута")
    ticked = page.locator(f"{NEXT} input:checked").evaluate_all("xs => xs.map(x => x.value)")
    assert ticked == ["busy", "unavailable", "rejected"]

    page.fill("input[name='calls.rejected_retry_minutes.0']", "5")
    page.fill("input[name='options.email.sender_name']", "Анна Смирнова")
    page.fill("input[name='options.email.retry_delays']", "60 300")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text(
        "Кампания создана (черновик). Проверьте план и запустите её."
    )
    with session_scope(engine) as db:
        spec = db.exec(select(Campaign).where(Campaign.name == "fields")).one().spec
    assert spec["calls"]["rejected_retry_minutes"] == [5, 15]
    assert spec["calls"]["our_failure_retry_minutes"] == 7
    assert spec["calls"]["next_number_after"] == ["busy", "unavailable", "rejected"]
    assert spec["options"] == {
        "email": {"sender_name": "Анна Смирнова", "retry_delays": [60.0, 300.0]}
    }

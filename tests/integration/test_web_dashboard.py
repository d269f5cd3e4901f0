"""The campaign dashboard, the organisation list and page, and the comparison with the 2020
protocol, driven by a real browser (Debian's chromium) against a real server, as each role.

The screenshots of docs/guide.md come from here (`UPDATE_DOC_SCREENSHOTS=1`)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from probe.results import CheckResult
from probe.scoring.names import Channel, Outcome
from probe.web import dashboard
from storage.checks import add_review, create_campaign, create_check, record_result
from storage.engine import session_scope
from storage.models import Campaign, Check, Contact
from tests.integration.test_web_support import PASSWORD, T0, Seeded, WebServer

pytestmark = pytest.mark.integration

GUIDE_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "guide"
UPDATE_DOCS = os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"
SEED_000 = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_4f0d44af83f0814c.txt"


def _login(page: Page, server: WebServer, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    # Signing in hashes the password (argon2): slow on a loaded machine.
    expect(page.locator("header .who")).to_contain_text(username, timeout=30_000)


def _shot(page: Page, tmp_path: Path, name: str, *, full_page: bool = False) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_DOCS:
        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, GUIDE_SHOTS / name)


def _phone(db: object, seeded: Seeded) -> Contact:
    return db.get(Contact, seeded.phone_contact_id)  # type: ignore[attr-defined,no-any-return]


def _timed_calls(engine: Engine, seeded: Seeded) -> None:
    """Two answered calls with ring and answer times, a late reply, one planned call; a verdict
    that turns a busy check into «не отвечает» (the effective outcome counts)."""
    with session_scope(engine) as db:
        contact = _phone(db, seeded)
        for minutes, ring_ms in ((60, 7_000), (24 * 60, 23_000)):
            check = create_check(session=db, contact=contact, campaign_id=seeded.campaign_id)
            record_result(session=db, check=check, result=CheckResult(
                channel=Channel.PHONE, outcome=Outcome.CONNECTED,
                started_at=T0 + timedelta(minutes=minutes),
                finished_at=T0 + timedelta(minutes=minutes, seconds=90),
                timings_ms={"ring": ring_ms, "answer": ring_ms + 400},
            ))  # fmt: skip
        create_check(session=db, contact=contact, campaign_id=seeded.campaign_id)  # planned
        replied = db.get(Check, seeded.replied_id)
        assert replied is not None
        replied.details = {**replied.details, "working_days": 6, "late": True}
        db.add(replied)
        add_review(session=db, author="operator", field="verdict", value="no_answer",
                   reason="гудки, а не занято", check_id=seeded.busy_id)  # fmt: skip


def test_each_role_reads_the_dashboard_progress_outcomes_and_latency_charts(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _timed_calls(engine, seeded)
    for role in ("viewer", "operator", "admin"):
        _login(page, server, role)
        page.goto(server.url + "/campaigns")
        page.click(f"a.dashboard-link[href='/campaigns/{seeded.campaign_id}']")
        expect(page.locator("#dashboard-title")).to_have_text("Первый квартал 2026")
        phone = page.locator("#progress tr[data-channel=phone] td")
        # 6 seeded calls + 2 answered + 1 planned: 8 done, 1 left.
        expect(phone.nth(1)).to_have_text("9")
        expect(phone.nth(2)).to_have_text("8")
        expect(phone.nth(4)).to_have_text("1")
        expect(phone.nth(6)).to_have_text("89 %")
        # The verdict moved one busy call to «не отвечает»: 1 busy, 3 no answer, 4 connected.
        expect(page.locator("#outcomes tr[data-outcome=busy] td").nth(2)).to_have_text("1")
        expect(page.locator("#outcomes tr[data-outcome=no_answer] td").nth(2)).to_have_text("3")
        expect(page.locator("#outcomes tr[data-outcome=connected] td").nth(2)).to_have_text("4")
        expect(page.locator("#chart-outcomes figcaption")).to_contain_text("исправлено 1")
        # The charts are drawn on the server: SVG bars with their values in titles.
        expect(page.locator("#chart-days svg rect")).not_to_have_count(0)
        expect(page.locator("#chart-reply svg text", has_text="6")).not_to_have_count(0)
        ring = page.locator("#chart-ring svg rect title")
        expect(ring.filter(has_text="5–10, телефон: 1")).to_have_count(1)
        expect(ring.filter(has_text="20–25, телефон: 1")).to_have_count(1)
        expect(page.locator("#chart-answer svg")).to_have_count(1)
        expect(page.locator("main")).not_to_contain_text(re.compile(r"\d\s*(ms|мс)\b"))
        expect(page.locator("#by-region tbody tr").first).to_contain_text("Омская область")
        expect(page.locator("#by-district tbody")).to_contain_text("Кировский округ")
        if role == "viewer":
            _shot(page, tmp_path, "dashboard.png", full_page=True)
        page.click("form.logout button")


def test_the_dashboard_of_a_running_campaign_refreshes_itself(
    page: Page,
    server: WebServer,
    seeded: Seeded,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dashboard, "REFRESH_S", 1)
    with session_scope(engine) as db:
        campaign = db.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        campaign.status = "running"
        db.add(campaign)
    _login(page, server, "viewer")
    page.goto(f"{server.url}/campaigns/{seeded.campaign_id}")
    done = page.locator("#progress tr[data-channel=all] th").nth(2)
    expect(done).to_have_text("7")
    expect(page.locator("#counted")).to_contain_text("обновляется сама")
    with session_scope(engine) as db:
        check = create_check(session=db, contact=_phone(db, seeded), campaign_id=seeded.campaign_id)
        record_result(session=db, check=check, result=CheckResult(
            channel=Channel.PHONE, outcome=Outcome.BUSY, started_at=T0, finished_at=T0,
        ))  # fmt: skip
    expect(done).to_have_text("8", timeout=10_000)  # no reload: the fragment was fetched again
    assert page.url.endswith(f"/campaigns/{seeded.campaign_id}")


def test_organisations_are_listed_and_found_by_name_region_district_and_contact(
    page: Page, server: WebServer, seeded: Seeded, tmp_path: Path
) -> None:
    for role in ("viewer", "operator", "admin"):
        _login(page, server, role)
        page.click("header a:has-text('Организации')")
        expect(page.locator("#org-table tbody tr")).to_have_count(2)
        page.fill("#org-search input[name=q]", "ростова")  # lower case, the name has «Ростова»
        page.click("#org-search button")
        expect(page.locator("#org-table tbody tr")).to_have_count(1)
        expect(page.locator("#org-table tbody tr")).to_have_attribute(
            "data-org-id", str(seeded.rostov_id)
        )
        page.goto(server.url + "/organisations")
        page.fill("#org-search input[name=contact]", "35-70-00")
        page.click("#org-search button")
        expect(page.locator("#org-total")).to_have_text("Найдено организаций: 1.")
        page.goto(server.url + "/organisations")
        page.select_option("#org-search select[name=district]", "Кировский округ")
        page.click("#org-search button")
        expect(page.locator(f"#org-table tr[data-org-id='{seeded.omsk_id}']")).to_have_count(1)
        expect(page.locator("#org-table tbody tr")).to_have_count(1)
        page.goto(server.url + "/organisations?region=rostov&q=нет+такой")
        expect(page.locator("#org-table tbody")).to_have_text("Ничего не найдено.")
        if role == "viewer":
            page.goto(server.url + "/organisations")
            _shot(page, tmp_path, "organisations.png")
        page.click("form.logout button")


def _import_2020(engine: Engine) -> int:
    from probe.history.importer import import_protocol6

    report = import_protocol6(SEED_000, engine=engine)
    assert report.campaign_id is not None
    return report.campaign_id


def _campaign_of_now(engine: Engine, org_ids: list[int]) -> int:
    """Calls to the first centres now: the first answers, the others do not."""
    with session_scope(engine) as db:
        campaign = create_campaign(session=db, name="omsk-2026", title="Омск, 2026",
                                   channels=["phone"])  # fmt: skip
        for n, org_id in enumerate(org_ids):
            contact = db.exec(
                Contact.__table__.select().where(  # type: ignore[attr-defined]
                    Contact.__table__.c.organisation_id == org_id,  # type: ignore[attr-defined]
                    Contact.__table__.c.channel == "phone",  # type: ignore[attr-defined]
                )
            ).first()
            check = create_check(session=db, contact=db.get(Contact, contact.id),
                                 campaign_id=campaign.id)  # fmt: skip
            outcome = Outcome.CONNECTED if n == 0 else Outcome.NO_ANSWER
            record_result(session=db, check=check, result=CheckResult(
                channel=Channel.PHONE, outcome=outcome, started_at=T0, finished_at=T0,
            ))  # fmt: skip
        assert campaign.id is not None
        return campaign.id


def test_the_2020_protocol_is_compared_with_now_per_organisation_and_on_its_page(
    page: Page, server: WebServer, engine: Engine, tmp_path: Path
) -> None:
    if not SEED_000.exists():
        pytest.fail(f"seed 000 not found at {SEED_000}")
    past_id = _import_2020(engine)
    with session_scope(engine) as db:
        rows = dict(db.exec(
            Check.__table__.select().with_only_columns(  # type: ignore[attr-defined]
                Check.__table__.c.organisation_id, Check.__table__.c.id  # type: ignore[attr-defined]
            ).where(Check.__table__.c.campaign_id == past_id)  # type: ignore[attr-defined]
        ).all())  # fmt: skip
    first, second = sorted(rows)[:2]
    now_id = _campaign_of_now(engine, [first, second])
    _login(page, server, "operator")
    page.goto(f"{server.url}/campaigns/{now_id}")
    page.click("a:has-text('Сравнение с 2020 годом')")
    expect(page.locator("#compare-table tbody tr")).to_have_count(38)
    row = page.locator(f"#compare-table tr[data-org-id='{second}']")
    # 2020 reached the second centre by phone; now its one call went unanswered: worse.
    expect(row.locator("td[data-side=before][data-channel=phone]")).to_contain_text("да: ")
    expect(row.locator("td[data-side=now][data-channel=phone]")).to_have_text("нет: 0 из 1 ↓")
    expect(row.locator("td[data-side=now][data-channel=phone]")).to_have_class("worse")
    untouched = page.locator("#compare-table tbody tr").nth(5)
    expect(untouched.locator("td[data-side=now][data-channel=phone]")).to_have_text("не проверялся")
    expect(page.locator("#compare-summary tr[data-channel=phone] td").nth(2)).to_have_text(
        "1 организация"
    )
    _shot(page, tmp_path, "compare.png")
    page.click(f"#compare-table tr[data-org-id='{first}'] a")
    history = page.locator("#campaign-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("прошлый протокол")
    expect(history.nth(1).locator("td[data-channel=phone]")).to_contain_text("да: 1 из 1")
    _shot(page, tmp_path, "organisation.png")

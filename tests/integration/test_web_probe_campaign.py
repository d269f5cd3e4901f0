"""A campaign on the web channel runs through the engine like any other: the organisations'
website contacts are walked, each result stored with its verdicts, an unreachable site in the
review queue, our labels in the export's audit sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.clock import ScaledClock
from probe.export import export_campaign
from probe.export.xlsx import AUDIT_SHEET
from storage.engine import session_scope
from storage.models import Check, Contact
from storage.review_queue import QueueFilter, review_queue
from tests.campaign_helpers import add_test_organisations, run_until_done, start_test_campaign
from tests.servers.web_fixtures import Sites, sites_fixture  # noqa: F401

pytestmark = pytest.mark.integration


async def test_a_web_campaign_walks_each_organisations_site(
    engine: Engine, sites: Sites, tmp_path: Path
) -> None:
    kinds = {"A": "all_three", "B": "expired_cert", "C": "captcha_form"}
    add_test_organisations(engine, {name: [sites.url(kind)] for name, kind in kinds.items()})
    with session_scope(engine) as session:
        for contact in session.exec(select(Contact)).all():
            contact.channel = "web"
            session.add(contact)
    clock = ScaledClock(datetime.now(UTC), 600.0)
    start_test_campaign(
        engine, peer="unused", now=clock.now(), channels=["web"], options={"web": {}}
    )
    await run_until_done(engine, settings=sites.settings(), clock=clock)

    with Session(engine) as session:
        checks = {c.contact_id: c for c in session.exec(select(Check)).all()}
        contacts = {c.id: c.value for c in session.exec(select(Contact)).all()}
        by_kind = {
            kind: next(c for i, c in checks.items() if contacts[i] == sites.url(kind))
            for kind in kinds.values()
        }
        assert str(by_kind["all_three"].outcome) == "site_checked"
        verdicts = by_kind["all_three"].details
        assert [verdicts[n]["working"] for n in ("web_form", "faq", "survey")] == [True] * 3
        assert str(by_kind["expired_cert"].outcome) == "site_unreachable"
        assert by_kind["expired_cert"].details["site_error"] == "tls: certificate has expired"
        assert by_kind["captcha_form"].details["web_form"]["operator_needed"] == "captcha"
        page = review_queue(session=session, filters=QueueFilter(channel="web"))
        assert "site_unreachable" in {row.check.outcome for row in page.rows}

    out = export_campaign(engine=engine, campaign="t", fmt="xlsx", out=tmp_path / "t.xlsx")
    sheet = load_workbook(out, read_only=True)[AUDIT_SHEET]
    cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert {"сайт", "сайт проверен", "сайт недоступен"} <= cells

# ruff: noqa: F811  (the mail and site fixtures are imported into the module by name)
"""A test question submitted through a website's form (`options.web.submit_test_question`)
and its answer awaited by e-mail, end to end: the campaign's web check POSTs the question to a
real form (nginx), stays final (columns 7-12 scored at once) and leaves a waiting follow-up;
the centre's answer, sent through Postfix to the reply address in Dovecot, is matched by the
e-mail watcher and recorded by the engine with its latency in working days; the silent
centre's follow-up is ended by the sweep after the reply window."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.email.config import ImapSettings, SmtpSettings
from probe.clock import SystemClock
from probe.sandbox.mailservers import ORG_DOMAIN, MailServers
from probe.scoring import score_campaign
from probe.scoring.protocol5 import TABLE
from probe.settings import Settings
from probe.web.security import hash_password
from schedules.daemon import CampaignRunner
from storage.checks import get_campaign_by_name, list_events
from storage.engine import session_scope
from storage.models import Check, Contact
from storage.users import create_user
from tests.campaign_helpers import add_test_organisations, start_test_campaign
from tests.integration.test_web_support import PASSWORD, logged_in, running_server
from tests.servers.mail_fixtures import servers  # noqa: F401
from tests.servers.mail_orgs import wait_for
from tests.servers.web_fixtures import TEST_PAUSE, Sites, sites_fixture  # noqa: F401
from tests.sinks import sweep_email

pytestmark = pytest.mark.integration
KINDS = {"A": "plain_form", "B": "all_three"}


def _settings(servers: MailServers, sites: Sites, tmp_path: Path, sqlite_url: str) -> Settings:
    account = servers.add_account()
    return Settings(
        database_url=sqlite_url,
        data_dir=str(tmp_path / "var"),
        smtp=SmtpSettings(
            port=servers.ports["submission"], username=account.address,
            password=account.password, security="starttls", ca_file=servers.ca_file,
            from_address=account.address,
        ),
        imap=ImapSettings(
            port=servers.ports["imaps"], username=account.address, password=account.password,
            security="tls", ca_file=servers.ca_file,
        ),
        web={
            "ca_bundle": str(sites.served.ca_bundle), "pause_seconds": TEST_PAUSE,
            "screenshot_static": False, "reply_address": account.address,
        },
    )  # fmt: skip


@asynccontextmanager
async def _running(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """The campaign's runner, as in production: it probes the sites, and starts the e-mail
    channel's watcher and sweep itself once a follow-up waits (the campaign names only web)."""
    clock = SystemClock()
    runner = CampaignRunner(engine=engine, settings=settings, clock=clock, tick_seconds=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    try:
        yield
    finally:
        stop.set()
        await task


def _checks(engine: Engine, **where: str) -> list[Check]:
    with Session(engine) as session:
        found = session.exec(select(Check).order_by(Check.id)).all()  # type: ignore[arg-type]
    return [c for c in found if all(getattr(c, k) == v for k, v in where.items())]


def _by_org(engine: Engine, checks: list[Check], sites: Sites) -> dict[str, Check]:
    with Session(engine) as session:
        urls = {c.id: c.value for c in session.exec(select(Contact)).all()}
    return {
        org: next(c for c in checks if urls[c.contact_id] == sites.url(kind))
        for org, kind in KINDS.items()
    }


def _answer(servers: MailServers, to: str, token: str, question: str) -> None:
    """The centre's specialist answers from its own address, quoting the question."""
    staff = servers.add_account(domain=ORG_DOMAIN)
    reply = EmailMessage()
    reply["From"], reply["To"] = staff.address, to
    reply["Subject"] = "Ответ на обращение с сайта"
    quoted = "\n".join(f"> {line}" for line in question.splitlines())
    reply.set_content(f"Приёмная работает с 9 до 17.\n\n{quoted}\n", charset="utf-8")
    with smtplib.SMTP("127.0.0.1", servers.ports["mx"]) as smtp:
        smtp.send_message(reply)


async def test_a_question_asked_through_a_form_is_answered_or_not_by_mail(
    engine: Engine, sites: Sites, servers: MailServers, tmp_path: Path, sqlite_url: str
) -> None:
    settings = _settings(servers, sites, tmp_path, sqlite_url)
    add_test_organisations(engine, {name: [sites.url(kind)] for name, kind in KINDS.items()})
    with session_scope(engine) as session:
        for contact in session.exec(select(Contact)).all():
            contact.channel = "web"
            session.add(contact)
    question = "Подскажите, пожалуйста, часы работы приёмной?"
    options = {"web": {"submit_test_question": True, "test_question": question}}
    start_test_campaign(
        engine, peer="unused", now=SystemClock().now(), channels=["web"], options=options
    )
    async with _running(engine, settings):
        await wait_for(lambda: len(_checks(engine, outcome="site_checked")) == 2, timeout=120)
        follow, answered = await _asked_and_answered(engine, settings, servers, sites, question)
    _silence_then_pages(engine, settings, follow, answered)


async def _asked_and_answered(
    engine: Engine, settings: Settings, servers: MailServers, sites: Sites, question: str
) -> tuple[dict[str, Check], Check]:
    # The site checks are final; each form took the question (nginx's 200 to the POST).
    site = _by_org(engine, _checks(engine, outcome="site_checked"), sites)
    assert sum('"POST /feedback/send' in line for line in sites.access_log()) >= 2
    follow = _by_org(engine, _checks(engine, status="waiting"), sites)
    for org in KINDS:
        asked = site[org].details["questions"]
        assert [q["status"] for q in asked] == [200]
        assert site[org].details["web_form"]["working"] is True
        details = follow[org].details
        assert details["follow_up_of"] == site[org].id and details["follow_up"] == "question"
        assert details["token"] == asked[0]["token"] and details["token"].startswith("PRB-")
        assert details["recipient"] == settings.imap.username
    assert follow["A"].details["token"] != follow["B"].details["token"]

    # Columns 7-12 are scored without waiting for the answers.
    with session_scope(engine) as session:
        campaign = get_campaign_by_name(session=session, name="t")
        assert campaign is not None and campaign.status == "running"  # the follow-ups wait
        score = score_campaign(session=session, campaign=campaign, audit=False)
        rows = {row.name: row for row in score.protocol5}
        assert rows["A"].web_form.present is True and rows["A"].web_form.working is True
        assert rows["B"].faq.working is True and rows["B"].survey.working is True
        assert not [p for p in score.pending if p.table == TABLE and p.rule in ("R13", "R15")]

    # A's centre answers; the watcher matches the quoted token.
    text = f"{question}\n\nНомер обращения: {follow['A'].details['token']}"
    _answer(servers, settings.imap.username, follow["A"].details["token"], text)
    answered = await wait_for(  # the runner's own watcher (started within 5 s)
        lambda: next(iter(_checks(engine, id=follow["A"].id, status="done")), None),  # type: ignore[arg-type]
        timeout=60,
    )
    assert answered.outcome == "question_answered"
    assert answered.details["match_method"] == "token"
    assert answered.details["working_days"] == 0 and answered.details["late"] is False
    assert answered.details["reply_from"].endswith("@" + ORG_DOMAIN)
    assert "reply" in answered.timings_ms and 0 <= answered.details["latency_hours"] < 1
    return follow, answered


def _silence_then_pages(
    engine: Engine, settings: Settings, follow: dict[str, Check], answered: Check
) -> None:
    # B's centre stays silent: the sweep ends it only after the reply window (30 days).
    submitted = datetime.fromisoformat(follow["B"].details["submitted_at"])
    assert sweep_email(engine, now=submitted + timedelta(days=20)) == 0
    assert sweep_email(engine, now=submitted + timedelta(days=31)) == 1
    (silent,) = _checks(engine, id=follow["B"].id)  # type: ignore[arg-type]
    assert silent.status == "done" and silent.outcome == "question_unanswered"
    assert "reply_window_ends_at" in silent.details
    with session_scope(engine) as session:
        events = [e.kind for e in list_events(session=session, check_id=silent.id)]  # type: ignore[arg-type]
        campaign = get_campaign_by_name(session=session, name="t")
        assert campaign is not None and campaign.status == "done"
    # The attempt policy saw it (the one result path) and planned nothing more.
    assert events == ["pending", "result", "policy"]
    assert len(_checks(engine)) == 4
    _pages_show_the_follow_ups(engine, settings, follow, answered.id, silent.id)  # type: ignore[arg-type]


def _text(page: httpx.Response, selector: str) -> str:
    node = LexborHTMLParser(page.text).css_first(selector)
    assert node is not None, selector
    return " ".join(node.text().split())


def _pages_show_the_follow_ups(
    engine: Engine, settings: Settings, follow: dict[str, Check], answered: int, silent: int
) -> None:
    """The review UI shows a follow-up with a block of its own (the form, the token, the answer
    or its absence; no site view); the site check lists its question with a link to it; the
    silent one is the operator's verdict to give, in the queue."""
    with session_scope(engine) as session:
        create_user(
            session=session, username="operator", password_hash=hash_password(PASSWORD),
            role="operator", actor="test",
        )  # fmt: skip
    with contextmanager(running_server)(engine=engine, settings=settings) as server:
        client, _ = logged_in(server, "operator")
        page = client.get(f"/checks/{answered}")
        assert page.status_code == 200, page.text
        assert "ответ на вопрос с сайта получен" in page.text
        a = follow["A"].details
        assert _text(page, "#follow-up-token") == a["token"]
        assert _text(page, "#follow-up-of") == f"проверка №{a['follow_up_of']}"
        answer = _text(page, "#follow-up-answer")
        assert answer.startswith("получен ") and ", через 0 раб. дн. — в срок (срок: " in answer
        assert 'id="site"' not in page.text  # a follow-up shows no site view
        assert a["form"] in _text(page, "#follow-up")
        page = client.get(f"/checks/{silent}")
        assert page.status_code == 200, page.text
        assert "нет ответа на вопрос с сайта" in page.text
        assert _text(page, "#follow-up-answer").startswith("не получен: ожидание закончилось ")
        # The site check that asked: its question, with the answer's check and its state.
        site = client.get(f"/checks/{a['follow_up_of']}")
        row = _text(site, "#site-questions tbody tr")
        assert a["token"] in row and "200" in row
        assert row.endswith(f"проверка №{answered}: ответ получен")
        queue = client.get("/queue", params={"channel": "web"})
        assert queue.status_code == 200 and f"/checks/{silent}" in queue.text

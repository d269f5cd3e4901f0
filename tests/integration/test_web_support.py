"""Shared by the review UI's tests: a seeded database, accounts, and a real uvicorn server.

No tests live here; the other test_web_* modules import it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.results import CheckResult, EvidenceRef
from probe.sandbox.net import free_port, wait_for_port
from probe.scoring.names import Outcome
from probe.settings import Settings
from probe.web.app import create_app
from probe.web.security import hash_password
from storage.checks import add_review, create_campaign, create_check, record_result
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope
from storage.models import Check, Contact, InboundMessage
from storage.users import create_token, create_user

PASSWORD = "correct horse battery"
EVIL_ORG = "КЦСОН <script>alert('org')</script> Кировского округа"
EVIL_BODY = "Добрый день! <script>alert('mail')</script> Ответ во вложении."
EVIL_HTML = '<p>Ответ <b>готов</b></p><script>alert("html")</script><img src="http://x/t.gif">'
T0 = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@dataclass
class Seeded:
    campaign_id: int
    omsk_id: int
    rostov_id: int
    phone_contact_id: int
    busy_id: int  # phone, busy, final: needs a verdict
    connected_id: int  # phone, connected, not judged: needs etiquette, transfers, grade
    replied_id: int  # e-mail, replied, with a thread: needs a grade
    no_answer_id: int  # Rostov phone, no answer
    judged_id: int  # connected and fully judged: not in the queue
    retried_id: int  # busy, but a newer attempt exists: not in the queue
    tokens: dict[str, str]


def _org(db: Session, *, key: str, name: str, region: str, tz: str, contacts: list[dict]) -> int:
    org = upsert_organisation(
        session=db,
        values={"key": key, "name": name, "region": region, "timezone": tz, "short_name": ""},
        contacts=contacts,
        actor="test",
        stats=UpsertStats(),
    )
    assert org.id is not None
    return org.id


def _phone(value: str) -> dict[str, str]:
    return {"channel": "phone", "key": value, "raw": value, "value": value}


def _contact(db: Session, organisation_id: int, channel: str) -> Contact:
    return db.exec(
        select(Contact).where(
            Contact.organisation_id == organisation_id, Contact.channel == channel
        )
    ).first()  # type: ignore[return-value]


def _done(
    db: Session,
    contact: Contact,
    campaign_id: int,
    outcome: Outcome,
    minutes: int,
    **extra: object,
) -> Check:
    check = create_check(session=db, contact=contact, campaign_id=campaign_id)
    result = CheckResult(
        channel=contact.channel,
        outcome=outcome,
        started_at=T0 + timedelta(minutes=minutes),
        finished_at=T0 + timedelta(minutes=minutes, seconds=40),
        **extra,  # type: ignore[arg-type]
    )
    record_result(session=db, check=check, result=result)
    return check


def _eml(path: Path, *, plain: str | None, html: str | None, attachment: bool) -> None:
    message = EmailMessage()
    message["From"] = "kcson@example.ru"
    message["To"] = "prober@localhost"
    message["Subject"] = "Re: вопрос о записи"
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if attachment:
        message.add_attachment(
            b"<html><script>alert(1)</script></html>",
            maintype="text",
            subtype="html",
            filename="evil.html",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))


def _wav(path: Path) -> None:
    # A tenth of a second of silence: a real WAV the browser's player can load.
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)


SIP_TRACE = [
    {"at": "04:00:00.000", "direction": "out", "method": "INVITE"},
    {"at": "04:00:00.040", "direction": "in", "status": 100, "reason": "Trying"},
    {"at": "04:00:01.200", "direction": "in", "status": 180, "reason": "Ringing"},
    {"at": "04:00:06.900", "direction": "in", "status": 200, "reason": "OK"},
    {"at": "04:00:06.950", "direction": "out", "method": "ACK"},
    {"at": "04:00:40.000", "direction": "out", "method": "BYE"},
]


def seed(engine: Engine, data_dir: Path) -> Seeded:
    with session_scope(engine) as db:
        omsk_id = _org(
            db,
            key="omsk:evil",
            name=EVIL_ORG,
            region="omsk",
            tz="Asia/Omsk",
            contacts=[
                _phone("+73812357000"),
                {
                    "channel": "email",
                    "key": "kcson@example.ru",
                    "raw": "kcson@example.ru",
                    "value": "kcson@example.ru",
                },
            ],
        )
        rostov_id = _org(
            db, key="rostov:one", name="Центр соцобслуживания Ростова", region="rostov",
            tz="Europe/Moscow", contacts=[_phone("+78632000000")],
        )  # fmt: skip
        campaign = create_campaign(
            session=db, name="q1-2026", title="Первый квартал 2026", channels=["phone", "email"]
        )
        assert campaign.id is not None
        phone = _contact(db, omsk_id, "phone")
        mail = _contact(db, omsk_id, "email")
        rostov_phone = _contact(db, rostov_id, "phone")
        retried = _done(db, phone, campaign.id, Outcome.BUSY, 0)
        _done(db, phone, campaign.id, Outcome.NO_ANSWER, 5)  # the retry of `retried`
        judged = _done(db, phone, campaign.id, Outcome.CONNECTED, 10)
        _wav(data_dir / "recordings" / "call.wav")
        connected = _done(
            db, phone, campaign.id, Outcome.CONNECTED, 20,
            details={"sip_trace": SIP_TRACE, "remote_party": "+73812357000"},
            evidence=[EvidenceRef(kind="recording", path="recordings/call.wav",
                                  media_type="audio/wav", size=1644)],
        )  # fmt: skip
        busy = _done(db, phone, campaign.id, Outcome.BUSY, 30)
        _eml(data_dir / "mail" / "reply1.eml", plain=EVIL_BODY, html=None, attachment=True)
        _eml(data_dir / "mail" / "reply2.eml", plain=None, html=EVIL_HTML, attachment=False)
        replied = _done(db, mail, campaign.id, Outcome.REPLIED, 40)
        no_answer = _done(db, rostov_phone, campaign.id, Outcome.NO_ANSWER, 50)
        for n, name in enumerate(("reply1.eml", "reply2.eml"), start=1):
            db.add(
                InboundMessage(
                    account="prober", mailbox="INBOX", uidvalidity=1, uid=n,
                    from_address="kcson@example.ru", subject=f"Re: вопрос {n}",
                    received_at=T0 + timedelta(hours=n), kind="human_reply",
                    check_id=replied.id, match_method="in_reply_to",
                    evidence_path=f"mail/{name}",
                )
            )  # fmt: skip
        for field, value in (("etiquette", "full"), ("transfers", "none"), ("grade", "good")):
            add_review(session=db, author="test", field=field, value=value, check_id=judged.id)
        tokens = _accounts(db)
        ids = [c.id for c in (busy, connected, replied, no_answer, judged, retried)]
        assert all(i is not None for i in ids) and phone.id is not None
        return Seeded(campaign.id, omsk_id, rostov_id, phone.id, *ids, tokens=tokens)  # type: ignore[arg-type]


def _accounts(db: Session) -> dict[str, str]:
    tokens = {}
    password_hash = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    for role in ("admin", "operator", "viewer"):
        user = create_user(
            session=db, username=role, password_hash=password_hash, role=role, actor="test"
        )
        tokens[role], _ = create_token(session=db, user=user, name="tests", actor="test")
    return tokens


def make_settings(*, database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, secret_key="test-secret-key")


class WebServer:
    """The app under a real uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        wait_for_port(self.port)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def running_server(*, engine: Engine, settings: Settings) -> Iterator[WebServer]:
    server = WebServer(create_app(settings=settings, engine=engine))
    server.start()
    try:
        yield server
    finally:
        server.stop()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def browser_client(server: WebServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


def logged_in(server: WebServer, username: str) -> tuple[httpx.Client, str]:
    """A client signed in as `username` and its session's CSRF token."""
    client = browser_client(server)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/queue"},
    )
    assert response.status_code == 303, response.text
    return client, csrf_of(client.get("/queue").text)


def api(server: WebServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

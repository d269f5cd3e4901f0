"""A check's evidence on its page against a real server: who sent which letter, and a data
folder that moved."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.engine import session_scope
from storage.models import Check, InboundMessage
from tests.integration.test_web_support import (
    Seeded,
    WebServer,
    _eml,
    logged_in,
    make_settings,
    running_server,
)

pytestmark = pytest.mark.integration


def _mail_item(kind: str, path: str) -> dict[str, object]:
    return {"kind": kind, "path": path, "media_type": "message/rfc822", "size": 1}


def test_a_reply_and_a_bounce_are_shown_as_received_never_as_sent_by_us(
    server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _eml(tmp_path / "var" / "mail" / "sent.eml", plain="Вопрос о записи", html=None,
         attachment=False)  # fmt: skip
    with session_scope(engine) as db:
        check = db.get(Check, seeded.replied_id)
        assert check is not None
        bounce = InboundMessage(
            account="prober", mailbox="INBOX", uidvalidity=1, uid=3,
            from_address="mailer-daemon@example.ru", subject="Undelivered",
            kind="bounce", check_id=check.id, evidence_path="mail/bounce.eml",
        )  # fmt: skip
        db.add(bounce)
        _eml(tmp_path / "var" / "mail" / "bounce.eml", plain="5.1.1", html=None, attachment=False)
        check.evidence = [
            _mail_item("eml_sent", "mail/sent.eml"),
            _mail_item("eml_inbound", "mail/reply1.eml"),
            _mail_item("eml_inbound", "mail/bounce.eml"),
        ]
        db.add(check)
    client, _ = logged_in(server, "operator")
    page = client.get(f"/checks/{seeded.replied_id}").text
    articles = page.split('<article class="mail mail-')[1:]
    assert [a.split('"')[0] for a in articles] == ["out", "in", "in", "in"]
    assert "Вопрос о записи" in articles[0] and "Отправлено нами" in articles[0]
    assert page.count("Отправлено нами") == 1


def test_a_data_folder_copied_elsewhere_still_shows_every_recording_and_message(
    engine: Engine, sqlite_url: str, seeded: Seeded, tmp_path: Path
) -> None:
    original = tmp_path / "var"
    with session_scope(engine) as db:  # as written before paths were relative: absolute
        check = db.get(Check, seeded.connected_id)
        assert check is not None
        check.evidence = [dict(check.evidence[0], path=str(original / "recordings/call.wav"))]
        db.add(check)
        for message in db.exec(select(InboundMessage)).all():
            message.evidence_path = str(original / str(message.evidence_path))
            db.add(message)
    moved = tmp_path / "restored" / "var"
    shutil.copytree(original, moved)
    shutil.rmtree(original)
    settings = make_settings(database_url=sqlite_url, data_dir=moved)
    with contextlib.contextmanager(running_server)(engine=engine, settings=settings) as server:
        client, _ = logged_in(server, "operator")
        call = client.get(f"/checks/{seeded.connected_id}").text
        assert "нет файла" not in call and 'class="recording"' in call
        assert client.get(f"/checks/{seeded.connected_id}/evidence/0").status_code == 200
        mail = client.get(f"/checks/{seeded.replied_id}").text
        assert "Файл письма недоступен" not in mail and "Ответ во вложении" in mail

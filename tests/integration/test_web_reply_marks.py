"""The review UI shows a late e-mail reply's mark and a call's pre-answer forwards, in Russian,
against a real server."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from probe.scoring.names import Outcome
from storage.checks import create_campaign
from storage.engine import session_scope
from tests.integration.test_web_support import (
    Seeded,
    WebServer,
    _contact,
    _done,
    logged_in,
    make_settings,
    running_server,
)

pytestmark = pytest.mark.integration

LATE = "ответ позже нормы: 8 раб. дн. при норме 3"
FORWARD = {"kind": "redirect", "at_ms": 412.3, "detail": "302 Moved Temporarily -> sip:priem@pbx"}


@pytest.fixture
def marked(engine: Engine, seeded: Seeded) -> dict[str, int]:
    """A reply 8 working days after its letter, one the next day, and a call a trunk forwarded
    (302) before a person answered at once."""
    with session_scope(engine) as db:
        # The norm as schedules.spec.CampaignSpec keeps it (the channel options' default is 3).
        campaign = create_campaign(
            session=db, name="late", title="Поздние ответы", channels=["phone", "email"],
            spec={"organisations": {}, "email": {"deadline_working_days": 3}},
        )  # fmt: skip
        assert campaign.id is not None
        mail = _contact(db, seeded.omsk_id, "email")
        phone = _contact(db, seeded.omsk_id, "phone")
        timing = {"latency_hours": 310.5, "deadline_at": "2026-03-05T18:00:00+00:00"}
        late = _done(db, mail, campaign.id, Outcome.REPLIED, 60,
                     details={**timing, "working_days": 8, "late": True})  # fmt: skip
        in_time = _done(db, mail, campaign.id, Outcome.REPLIED, 70,
                        details={**timing, "working_days": 1, "late": False})  # fmt: skip
        forwarded = _done(db, phone, campaign.id, Outcome.CONNECTED, 80,
                          details={"forwards": [FORWARD], "transfers": 0,
                                   "transfer_class": "none", "transfer_list": []})  # fmt: skip
        return {"late": late.id, "in_time": in_time.id, "forwarded": forwarded.id}  # type: ignore[dict-item]


@pytest.fixture
def server(
    engine: Engine, sqlite_url: str, tmp_path: Path, marked: dict[str, int]
) -> Iterator[WebServer]:
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=engine, settings=settings)


def _row(page: str, check_id: int) -> str:
    start = page.index(f'data-check-id="{check_id}"')
    return page[start : page.index("</tr>", start)]


def test_a_late_reply_says_so_on_its_check_page_the_queue_and_the_organisation(
    server: WebServer, seeded: Seeded, marked: dict[str, int]
) -> None:
    client, _ = logged_in(server, "viewer")
    page = client.get(f"/checks/{marked['late']}").text
    assert f'<dt>Срок ответа</dt><dd id="reply-term">{LATE}</dd>' in page
    page = client.get(f"/checks/{marked['in_time']}").text
    assert "ответ в пределах нормы: 1 раб. дн. при норме 3" in page
    assert "позже нормы" not in page
    # The review list: both replies await a grade; only the late one carries the mark.
    queue = client.get("/queue", params={"channel": "email"}).text
    assert LATE in _row(queue, marked["late"])
    assert "позже нормы" not in _row(queue, marked["in_time"])
    assert "позже нормы" not in _row(queue, seeded.replied_id)  # recorded without a timing
    history = client.get(f"/organisations/{seeded.omsk_id}").text
    assert history.count(LATE) == 1


def test_a_forward_before_the_answer_is_shown_as_evidence_not_as_a_transfer(
    server: WebServer, seeded: Seeded, marked: dict[str, int]
) -> None:
    client, _ = logged_in(server, "viewer")
    page = html.unescape(client.get(f"/checks/{marked['forwarded']}").text)
    assert "<dt>Переадресация до ответа</dt>" in page
    assert (
        "<li>переадресация до ответа: перенаправление сетью — 302 Moved Temporarily -> "
        "sip:priem@pbx, через 0,4 с после вызова</li>"
    ) in page
    assert "не перевод вызова: переводы (графы 10-12) считаются с момента ответа" in page
    # A call without forwards shows no such line.
    plain = client.get(f"/checks/{seeded.connected_id}").text
    assert "Переадресация до ответа" not in plain

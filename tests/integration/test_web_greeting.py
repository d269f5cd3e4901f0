"""The check page shows the machine's reading of each greeting beside the player (issue 18
item 3), in a real browser: a word plays the recording from where it was said, and one click
confirms the proposal as an ordinary, audited etiquette review."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from probe.export import export_campaign
from probe.sandbox.voice import silence
from storage.engine import session_scope
from storage.models import AuditLog, GreetingProposal, Review
from tests.integration.test_web_browser import _login
from tests.integration.test_web_support import Seeded, WebServer

pytestmark = pytest.mark.integration

WORDS = ["Комплексный", "центр", "Смирнова", "Ольга", "Николаевна", "специалист"]


def _proposals(engine: Engine, check_id: int, data_dir: Path) -> None:
    silence(data_dir / "recordings" / "call.wav", 3.0)  # long enough to seek in
    words = [{"text": w, "start": 0.1 + 0.15 * n, "end": 0.2 + 0.15 * n, "probability": 0.9}
             for n, w in enumerate(WORDS)]  # fmt: skip
    with session_scope(engine) as session:
        session.add(
            GreetingProposal(
                check_id=check_id, person=1, status="done", recording="recordings/call.wav",
                start_s=0.0, etiquette="full", confidence=0.82,
                proposal={
                    "transcript": " ".join(WORDS), "etiquette": "full", "column": 7,
                    "found": {"organisation": True, "full_name": True, "position": True},
                    "parts": [
                        {"part": "organisation", "words": ["Комплексный", "центр"], "start": 0.1,
                         "end": 0.4, "score": 0.9},
                        {"part": "full_name", "words": ["Смирнова", "Ольга", "Николаевна"],
                         "start": 0.4, "end": 0.9, "score": 0.95},
                    ],
                    "words": words,
                },
            )
        )  # fmt: skip
        session.add(GreetingProposal(check_id=check_id, person=2, status="pending"))


def test_the_transcript_plays_from_a_word_and_one_click_confirms_the_proposal(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _proposals(engine, seeded.connected_id, tmp_path / "var")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, server, "operator")
    page.goto(f"{server.url}/checks/{seeded.connected_id}")
    greeting = page.locator("#greetings .greeting[data-person='1']")
    expect(greeting.locator(".proposal")).to_have_text(
        "назвал(а) организацию, ФИО и должность (графа 7)"
    )
    expect(greeting).to_contain_text("уверенность 0,82")
    expect(greeting.locator(".parts")).to_contain_text("ФИО: «Смирнова Ольга Николаевна»")
    expect(page.locator("#greetings .greeting[data-person='2'] .proposal")).to_have_text(
        "ожидает распознавания"
    )
    # A word seeks the player to where it was said (the script is the site's own: CSP allows it).
    greeting.locator("button.word", has_text="Смирнова").click()
    player = page.locator("#recording-1")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('recording-1').currentTime - 0.4) < 0.05"
    )
    assert player.evaluate("p => p.paused || p.currentTime >= 0.4")
    assert errors == []
    # One click: person 1 confirmed, the specialist (no proposal yet) left not judged.
    page.click("#form-greeting-confirm button")
    expect(page.locator("#flash")).to_have_text("Оценка сохранена.")
    row = page.locator("#current-reviews tr[data-field='etiquette']")
    expect(row).to_contain_text("operator")
    expect(row).to_contain_text("подтверждено предложение распознавания речи")
    with session_scope(engine) as session:
        review = session.exec(
            select(Review).where(
                Review.check_id == seeded.connected_id, Review.field == "etiquette"
            )
        ).one()
        assert (review.value, review.author) == ("full,", "operator")
        audit = session.exec(
            select(AuditLog).where(AuditLog.action == "review").order_by(col(AuditLog.id).desc())
        ).first()
        assert audit is not None and audit.actor == "operator"
    # The export cites the machine's proposal and who confirmed it.
    assert "предложено распознаванием речи, подтвердил(а) operator" in _etiquette_source(
        engine, tmp_path, seeded.omsk_id
    )


def _etiquette_source(engine: Engine, tmp_path: Path, organisation_id: int) -> str:
    out = export_campaign(engine=engine, campaign="q1-2026", fmt="json", out=tmp_path / "p.json")
    rows = json.loads(out.read_text())["protocol6_table1"]
    (row,) = [r for r in rows if r["organisation_id"] == organisation_id]
    return str(row["sources"]["etiquette"])


def test_an_overturned_proposal_is_cited_in_the_export_with_what_the_machine_said(
    server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _proposals(engine, seeded.connected_id, tmp_path / "var")
    answer = httpx.post(
        f"{server.url}/api/checks/{seeded.connected_id}/reviews",
        headers={"Authorization": f"Bearer {seeded.tokens['operator']}"},
        json={"field": "etiquette", "value": "organisation_only,none", "reason": "слышно иначе"},
    )
    assert answer.status_code == 200, answer.text
    source = _etiquette_source(engine, tmp_path, seeded.omsk_id)
    assert "распознавание речи предлагало графы 1) 7, 2) нет, operator отметил(а) иначе" in source


def test_a_viewer_reads_the_proposal_but_gets_no_confirm_button(
    page: Page, server: WebServer, seeded: Seeded, engine: Engine, tmp_path: Path
) -> None:
    _proposals(engine, seeded.connected_id, tmp_path / "var")
    _login(page, server, "viewer")
    page.goto(f"{server.url}/checks/{seeded.connected_id}")
    expect(page.locator("#greetings .transcript button.word")).to_have_count(len(WORDS))
    expect(page.locator("#form-greeting-confirm")).to_have_count(0)

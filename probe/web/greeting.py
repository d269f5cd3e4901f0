"""The machine's reading of each greeting on the check page (issue 18 item 3): the transcript
beside the player (a word plays the recording from where it was said), the proposed column and
the parts found. The operator confirms it with one click (an ordinary etiquette review) or
chooses other columns in the etiquette form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe import ru
from probe.reviews import Etiquette
from storage.greetings import proposals
from storage.models import GreetingProposal

STATUS = {
    "pending": "ожидает распознавания",
    "running": "распознаётся",
    "failed": "распознать не удалось",
    "no_speech": "речи не слышно",
}
MACHINE = "автоответчик или голосовое меню, а не человек"
PARTS = {"organisation": "организация", "full_name": "ФИО", "position": "должность"}


@dataclass
class Word:
    text: str
    start: float


@dataclass
class Found:
    part: str  # «организация»
    words: str
    start: float | None


@dataclass
class GreetingView:
    person: int
    status: str
    status_text: str
    etiquette: str | None = None
    proposal_text: str = ""
    confidence: str = ""
    transcript: str = ""
    words: list[Word] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    error: str | None = None


def _words(proposal: dict[str, Any]) -> list[Word]:
    found = []
    for word in proposal.get("words") or []:
        text = str(word.get("text") or word.get("word") or "").strip()
        if text and isinstance(word.get("start"), (int, float)):
            found.append(Word(text, float(word["start"])))
    return found


def _parts(proposal: dict[str, Any]) -> list[Found]:
    found = []
    for part in proposal.get("parts") or []:
        name = str(part.get("part", ""))
        words = part.get("words")
        text = " ".join(words) if isinstance(words, list) else str(words or "")
        start = part.get("start")
        found.append(
            Found(
                PARTS.get(name, name),
                text,
                float(start) if isinstance(start, (int, float)) else None,
            )
        )
    return found


def _view(row: GreetingProposal) -> GreetingView:
    view = GreetingView(row.person, row.status, STATUS.get(row.status, row.status), error=row.error)
    if row.status != "done":
        return view
    proposal = row.proposal or {}
    view.etiquette = row.etiquette
    view.status_text = "распознано"
    view.proposal_text = (
        MACHINE if row.etiquette == "machine" else ru.review_value("etiquette", row.etiquette or "")
    )
    if row.confidence is not None:
        view.confidence = f"{row.confidence:.2f}".replace(".", ",")
    view.transcript = str(proposal.get("transcript") or "")
    view.words = _words(proposal)
    view.found = _parts(proposal)
    return view


def greeting_views(*, engine: Engine, check_id: int) -> list[GreetingView]:
    with Session(engine) as session:
        return [_view(row) for row in proposals(session=session, check_id=check_id)]


def confirm_value(views: list[GreetingView]) -> str | None:
    """The etiquette review that confirms every proposal ("full,organisation_only"), a person
    without a proposal left not judged; None when there is no person's column to confirm."""
    persons = {v.person: v.etiquette for v in views if v.etiquette in set(Etiquette)}
    if not persons:
        return None
    return ",".join(persons.get(n) or "" for n in range(1, max(v.person for v in views) + 1))

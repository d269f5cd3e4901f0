"""The test question on the check page: what a site check asked through a form, and its answer.

A site check that put a question through a feedback form lists it (`details.questions`, the web
probe's record) with the follow-up check that waits for the answer; the follow-up's own page
(`details.follow_up`, made by storage.checks.create_follow_up) says which form took the question,
when, under which reference token, where the answer is awaited, and whether it came: in time or
late by the working days recorded with it, or not at all by the end of the reply window. Which
outcome means "answered" is the channel's (probe.channels.MailReply), never named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from probe.channels import mail_reply_channels
from probe.results import CheckStatus
from storage.models import Check

ANSWERED, UNANSWERED, WAITING = "answered", "unanswered", "waiting"


@dataclass
class Question:
    """One question a form's target took (or refused: `status` 400 and above)."""

    form: str  # the page with the form
    target: str  # where the form posts
    token: str  # «Номер обращения: PRB-…» at the end of the question
    recipient: str  # the mailbox the answer is awaited in
    submitted_at: datetime | None
    status: int | None  # the target's HTTP status
    follow_up_id: int | None = None  # the check that waits for its answer
    state: str | None = None  # that check's: ANSWERED, UNANSWERED, WAITING


@dataclass
class FollowUpView:
    """A follow-up check's own block."""

    of_check: int | None  # the site check that asked
    question: Question
    state: str
    replied_at: datetime | None
    working_days: int | None
    late: bool | None
    deadline_at: datetime | None


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def state_of(check: Check, outcome: str | None) -> str | None:
    """A follow-up's state by its outcome after the operator's verdict; None for a channel
    whose follow-ups are not answered by mail."""
    declared = mail_reply_channels().get(check.channel)
    if declared is None:
        return None
    if check.status == CheckStatus.WAITING.value or outcome is None:
        return WAITING
    return ANSWERED if outcome == declared.replied else UNANSWERED


def _question(found: dict[str, Any]) -> Question:
    return Question(
        form=str(found.get("form") or ""),
        target=str(found.get("target") or ""),
        token=str(found.get("token") or ""),
        recipient=str(found.get("recipient") or found.get("reply_address") or ""),
        submitted_at=_instant(found.get("submitted_at")),
        status=_int(found.get("status")),
    )


def follow_up_view(check: Check, outcome: str | None) -> FollowUpView | None:
    """The block of a follow-up check's page; None for any other check."""
    details = check.details or {}
    state = state_of(check, outcome)
    if not details.get("follow_up") or state is None:
        return None
    late = details.get("late")
    return FollowUpView(
        of_check=_int(details.get("follow_up_of")),
        question=_question(details),
        state=state,
        replied_at=_instant(details.get("replied_at")) if state == ANSWERED else None,
        working_days=_int(details.get("working_days")) if state == ANSWERED else None,
        late=late if isinstance(late, bool) and state == ANSWERED else None,
        deadline_at=_instant(details.get("deadline_at")),
    )


def questions_asked(session: Session, check: Check) -> list[Question]:
    """The questions a site check put through forms, each with the follow-up that waits for
    its answer (found by the check it follows and the question's token)."""
    asked = (check.details or {}).get("questions")
    if not isinstance(asked, list) or not asked or check.id is None:
        return []
    later = session.exec(
        select(Check).where(
            Check.contact_id == check.contact_id,
            Check.channel == check.channel,
            col(Check.id) > check.id,
        )
    ).all()
    follow_ups = {
        str((c.details or {}).get("token")): c
        for c in later
        if (c.details or {}).get("follow_up_of") == check.id
    }
    questions = []
    for found in asked:
        if not isinstance(found, dict):
            continue
        question = _question(found)
        follow_up = follow_ups.get(question.token)
        if follow_up is not None:
            question.follow_up_id = follow_up.id
            question.state = state_of(follow_up, follow_up.effective_outcome or follow_up.outcome)
        questions.append(question)
    return questions

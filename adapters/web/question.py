"""The test question a campaign submits through a feedback form (`submit_test_question`), and
the answer it then waits for by e-mail.

With a reply address in the settings (`web.reply_address`, a mailbox the e-mail watcher reads)
the form's e-mail field gets that address and the question ends with its reference token
(«Номер обращения: PRB-XXXXXXXX», probe.reference), so a reply that quotes the question is
matched to it. Each question submitted that way becomes a follow-up check (probe.results.FollowUp)
the engine creates `waiting` beside the site check, which stays final: columns 7-12 never wait
for the answer. The e-mail channel ends the follow-up `question_answered` (timed like a letter)
or, after the campaign's reply window, `question_unanswered` (probe.channels.MailReply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.web.detect import Finding
from probe.reference import reference_token
from probe.results import FollowUp
from probe.settings import Settings

FOLLOW_UP = "question"


@dataclass
class Asking:
    """What a check needs to ask questions that can be answered: the reply address and the
    seed of each question's token; the questions asked so far."""

    reply_address: str | None
    settings: Settings
    seed: str  # the check's id, attempt and campaign
    asked: list[dict[str, Any]] = field(default_factory=list)

    def token(self, finding: Finding) -> str:
        return reference_token(self.settings, f"web.{self.seed}.{finding.target}")

    def answerable(self, finding: Finding) -> bool:
        """A feedback form with an e-mail field, and a mailbox to read the answer from."""
        return (
            self.reply_address is not None
            and finding.service == "web_form"
            and any(_is_email(name, kind) for name, kind in finding.fields.items())
        )

    def note(self, finding: Finding, token: str, at: datetime, status: int) -> None:
        self.asked.append(
            {
                "form": finding.url,
                "target": finding.target,
                "token": token,
                "reply_address": self.reply_address,
                "submitted_at": at.isoformat(),
                "status": status,
            }
        )

    def follow_ups(self) -> list[FollowUp]:
        """One follow-up for each question the form's target took (a status below 400)."""
        return [
            FollowUp(
                kind=FOLLOW_UP,
                started_at=datetime.fromisoformat(q["submitted_at"]),
                details={
                    "token": q["token"],
                    "recipient": q["reply_address"],
                    "form": q["form"],
                    "target": q["target"],
                    "submitted_at": q["submitted_at"],
                },
            )
            for q in self.asked
            if q["status"] < 400
        ]


def _is_email(name: str, kind: str) -> bool:
    return kind == "email" or "mail" in name.lower()


def question_text(question: str, token: str) -> str:
    return f"{question}\n\nНомер обращения: {token}"

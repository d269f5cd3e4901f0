"""Protocol No. 6, table 2 for one organisation (rules R6, R8-R10)."""

from __future__ import annotations

from typing import Any

from probe.results import CheckStatus
from probe.reviews import ReviewField
from probe.scoring.data import CheckRow
from probe.scoring.model import Letter, MailRow
from probe.scoring.names import Channel, Outcome
from probe.scoring.rules import (
    counts_as_letter,
    deadline_working_days,
    newest,
    replied_late,
    reply_date,
    reply_working_days,
    sent_date,
)
from probe.scoring.view import OrganisationView

TABLE = "Протокол 6, таблица 2"


def _addresses(view: OrganisationView, check: CheckRow) -> tuple[str, ...]:
    written = check.details.get("addresses")
    if isinstance(written, list) and written and all(isinstance(a, str) for a in written):
        return tuple(written)
    contact = view.contact(check)
    return ((contact.value or contact.raw),) if contact else ()


def _state(check: CheckRow, outcome: str | None) -> str:
    if check.status == CheckStatus.WAITING:
        return "awaiting"
    return "replied" if outcome == Outcome.REPLIED else "no_reply"


def _letter(view: OrganisationView, check: CheckRow) -> Letter:
    outcome = view.outcome(check)
    grade = newest(view.reviews_of(check, ReviewField.GRADE))
    return Letter(
        check_id=check.id,
        addresses=_addresses(view, check),
        sent=sent_date(check.started_at, check.details, view.zone),
        replied=reply_date(outcome, check.finished_at, check.details, view.zone),
        state=_state(check, outcome),
        grade=grade.value if grade else None,
        late=replied_late(outcome, check.details),
        working_days=reply_working_days(outcome, check.details),
    )


def mail_row(view: OrganisationView) -> MailRow:
    letters = [
        _letter(view, c)
        for c in view.of_channel(Channel.EMAIL)
        if counts_as_letter(c.status, view.outcome(c))
    ]
    org_level = view.data.channels == {Channel.EMAIL}
    grade = view.judged(ReviewField.GRADE, Channel.EMAIL, org_level=org_level)
    for letter in letters:
        if letter.state == "awaiting":
            view.wait_for(table=TABLE, columns="5", what="ожидается ответ на письмо", rule="R10")
    if letters and grade.value is None:
        view.wait_for(table=TABLE, columns="6-9", what="ответ не оценён", rule="R8")
    return MailRow(
        number=view.number,
        organisation_id=view.id,
        protocol_row=view.org.protocol_row,
        name=view.name,
        letters=letters,
        grade=grade,
    )


def reply_timing(
    outcome: str | None, details: dict[str, Any], spec: dict[str, Any] | None
) -> tuple[bool, int | None, int] | None:
    """R10 for one check: (late, working days, the campaign's norm) of a replied letter, as
    recorded with the reply; None for anything else."""
    if outcome != Outcome.REPLIED:
        return None
    late = replied_late(Outcome.REPLIED, details)
    days = reply_working_days(Outcome.REPLIED, details)
    return late, days, deadline_working_days(spec)

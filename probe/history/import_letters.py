"""Protocol No. 6 table 2: one e-mail check per letter, with the reply's timing (R10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from probe.calendar import working_days_elapsed, working_deadline
from probe.history.contacts import ContactBook
from probe.history.context import ImportContext
from probe.history.document import (
    MailRow,
)
from probe.history.letters import LoggedLetter, parse_mail_row
from probe.hours import WeeklySchedule
from probe.results import CheckResult
from probe.reviews import ReviewField
from probe.scoring.names import Channel, Outcome
from probe.scoring.rules import deadline_working_days
from storage.models import Check, Organisation


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def _reply_timing(letter: LoggedLetter, org: Organisation, norm: int) -> dict[str, Any]:
    """R10 for a letter of the document: the working days from the day sent to the day of the
    reply, counted by the production calendar and the organisation's hours exactly as the
    e-mail probe counts them, and the late mark past the campaign's norm. Only the days are
    known: a reply is late when its day comes after the norm's last working day."""
    if letter.replied is None:
        return {}
    zone = ZoneInfo(org.timezone)
    schedule = WeeklySchedule.model_validate(org.hours) if org.hours else None
    sent_at, replied_at = _midnight(letter.sent, zone), _midnight(letter.replied, zone)
    deadline = working_deadline(sent_at, norm, tz=org.timezone, schedule=schedule)
    return {
        "working_days": working_days_elapsed(
            sent_at, replied_at, tz=org.timezone, schedule=schedule
        ),
        "deadline_at": deadline.isoformat(),
        "late": replied_at >= deadline,
    }


def _letter_check(
    ctx: ImportContext,
    book: ContactBook,
    org: Organisation,
    row: int,
    number: int,
    letter: LoggedLetter,
) -> Check:
    contacts = [book.email(a) for a in letter.addresses]
    outcome = Outcome.REPLIED if letter.replied else Outcome.NO_REPLY
    # Only the dates are known: the instant is the local midnight of the day sent, and the
    # dates themselves are kept in details, which the scoring rules read first.
    result = CheckResult(
        channel=Channel.EMAIL,
        outcome=outcome,
        started_at=_midnight(letter.sent, ZoneInfo(org.timezone)),
    )
    details = {
        "protocol_row": row,
        "letter": number,
        "addresses": letter.addresses,
        "also_to_contact_ids": [c.id for c in contacts[1:]],
        "sent_on": letter.sent.isoformat(),
        "replied_on": letter.replied.isoformat() if letter.replied else None,
        **_reply_timing(letter, org, deadline_working_days(ctx.campaign.spec)),
    }
    for contact in contacts:
        if contact.error:
            ctx.report.add(2, row, [f"table 2, row {row}: {contact.error}; the letter is "
                                    "recorded against the address as published"])  # fmt: skip
    assert contacts[0].id is not None
    check = ctx.check(contact_id=contacts[0].id, result=result, details=details)
    if letter.grade is not None:
        ctx.review(check, ReviewField.GRADE, letter.grade.value, row)
    return check


def import_mail_row(ctx: ImportContext, row: MailRow, org: Organisation) -> None:
    book = ContactBook(session=ctx.session, organisation=org)
    try:
        log = parse_mail_row(row)
    except ValueError as error:
        ctx.report.add(2, row.number, [f"{error}; the row's letters are not imported"])
        return
    ctx.report.add(2, row.number, log.problems)
    for number, letter in enumerate(log.letters, start=1):
        _letter_check(ctx, book, org, row.number, number, letter)
        ctx.days.extend(d for d in (letter.sent, letter.replied) if d is not None)
        ctx.report.letters += 1
    ctx.report.contacts_created += book.created

"""Protocol No. 6 table 1: the call log as phone checks, its "+" marks as reviews."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from probe.directory.phones import area_code_of
from probe.history.calllog import CallLogError, LoggedCall, LoggedDial, parse_call_log
from probe.history.contacts import ContactBook
from probe.history.context import HistoryImportReport, ImportContext
from probe.history.document import (
    PhoneRow,
)
from probe.history.marks import (
    ETIQUETTE_COLUMNS,
    GRADE_COLUMNS,
    TRANSFER_COLUMNS,
    column_marks,
    single_mark,
)
from probe.results import CheckResult
from probe.reviews import CallNote, Etiquette, ReviewField, etiquette_value
from probe.scoring.names import Channel, Outcome
from storage.models import Check, Organisation


def _area_code(org: Organisation, book: ContactBook) -> str | None:
    if org.area_code:
        return org.area_code
    for contact in book.contacts:
        if contact.channel == Channel.PHONE and contact.value:
            code = area_code_of(contact.value)
            if code:
                return code
    return None


def _dial_check(
    ctx: ImportContext, book: ContactBook, row: int, item: int, dial: LoggedDial
) -> Check:
    contact = book.phone(dial.phone)
    assert contact.id is not None
    result = CheckResult(channel=Channel.PHONE, outcome=dial.outcome, started_at=dial.at)
    details = {"protocol_row": row, "call_group": item, "dialled": dial.written, "note": dial.note}
    check = ctx.check(contact_id=contact.id, result=result, details=details)
    if dial.callback_requested:
        ctx.review(check, ReviewField.CALL_NOTE, CallNote.CALLBACK_REQUESTED.value, row)
    return check


def _cross_check(row: PhoneRow, calls: list[LoggedCall], report: HistoryImportReport) -> None:
    counted = [c for c in calls if any(d.outcome != Outcome.UNKNOWN for d in c.dials)]
    connected = [c for c in counted if any(d.outcome == Outcome.CONNECTED for d in c.dials)]
    for column, text, value in ((5, row.total, len(counted)), (6, row.connected, len(connected))):
        if text != str(value):
            report.add(1, row.number, [f"row {row.number}: the log gives {value} for column "
                                       f"{column}, the document says '{text}'"])  # fmt: skip


def _etiquette(
    ctx: ImportContext, row: PhoneRow, org: Organisation, answered: list[Check], problems: list[str]
) -> None:
    """Columns 7-9: each "+" is a judgement of someone who answered; tie them to the calls.

    One column marked: everyone answered alike, one person per connected call. One connected
    call: the one who picked up and the specialists it was transferred to, in the order of the
    columns (rows 11, 12 of seed 000: named only the centre, then did not introduce). As many
    marks as connected calls: one per call, in the order of the columns, and reported (the
    document does not say which call had which). Otherwise the organisation's marks, not tied
    to calls, and reported.
    """
    where = f"row {row.number}"
    values: list[Etiquette] = column_marks(
        row.marks[0:3], ETIQUETTE_COLUMNS, first_column=7, what="etiquette", where=where,
        problems=problems,
    )  # fmt: skip
    if not values:
        return
    if not answered:
        problems.append(f"{where}: etiquette marked without a connected call; not imported")
        return
    columns = ", ".join(str(7 + ETIQUETTE_COLUMNS.index(v)) for v in values)
    if len(values) == 1:
        for check in answered:
            ctx.review(check, ReviewField.ETIQUETTE, values[0].value, row.number)
    elif len(answered) == 1:
        ctx.review(answered[0], ReviewField.ETIQUETTE, etiquette_value(values), row.number)
    elif len(answered) == len(values):
        for check, value in zip(answered, values, strict=True):
            ctx.review(check, ReviewField.ETIQUETTE, value.value, row.number)
        problems.append(f"{where}: etiquette marked in columns {columns} over {len(answered)} "
                        "connected calls; read as one person per call in the order of the "
                        "columns (the document does not say which call had which)")  # fmt: skip
    else:
        marks = etiquette_value(values)
        ctx.review(None, ReviewField.ETIQUETTE, marks, row.number, organisation=org)
        problems.append(f"{where}: etiquette marked in columns {columns} over {len(answered)} "
                        "connected calls; read as the organisation's marks, not tied to "
                        "calls")  # fmt: skip


def _judgements(
    ctx: ImportContext,
    row: PhoneRow,
    org: Organisation,
    target: Check | None,
    answered: list[Check],
) -> None:
    problems: list[str] = []
    where = f"row {row.number}"
    marks = row.marks
    _etiquette(ctx, row, org, answered, problems)
    found = [
        (ReviewField.TRANSFERS, single_mark(marks[3:6], TRANSFER_COLUMNS, first_column=10,
                                            what="transfers", where=where, problems=problems)),
        (ReviewField.GRADE, single_mark(marks[6:10], GRADE_COLUMNS, first_column=13,
                                        what="grade", where=where, problems=problems)),
    ]  # fmt: skip
    ctx.report.add(1, row.number, problems)
    judged = [(f, v) for f, v in found if v is not None]
    if judged and target is None:
        ctx.report.add(1, row.number, [f"{where}: marks without any call; not imported"])
        return
    for review_field, value in judged:
        assert target is not None
        ctx.review(target, review_field, value.value, row.number)


def import_phone_row(ctx: ImportContext, row: PhoneRow, org: Organisation) -> None:
    book = ContactBook(session=ctx.session, organisation=org)
    where = f"row {row.number}"
    try:
        log = parse_call_log(
            row.log, zone=ZoneInfo(org.timezone), area_code=_area_code(org, book), where=where
        )
    except CallLogError as error:
        ctx.report.add(1, row.number, [f"{error}; the row's calls are not imported"])
        return
    ctx.report.add(1, row.number, log.problems)
    _cross_check(row, log.calls, ctx.report)
    zone = ZoneInfo(org.timezone)
    ctx.days.extend(d.at.astimezone(zone).date() for c in log.calls for d in c.dials)
    # Judgements sit on the last connected dial: the conversation the operator judged;
    # etiquette on each call's connected dial (every person who answered was judged).
    target: Check | None = None
    last: Check | None = None
    answered: list[Check] = []
    for call in log.calls:
        ctx.report.calls += 1
        connected: Check | None = None
        for dial in call.dials:
            last = _dial_check(ctx, book, row.number, call.item, dial)
            ctx.report.dials += 1
            if dial.outcome == Outcome.CONNECTED:
                target = connected = last
        if connected is not None:
            answered.append(connected)
    _judgements(ctx, row, org, target or last, answered)
    ctx.report.contacts_created += book.created

"""Import a past manual Protocol No. 6 as historical checks under a campaign of its own.

Table 1's call log becomes one phone check per number dialled (a numbered item of the log is one
call: its checks share `details["call_group"]`); table 2 becomes one e-mail check per letter.
The "+" marks become operator reviews, authored by the importer; etiquette marks (columns 7-9,
one per person who answered) go to the connected calls they judge (see `_etiquette`).
Protocol No. 5 table 1, when the file has it, gives the web form, FAQ and survey columns as
organisation-level reviews (the same rows an operator's judgement makes); its phone and e-mail
columns are compared with what the imported checks give, and a disagreement is reported, never
written over the checks.
Everything is written in one transaction: a file that cannot be read imports nothing. What the
document leaves ambiguous is reported in `HistoryImportReport.problems`, and resolved only in the
stated way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.calendar import working_days_elapsed, working_deadline
from probe.directory.importer import bundled_path, import_directory
from probe.directory.phones import area_code_of
from probe.directory.regions import find_region
from probe.history.calllog import CallLogError, LoggedCall, LoggedDial, parse_call_log
from probe.history.contacts import SOURCE, ContactBook
from probe.history.document import (
    MailRow,
    PhoneRow,
    Protocol5Row,
    Protocol6Document,
    read_protocol6,
)
from probe.history.letters import LoggedLetter, parse_mail_row
from probe.history.marks import (
    ETIQUETTE_COLUMNS,
    GRADE_COLUMNS,
    TRANSFER_COLUMNS,
    column_marks,
    single_mark,
)
from probe.hours import WeeklySchedule
from probe.results import Channel, CheckResult, Outcome
from probe.reviews import CallNote, ChannelPresence, Etiquette, ReviewField, etiquette_value
from probe.scoring import score_campaign
from probe.scoring.model import ChannelState
from probe.scoring.rules import deadline_working_days
from storage.checks import add_review, create_campaign, create_check, get_campaign_by_name
from storage.checks import record_result as store_result
from storage.engine import session_scope
from storage.models import Campaign, Check, Organisation

__all__ = ["HistoryImportError", "HistoryImportReport", "import_protocol6"]

ACTOR = "history:protocol6"
BUNDLED_DIRECTORY = "omsk-kcson"


class HistoryImportError(ValueError):
    """Nothing was imported; the message says why."""


@dataclass
class Problem:
    table: int
    row: int | None
    message: str
    protocol: int = 6


@dataclass
class HistoryImportReport:
    file: str
    campaign: str = ""
    campaign_id: int | None = None
    directory_imported: bool = False
    organisations: int = 0
    calls: int = 0
    dials: int = 0
    letters: int = 0
    protocol5_rows: int = 0
    contacts_created: int = 0
    reviews: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, table: int, row: int | None, messages: list[str], *, protocol: int = 6) -> None:
        self.problems.extend(Problem(table, row, m, protocol) for m in messages)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Context:
    session: Session
    campaign: Campaign
    report: HistoryImportReport
    attempts: dict[int, int] = field(default_factory=dict)
    # Local days of every dial, letter sent and reply received: the campaign's dates cover them.
    days: list[date] = field(default_factory=list)

    def check(self, *, contact_id: int, result: CheckResult, details: dict[str, Any]) -> Check:
        from storage.models import Contact

        contact = self.session.get(Contact, contact_id)
        assert contact is not None and self.campaign.id is not None
        attempt = self.attempts.get(contact_id, 0) + 1
        self.attempts[contact_id] = attempt
        check = create_check(
            session=self.session,
            contact=contact,
            campaign_id=self.campaign.id,
            attempt=attempt,
            historical=True,
            reason="imported from a manual Protocol No. 6",
        )
        result.details = {"source": SOURCE, **details}
        return store_result(session=self.session, check=check, result=result)

    def review(
        self,
        check: Check | None,
        field: ReviewField,
        value: str,
        row: int,
        *,
        organisation: Organisation | None = None,
    ) -> None:
        add_review(
            session=self.session,
            author=ACTOR,
            field=field.value,
            value=value,
            reason=f"Protocol No. 6, row {row}",
            check_id=check.id if check is not None else None,
            organisation_id=organisation.id if organisation is not None else None,
            campaign_id=self.campaign.id,
        )
        self.report.reviews += 1


# --- organisations ----------------------------------------------------------------------------


def _find_organisations(
    session: Session, numbers: list[int], region: str
) -> tuple[dict[int, Organisation], dict[int, list[int]]]:
    found = session.exec(
        select(Organisation)
        .where(col(Organisation.protocol_row).in_(numbers))
        .where(Organisation.region == region)
        .where(col(Organisation.active).is_(True))
    ).all()
    by_row: dict[int, list[Organisation]] = {}
    for org in found:
        assert org.protocol_row is not None
        by_row.setdefault(org.protocol_row, []).append(org)
    unique = {n: orgs[0] for n, orgs in by_row.items() if len(orgs) == 1}
    clashes = {n: [o.id or 0 for o in orgs] for n, orgs in by_row.items() if len(orgs) > 1}
    return unique, clashes


def _organisations(
    engine: Engine, numbers: list[int], region: str, report: HistoryImportReport
) -> dict[int, Organisation]:
    with session_scope(engine) as session:
        found, clashes = _find_organisations(session, numbers, region)
    if len(found) + len(clashes) < len(numbers):
        import_directory(bundled_path(BUNDLED_DIRECTORY), engine=engine, actor=ACTOR)
        report.directory_imported = True
        with session_scope(engine) as session:
            found, clashes = _find_organisations(session, numbers, region)
    for number, ids in clashes.items():
        report.add(0, number, [f"row {number}: organisations {ids} all have protocol_row "
                               f"{number} in region {region}; row not imported"])  # fmt: skip
    for number in numbers:
        if number not in found and number not in clashes:
            report.add(0, number, [f"row {number}: no organisation has protocol_row {number} "
                                   f"in region {region}; row not imported"])  # fmt: skip
    return found


def _area_code(org: Organisation, book: ContactBook) -> str | None:
    if org.area_code:
        return org.area_code
    for contact in book.contacts:
        if contact.channel == Channel.PHONE and contact.value:
            code = area_code_of(contact.value)
            if code:
                return code
    return None


# --- table 1 ----------------------------------------------------------------------------------


def _dial_check(ctx: _Context, book: ContactBook, row: int, item: int, dial: LoggedDial) -> Check:
    contact = book.phone(dial.phone)
    assert contact.id is not None
    result = CheckResult(channel=Channel.PHONE, outcome=dial.outcome, started_at=dial.at)
    details = {"protocol_row": row, "call_group": item, "dialled": dial.written, "note": dial.note}
    check = ctx.check(contact_id=contact.id, result=result, details=details)
    if dial.callback_requested:
        ctx.review(check, ReviewField.CALL_NOTE, CallNote.CALLBACK_REQUESTED.value, row)
    return check


def _cross_check(row: PhoneRow, calls: list[LoggedCall], report: HistoryImportReport) -> None:
    counted = [c for c in calls if any(d.outcome is not Outcome.UNKNOWN for d in c.dials)]
    connected = [c for c in counted if any(d.outcome is Outcome.CONNECTED for d in c.dials)]
    for column, text, value in ((5, row.total, len(counted)), (6, row.connected, len(connected))):
        if text != str(value):
            report.add(1, row.number, [f"row {row.number}: the log gives {value} for column "
                                       f"{column}, the document says '{text}'"])  # fmt: skip


def _etiquette(
    ctx: _Context, row: PhoneRow, org: Organisation, answered: list[Check], problems: list[str]
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
    ctx: _Context, row: PhoneRow, org: Organisation, target: Check | None, answered: list[Check]
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


def _import_phone_row(ctx: _Context, row: PhoneRow, org: Organisation) -> None:
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
            if dial.outcome is Outcome.CONNECTED:
                target = connected = last
        if connected is not None:
            answered.append(connected)
    _judgements(ctx, row, org, target or last, answered)
    ctx.report.contacts_created += book.created


# --- table 2 ----------------------------------------------------------------------------------


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
    ctx: _Context, book: ContactBook, org: Organisation, row: int, number: int, letter: LoggedLetter
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


def _import_mail_row(ctx: _Context, row: MailRow, org: Organisation) -> None:
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


# --- Protocol No. 5, table 1 ------------------------------------------------------------------

_YES_NO: dict[str, bool | None] = {"да": True, "нет": False, "": None}
_CHANNELS = ("phone", "e-mail", "web form", "FAQ section", "survey")
_OPERATOR_FIELDS = (ReviewField.WEB_FORM, ReviewField.FAQ, ReviewField.SURVEY)
_PRESENCE: dict[tuple[bool | None, bool | None], ChannelPresence] = {
    (True, True): ChannelPresence.WORKING,
    (True, False): ChannelPresence.NOT_WORKING,
    (False, False): ChannelPresence.ABSENT,
    (False, None): ChannelPresence.ABSENT,
}


@dataclass(frozen=True)
class _Written:
    """A phone or e-mail pair of Protocol 5 as the document has it, kept for the comparison."""

    row: int
    organisation_id: int
    channel: str
    column: int
    state: ChannelState


def _flag(text: str, where: str, column: int, problems: list[str]) -> tuple[bool, bool | None]:
    """(read, value): «да» True, «нет» False, empty None; anything else is not read."""
    folded = text.strip().lower()
    if folded in _YES_NO:
        return True, _YES_NO[folded]
    problems.append(f"{where}, column {column}: '{text}' is neither 'да' nor 'нет'; not read")
    return False, None


def _presence(state: ChannelState, where: str, what: str, column: int) -> ChannelPresence | str:
    """The review value for a web channel's pair, or the problem that keeps it unimported."""
    found = _PRESENCE.get((state.present, state.working))
    if found is not None:
        return found
    columns = f"columns {column}-{column + 1}"
    if state.present is None and state.working is None:
        return f"{where}: {what} ({columns}) is empty; left pending"
    present, working = (_yes_no_text(state.present), _yes_no_text(state.working))
    return (
        f"{where}: {what} ({columns}) reads present '{present}', working '{working}'; "
        "not imported, left pending"
    )


def _yes_no_text(flag: bool | None) -> str:
    return "" if flag is None else ("да" if flag else "нет")


def _import_protocol5_row(
    ctx: _Context, row: Protocol5Row, org: Organisation, written: list[_Written]
) -> None:
    where = f"Protocol No. 5, row {row.number}"
    problems: list[str] = []
    assert org.id is not None
    for index, (column, present_text, working_text) in enumerate(row.channels):
        read_present, present = _flag(present_text, where, column, problems)
        read_working, working = _flag(working_text, where, column + 1, problems)
        what = _CHANNELS[index]
        state = ChannelState(present, working)
        if index < 2:
            if read_present and read_working:
                written.append(_Written(row.number, org.id, what, column, state))
            continue
        if not (read_present and read_working):
            problems.append(f"{where}: {what} not imported, left pending")
            continue
        value = _presence(state, where, what, column)
        if not isinstance(value, ChannelPresence):
            problems.append(value)
            continue
        add_review(
            session=ctx.session,
            author=ACTOR,
            field=_OPERATOR_FIELDS[index - 2].value,
            value=value.value,
            reason=f"Protocol No. 5, row {row.number}, columns {column}-{column + 1}",
            organisation_id=org.id,
            campaign_id=ctx.campaign.id,
        )
        ctx.report.reviews += 1
    ctx.report.add(1, row.number, problems, protocol=5)
    ctx.report.protocol5_rows += 1


def _compare_protocol5(ctx: _Context, written: list[_Written]) -> None:
    """Report where the document's phone and e-mail pairs differ from what the checks give."""
    if not written:
        return
    score = score_campaign(session=ctx.session, campaign=ctx.campaign, audit=False)
    ours = {r.organisation_id: r for r in score.protocol5}
    for item in written:
        row = ours.get(item.organisation_id)
        if row is None:
            continue
        computed = row.phone if item.channel == "phone" else row.email
        source = "the imported calls" if item.channel == "phone" else "the imported letters"
        pairs = (
            ("present", item.column, item.state.present, computed.present, "the directory"),
            ("working", item.column + 1, item.state.working, computed.working, source),
        )
        for what, column, theirs, mine, by in pairs:
            if theirs is None or theirs == mine:
                continue
            given = f"'{_yes_no_text(mine)}'" if mine is not None else "nothing yet (pending)"
            message = (
                f"Protocol No. 5, row {item.row}: {item.channel} {what} (column {column}): "
                f"the document says '{_yes_no_text(theirs)}', {by} give {given}; "
                f"{by} are kept"
            )
            ctx.report.add(1, item.row, [message], protocol=5)


def _import_protocol5(
    ctx: _Context, rows: list[Protocol5Row], orgs: dict[int, Organisation]
) -> None:
    if not rows:
        missing = "the file has no Protocol No. 5 before Protocol No. 6; web form, FAQ and survey"
        ctx.report.add(1, None, [f"{missing} are left pending"], protocol=5)
        return
    written: list[_Written] = []
    for row in rows:
        if row.number in orgs:
            _import_protocol5_row(ctx, row, ctx.session.merge(orgs[row.number]), written)
    _compare_protocol5(ctx, written)


# --- the whole document -----------------------------------------------------------------------


def _campaign(
    session: Session, name: str, path: Path, days: list[date], report: HistoryImportReport
) -> Campaign:
    if get_campaign_by_name(session=session, name=name) is not None:
        raise HistoryImportError(
            f"campaign {name!r} already exists; give the import another name with --name"
        )
    campaign = create_campaign(
        session=session,
        name=name,
        title=f"Протокол № 6, {days[0].year} (импорт ручной проверки)",
        channels=[Channel.PHONE.value, Channel.EMAIL.value],
        spec={
            "source": SOURCE,
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "imported_at": datetime.now(UTC).isoformat(),
        },
        historical=True,
    )
    campaign.status = "done"
    campaign.starts_on, campaign.ends_on = min(days), max(days)
    report.campaign, report.campaign_id = campaign.name, campaign.id
    return campaign


_SENDER = re.compile(r"осуществлялась с электронного адреса\s+(\S+@[^\s,;]+)")


def _as_written(
    document: Protocol6Document, orgs: dict[int, Organisation], path: Path
) -> dict[str, Any]:
    """What the export prints as the document did: each organisation's name as written (the
    directory drops drafting devices such as «(далее – БУ КЦСОН)»; table 2's text, whole where
    table 1's is cut by page breaks) and the address letters were sent from (table 2's
    footnote)."""
    names: dict[str, str] = {}
    rows: list[PhoneRow | MailRow] = [*document.phone_rows, *document.mail_rows]
    for row in rows:
        if row.number in orgs and row.name:
            names[str(orgs[row.number].id)] = row.name
    spec: dict[str, Any] = {"names_as_written": names}
    sender = _SENDER.search(path.read_text(encoding="utf-8"))
    if sender:
        spec["sender"] = sender.group(1).rstrip(".")
    return spec


def _days(rows: list[MailRow]) -> list[date]:
    """The days letters were sent: they name the campaign's year before the rows are read."""
    days: list[date] = []
    for row in rows:
        try:
            days.extend(letter.sent for letter in parse_mail_row(row).letters)
        except ValueError:
            continue
    return days


def import_protocol6(
    path: Path,
    *,
    engine: Engine,
    name: str | None = None,
    region: str = "omsk",
) -> HistoryImportReport:
    """Import `path`; Protocol6FormatError or HistoryImportError when nothing could be."""
    document = read_protocol6(path)
    region_code = find_region(region).code
    report = HistoryImportReport(file=str(path))
    numbers = sorted(
        {r.number for r in document.phone_rows}
        | {r.number for r in document.mail_rows}
        | {r.number for r in document.protocol5_rows}
    )
    orgs = _organisations(engine, numbers, region_code, report)
    days = _days(document.mail_rows) or [date.today()]
    with session_scope(engine) as session:
        campaign = _campaign(
            session, name or f"protocol6-{min(days).year}-{region_code}", path, days, report
        )
        ctx = _Context(session=session, campaign=campaign, report=report)
        for phone_row in document.phone_rows:
            if phone_row.number in orgs:
                _import_phone_row(ctx, phone_row, session.merge(orgs[phone_row.number]))
        for mail_row in document.mail_rows:
            if mail_row.number in orgs:
                _import_mail_row(ctx, mail_row, session.merge(orgs[mail_row.number]))
        _import_protocol5(ctx, document.protocol5_rows, orgs)
        if ctx.days:
            campaign.starts_on, campaign.ends_on = min(ctx.days), max(ctx.days)
        campaign.spec = {**campaign.spec, **_as_written(document, orgs, path)}
        report.organisations = len(orgs)
    return report

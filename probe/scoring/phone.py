"""Protocol No. 6, table 1 for one organisation (rules R1-R8)."""

from __future__ import annotations

from collections import defaultdict

from probe.results import CheckStatus
from probe.reviews import ReviewField, parse_etiquette
from probe.scoring.data import CheckRow, ContactRow, ReviewRow
from probe.scoring.model import (
    ETIQUETTE_COLUMNS,
    Call,
    Dial,
    EtiquetteMarks,
    Judged,
    PhoneRow,
)
from probe.scoring.names import Channel, Outcome
from probe.scoring.rules import (
    call_connected,
    call_group_key,
    counts_as_call,
    dial_note,
    local,
    newest,
    number_fully_tried,
    persons_answered,
    transfers_from_count,
)
from probe.scoring.view import OrganisationView

TABLE = "Протокол 6, таблица 1"
HISTORICAL_SOURCE = "protocol6"


def numbers_called(view: OrganisationView) -> list[str]:
    """Column 3: the published phones (not faxes, not numbers only dialled) this campaign's
    checks called, as each check's own contact records them, and the active ones not called
    yet. A correction never rewrites history: the number marked wrong stays, as its call log
    shows, and the number that replaced it appears only once it has a check of its own."""
    called = {check.contact_id for check in view.of_channel(Channel.PHONE)}
    replacements = {c.superseded_by_id for c in view.contacts() if c.superseded_by_id}
    return [
        c.raw
        for c in view.contacts()
        if c.channel == Channel.PHONE
        and not c.is_fax
        and c.source != HISTORICAL_SOURCE
        and (c.id in called or (c.active and c.id not in replacements))
    ]


def _published_phones(view: OrganisationView) -> list[ContactRow]:
    """The active phone contacts the organisation publishes: no faxes, no numbers only dialled
    (a historical call log's)."""
    return [
        c
        for c in view.contacts()
        if c.channel == Channel.PHONE
        and c.active
        and not c.is_fax
        and c.source != HISTORICAL_SOURCE
    ]


def numbers_not_fully_tried(view: OrganisationView) -> list[str]:
    """R11: the published numbers without their full set of attempts yet (one with an attempt
    planned or in flight among them). A historical campaign keeps its checker's judgement."""
    if view.data.campaign.historical:
        return []
    calls = (view.data.campaign.spec or {}).get("calls") or {}
    outcomes: dict[int, list[str | None]] = defaultdict(list)
    still_open: set[int] = set()
    for check in view.of_channel(Channel.PHONE):
        if check.status in (CheckStatus.PLANNED, CheckStatus.RUNNING):
            still_open.add(check.contact_id)
        elif counts_as_call(check.status, view.outcome(check)):
            outcomes[check.contact_id].append(view.outcome(check))
    counted = sum(len(x) for x in outcomes.values())
    return [
        c.raw
        for c in _published_phones(view)
        if c.value is not None
        and (c.id in still_open or not number_fully_tried(outcomes[c.id], calls, counted))
    ]


def _dial(view: OrganisationView, check: CheckRow) -> Dial:
    assert check.started_at is not None
    contact = view.contact(check)
    written = check.details.get("dialled")
    number = written if isinstance(written, str) and written else (contact.raw if contact else "")
    call_note = newest(view.reviews_of(check, ReviewField.CALL_NOTE))
    outcome = view.outcome(check)
    # An imported note is the operator's own words for the outcome recorded with it: once a
    # verdict changes that outcome, the words no longer describe it.
    written = check.details.get("note")
    as_recorded = outcome is not None and outcome == check.outcome
    kept = written if isinstance(written, str) and as_recorded else None
    note = dial_note(outcome, call_note.value if call_note else None, kept)
    return Dial(check.id, local(check.started_at, view.zone), number, outcome, note)


def _persons(review: ReviewRow) -> tuple[str | None, ...] | None:
    try:
        return tuple(p.value if p else None for p in parse_etiquette(review.value))
    except ValueError:
        return None  # written before validation or by hand: not a judgement the rules can read


def _call_etiquette(
    view: OrganisationView, checks: list[CheckRow]
) -> tuple[tuple[str | None, ...], str]:
    """R14: the newest etiquette review on the call's checks, else one unjudged per person."""
    reviews = [r for c in checks for r in view.reviews_of(c, ReviewField.ETIQUETTE)]
    review = newest(r for r in reviews if _persons(r) is not None)
    if review is not None:
        persons = _persons(review)
        assert persons is not None
        source = f"отметка {review.id} ({review.author}), попытка {review.check_id}"
        return persons, source + machine_citation(view, review.check_id, persons, review.author)
    answered = [c for c in checks if view.outcome(c) == Outcome.CONNECTED]
    transfers = newest(r for c in answered for r in view.reviews_of(c, ReviewField.TRANSFERS))
    measured = answered[-1].details.get("transfers")
    count = persons_answered(transfers.value if transfers else None, measured)
    return (None,) * count, ""


def machine_citation(
    view: OrganisationView, check_id: int | None, persons: tuple[str | None, ...], author: str
) -> str:
    """Whether the mark was proposed by speech recognition and confirmed by whom (issue 18)."""
    proposed = view.data.proposals.get(check_id or 0)
    if not proposed:
        return ""
    machine = tuple(proposed.get(n + 1) for n in range(len(persons)))
    if machine == persons:
        return f"; предложено распознаванием речи, подтвердил(а) {author}"
    columns = ", ".join(
        f"{n + 1}) {ETIQUETTE_COLUMNS.get(p or '', 'нет')}" for n, p in enumerate(machine)
    )
    return f"; распознавание речи предлагало графы {columns}, {author} отметил(а) иначе"


def _calls(view: OrganisationView) -> list[Call]:
    groups: dict[tuple[str, int], list[CheckRow]] = defaultdict(list)
    for check in view.of_channel(Channel.PHONE):
        if counts_as_call(check.status, view.outcome(check)):
            groups[call_group_key(check.id, check.details)].append(check)
    calls = []
    for checks in groups.values():  # insertion order: by the time of each group's first dial
        dials = tuple(_dial(view, c) for c in checks)
        connected = call_connected(d.outcome for d in dials)
        etiquette, source = _call_etiquette(view, checks) if connected else ((), "")
        calls.append(Call(dials, connected, etiquette, source))
    return calls


def _etiquette_marks(view: OrganisationView, calls: list[Call]) -> EtiquetteMarks:
    """R14: an organisation-level review replaces the calls' judgements; else every call's."""
    org_level = newest(
        r for r in view.org_reviews if r.field == ReviewField.ETIQUETTE and _persons(r)
    )
    if org_level is not None:
        persons = _persons(org_level)
        assert persons is not None
        source = f"отметка {org_level.id} ({org_level.author}), организация"
        return EtiquetteMarks(persons, source)
    judged = [call for call in calls if call.connected]
    sources = dict.fromkeys(call.etiquette_source for call in judged if call.etiquette_source)
    persons = tuple(person for call in judged for person in call.etiquette)
    return EtiquetteMarks(persons, "; ".join(sources))


def _measured_transfers(view: OrganisationView, calls: list[Call]) -> Judged:
    """R7: from the newest connected dial that carries a transfer count."""
    by_id = {c.id: c for c in view.checks}
    for call in reversed(calls):
        for dial in reversed(call.dials):
            check = by_id[dial.check_id]
            value = transfers_from_count(check.details.get("transfers"))
            if dial.outcome == Outcome.CONNECTED and value is not None:
                return Judged(value.value, f"измерено программой, попытка {check.id}")
    return Judged()


def _etiquette_waits(etiquette: EtiquetteMarks) -> str:
    persons = len(etiquette.persons)
    if etiquette.unjudged == persons:
        return "этикет не оценён"
    return f"этикет не оценён у {etiquette.unjudged} из {persons} ответивших"


def _grade_org_level(view: OrganisationView) -> bool:
    return view.data.channels == {Channel.PHONE}


def phone_row(view: OrganisationView) -> PhoneRow:
    calls = _calls(view)
    connected = sum(1 for call in calls if call.connected)
    phone = Channel.PHONE
    etiquette = _etiquette_marks(view, calls)
    transfers = view.judged(ReviewField.TRANSFERS, phone)
    if transfers.value is None:
        transfers = _measured_transfers(view, calls)
    grade = view.judged(ReviewField.GRADE, phone, org_level=_grade_org_level(view))
    if connected and (etiquette.unjudged or not etiquette.persons):
        view.wait_for(table=TABLE, columns="7-9", what=_etiquette_waits(etiquette), rule="R8")
    if connected and transfers.value is None:
        view.wait_for(table=TABLE, columns="10-12", what="перевод вызова не оценён", rule="R8")
    if calls and grade.value is None:
        view.wait_for(
            table=TABLE, columns="13-16", what="качество консультации не оценено", rule="R8"
        )
    return PhoneRow(
        number=view.number,
        organisation_id=view.id,
        protocol_row=view.org.protocol_row,
        name=view.name,
        numbers_called=numbers_called(view),
        calls=calls,
        total_calls=len(calls),
        connected_calls=connected,
        etiquette=etiquette,
        transfers=transfers,
        grade=grade,
    )

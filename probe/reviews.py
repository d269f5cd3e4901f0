"""The judgements an operator owns, as a fixed vocabulary shared by the review UI and scoring.

A `Review` row has a `field` and a `value` from here. Reviews attach to a check (a connected
call, an e-mail reply) or to an organisation within a campaign (the protocol's per-organisation
columns and Protocol 5's operator-entered channels). The newest review of a field wins; older
ones stay as history.

Etiquette is judged per person who answered a call (the one who picked up, then each specialist
the call was transferred to): its value lists one judgement per person, comma-separated, in the
order they answered ("organisation_only,none"); an empty item is a person not judged yet
("full,,none"). A single value ("full", as every review before this was written) is a list of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ReviewField(StrEnum):
    ETIQUETTE = "etiquette"  # Protocol 6 table 1, columns 7-9
    TRANSFERS = "transfers"  # columns 10-12
    GRADE = "grade"  # columns 13-16 (phone) and table 2 (e-mail)
    CALL_NOTE = "call_note"  # column 4 notes only a person hears: "попросили перезвонить"
    VERDICT = "verdict"  # confirm or overturn the automatic outcome (value: outcome or "confirmed")
    NOTE = "note"  # free text
    WEB_FORM = "web_form"  # Protocol 5: e-form for appeals
    FAQ = "faq"  # Protocol 5: FAQ section
    SURVEY = "survey"  # Protocol 5: opinion survey
    # A check found contacts published that the directory lacks: the operator corrected the
    # directory, or found it current.
    DIRECTORY = "directory"


class Etiquette(StrEnum):
    FULL = "full"  # named the organisation, full name and position (column 7; regulation 001)
    ORGANISATION_ONLY = "organisation_only"  # named only the organisation (column 8)
    NONE = "none"  # did not introduce (column 9)


PERSON_SEPARATOR = ","
MAX_PERSONS = 20  # nobody is transferred twenty times within one call


def parse_etiquette(value: str) -> tuple[Etiquette | None, ...]:
    """One judgement per person who answered (None: not judged), or ValueError saying why."""
    items = [item.strip() for item in value.split(PERSON_SEPARATOR)]
    if len(items) > MAX_PERSONS:
        raise ValueError(f"etiquette: {len(items)} persons; at most {MAX_PERSONS}")
    allowed = ", ".join(e.value for e in Etiquette)
    persons: list[Etiquette | None] = []
    for item in items:
        if item and item not in set(Etiquette):
            raise ValueError(f"etiquette: {item!r} is not one of {allowed} (or empty: not judged)")
        persons.append(Etiquette(item) if item else None)
    if all(person is None for person in persons):
        raise ValueError("etiquette: no person judged")
    return tuple(persons)


def judges_everyone(field: str, value: str) -> bool:
    """False for an etiquette review that leaves a person not judged ("full,,none")."""
    if field != ReviewField.ETIQUETTE:
        return True
    return "" not in (item.strip() for item in value.split(PERSON_SEPARATOR))


def etiquette_value(persons: Sequence[Etiquette | str | None]) -> str:
    """The review value for these persons' judgements, in the order they answered."""
    return PERSON_SEPARATOR.join(str(p) if p else "" for p in persons)


class Transfers(StrEnum):
    NONE = "none"  # reached at once a person able to consult (column 10)
    ONCE = "once"  # transferred once (column 11)
    SEVERAL = "several"  # transferred several times (column 12)


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"


class CallNote(StrEnum):
    CALLBACK_REQUESTED = "callback_requested"  # "попросили перезвонить"


class DirectoryCheck(StrEnum):
    """The operator's answer to «справочник может быть устаревшим»."""

    UPDATED = "updated"  # the directory was corrected (a contact correction)
    CURRENT = "current"  # the directory is right; the site's contact is not a published one


class ChannelPresence(StrEnum):
    """Protocol 5 columns for the channels the prober cannot test itself."""

    WORKING = "working"  # present: yes, working: yes
    NOT_WORKING = "not_working"  # present: yes, working: no
    ABSENT = "absent"  # present: no


ALLOWED_VALUES: dict[ReviewField, frozenset[str] | None] = {
    ReviewField.ETIQUETTE: None,  # a list of Etiquette values: parse_etiquette
    ReviewField.TRANSFERS: frozenset(Transfers),
    ReviewField.GRADE: frozenset(Grade),
    ReviewField.CALL_NOTE: frozenset(CallNote),
    ReviewField.VERDICT: None,  # an outcome value or "confirmed"; checked against the channel
    ReviewField.NOTE: None,
    ReviewField.WEB_FORM: frozenset(ChannelPresence),
    ReviewField.FAQ: frozenset(ChannelPresence),
    ReviewField.SURVEY: frozenset(ChannelPresence),
    ReviewField.DIRECTORY: frozenset(DirectoryCheck),
}


def validate_review(field: str, value: str) -> tuple[ReviewField, str]:
    """The field and value, or ValueError naming what is allowed."""
    try:
        review_field = ReviewField(field)
    except ValueError:
        allowed = ", ".join(f.value for f in ReviewField)
        raise ValueError(f"unknown review field {field!r}; one of: {allowed}") from None
    if review_field is ReviewField.ETIQUETTE:
        return review_field, etiquette_value(parse_etiquette(value))
    allowed_values = ALLOWED_VALUES[review_field]
    if allowed_values is not None and value not in allowed_values:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(sorted(allowed_values))}")
    if not value.strip():
        raise ValueError(f"{field}: empty value")
    return review_field, value

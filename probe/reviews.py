"""The judgements an operator owns, as a fixed vocabulary shared by the review UI and scoring.

A `Review` row has a `field` and a `value` from here. Reviews attach to a check (a connected
call, an e-mail reply) or to an organisation within a campaign (the protocol's per-organisation
columns and Protocol 5's operator-entered channels). The newest review of a field wins; older
ones stay as history.
"""

from __future__ import annotations

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


class Etiquette(StrEnum):
    FULL = "full"  # named the organisation, full name and position (column 7; regulation 001)
    ORGANISATION_ONLY = "organisation_only"  # named only the organisation (column 8)
    NONE = "none"  # did not introduce (column 9)


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


class ChannelPresence(StrEnum):
    """Protocol 5 columns for the channels the prober cannot test itself."""

    WORKING = "working"  # present: yes, working: yes
    NOT_WORKING = "not_working"  # present: yes, working: no
    ABSENT = "absent"  # present: no


ALLOWED_VALUES: dict[ReviewField, frozenset[str] | None] = {
    ReviewField.ETIQUETTE: frozenset(Etiquette),
    ReviewField.TRANSFERS: frozenset(Transfers),
    ReviewField.GRADE: frozenset(Grade),
    ReviewField.CALL_NOTE: frozenset(CallNote),
    ReviewField.VERDICT: None,  # an outcome value or "confirmed"; checked against the channel
    ReviewField.NOTE: None,
    ReviewField.WEB_FORM: frozenset(ChannelPresence),
    ReviewField.FAQ: frozenset(ChannelPresence),
    ReviewField.SURVEY: frozenset(ChannelPresence),
}


def validate_review(field: str, value: str) -> tuple[ReviewField, str]:
    """The field and value, or ValueError naming what is allowed."""
    try:
        review_field = ReviewField(field)
    except ValueError:
        allowed = ", ".join(f.value for f in ReviewField)
        raise ValueError(f"unknown review field {field!r}; one of: {allowed}") from None
    allowed_values = ALLOWED_VALUES[review_field]
    if allowed_values is not None and value not in allowed_values:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(sorted(allowed_values))}")
    if not value.strip():
        raise ValueError(f"{field}: empty value")
    return review_field, value

"""Contacts a check found the organisation publishing that the directory lacks (a website's
phones and addresses): the check goes to the review queue as «справочник может быть
устаревшим» until an operator answers with a `directory` review (the directory corrected, or
found current).

Which details name such contacts is the channel's declaration
(`ChannelSpec.published_contacts`); nothing here names a channel. The finding is a
`directory_outdated` event on the check (its data: the unlisted values by channel), written on
the one result path (schedules/completion.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func
from sqlmodel import Session, col, select

from probe.channels import UnknownChannelError, channel_spec
from probe.reviews import ReviewField
from probe.ru import DIRECTORY_OUTDATED
from storage.events import add_event
from storage.models import Check, CheckEvent, Contact, Review

EVENT = "directory_outdated"
FIELD = ReviewField.DIRECTORY.value


def _listed(session: Session, organisation_id: int, channel: str) -> set[str]:
    values = session.exec(
        select(Contact.value).where(
            Contact.organisation_id == organisation_id,
            Contact.channel == channel,
            col(Contact.active).is_(True),
        )
    ).all()
    return {v.lower() for v in values if v}


def unlisted_contacts(
    session: Session, check: Check, details: dict[str, Any]
) -> dict[str, list[str]]:
    """Channel -> the values the check's details publish that the organisation's directory
    entry lacks (compared lower-cased: addresses keep their case as published)."""
    try:
        pairs = channel_spec(check.channel).published_contacts
    except UnknownChannelError:
        return {}
    found: dict[str, list[str]] = {}
    for key, channel in pairs:
        published = details.get(key)
        if not isinstance(published, list):
            continue
        listed = _listed(session, check.organisation_id, channel)
        missing = [v for v in published if isinstance(v, str) and v and v.lower() not in listed]
        if missing:
            found[channel] = list(dict.fromkeys(missing))
    return found


def note_unlisted_contacts(session: Session, check: Check, details: dict[str, Any]) -> bool:
    """Put the check in the review queue when it found contacts the directory lacks."""
    found = unlisted_contacts(session, check, details)
    if not found:
        return False
    values = ", ".join(v for vs in found.values() for v in vs)
    add_event(
        session=session,
        check=check,
        kind=EVENT,
        message=f"{DIRECTORY_OUTDATED}: на сайте есть {values}, в справочнике нет",
        data=found,
    )
    return True


def needs_directory_check() -> ColumnElement[bool]:
    """The queue's condition: a check with unlisted contacts nobody has answered yet."""
    flagged = exists().where(
        col(CheckEvent.check_id) == col(Check.id), col(CheckEvent.kind) == EVENT
    )
    # A count, not NOT EXISTS: under the queue's OR, PostgreSQL turns NOT EXISTS into a hash
    # of the whole review table, built before the first row (2 s on 1.2 million reviews,
    # bench/web_queue.py); a scalar subquery stays an index probe per row.
    answered = (
        select(func.count())
        .where(col(Review.check_id) == col(Check.id), col(Review.field) == FIELD)
        .scalar_subquery()
    )
    return and_(flagged, answered == 0)


def flagged_checks(session: Session, check_ids: Sequence[int | None]) -> set[int]:
    """Of these checks, those with unlisted contacts (answered or not)."""
    ids = [i for i in check_ids if i is not None]
    if not ids:
        return set()
    rows = session.exec(
        select(CheckEvent.check_id).where(
            col(CheckEvent.check_id).in_(ids), col(CheckEvent.kind) == EVENT
        )
    ).all()
    return set(rows)

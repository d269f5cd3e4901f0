"""Organisations for staff: search by name, region, kind or contact; an organisation's checks
counted by campaign, channel and effective outcome (after operators' verdicts), for its history
across campaigns and the comparison of a past protocol with a campaign of now."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from probe.results import CheckStatus
from storage.models import Campaign, Check, Contact, Organisation


def _variants(text: str) -> list[str]:
    # SQLite folds only ASCII letters, PostgreSQL's C locale likewise: the Cyrillic spellings
    # staff type are tried as typed, lower case, upper case and capitalised.
    return sorted({text, text.lower(), text.upper(), text.capitalize()})


def _like(column: Any, text: str) -> Any:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(column.ilike(f"%{v}%", escape="\\") for v in _variants(escaped)))


@dataclass(frozen=True)
class OrganisationSearch:
    text: str = ""  # a piece of the full or short name
    region: str = ""
    kind: str = ""
    contact: str = ""  # a piece of a phone number or address, as published or normalised


def search_organisations(*, session: Session, search: OrganisationSearch) -> Sequence[Any]:
    """Matching active organisations (id, name, short name, region, kind, address), by region
    then name; the caller pages them (a directory holds thousands, not millions)."""
    query = select(
        col(Organisation.id),
        col(Organisation.name),
        col(Organisation.short_name),
        col(Organisation.region),
        col(Organisation.kind),
        col(Organisation.address),
    ).where(col(Organisation.active).is_(True))
    if search.text:
        query = query.where(
            or_(
                _like(col(Organisation.name), search.text),
                _like(col(Organisation.short_name), search.text),
            )
        )
    if search.region:
        query = query.where(col(Organisation.region) == search.region)
    if search.kind:
        query = query.where(col(Organisation.kind) == search.kind)
    if search.contact:
        digits = "".join(ch for ch in search.contact if ch.isdigit())
        wanted = [
            _like(col(Contact.raw), search.contact),
            _like(col(Contact.value), search.contact),
        ]
        if len(digits) >= 3:
            wanted.append(col(Contact.value).contains(digits[1:] if len(digits) > 10 else digits))
        query = query.where(
            exists().where(col(Contact.organisation_id) == col(Organisation.id), or_(*wanted))
        )
    return session.execute(query.order_by(col(Organisation.region), col(Organisation.name))).all()


def list_kinds(*, session: Session) -> list[str]:
    found = session.execute(
        select(col(Organisation.kind)).distinct().order_by(col(Organisation.kind))
    )
    return [kind for (kind,) in found if kind]


@dataclass
class ChannelTally:
    """One organisation's checks on one channel in one campaign, by effective outcome."""

    checks: int = 0
    done: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def reached(self, success: frozenset[str]) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome in success)


# (campaign id, organisation id, channel) -> tally
Tallies = dict[tuple[int, int, str], ChannelTally]


def tally_checks(*, session: Session, where: Any) -> Tallies:
    """Checks matching `where` counted by campaign, organisation, channel, status and effective
    outcome (a GROUP BY on the outcome each check keeps after operators' verdicts)."""
    keys = (
        col(Check.campaign_id),
        col(Check.organisation_id),
        col(Check.channel),
        col(Check.status),
        col(Check.effective_outcome),
    )
    rows = session.execute(
        select(*keys, func.count())
        .where(where, col(Check.campaign_id).is_not(None))
        .group_by(*keys)
    ).all()
    tallies: Tallies = {}
    for campaign_id, org_id, channel, status, outcome, count in rows:
        tally = tallies.setdefault((campaign_id, org_id, channel), ChannelTally())
        tally.checks += count
        if status == CheckStatus.DONE.value:
            tally.done += count
            if outcome is not None:
                tally.outcomes[outcome] += count
    return tallies


def campaigns_by_id(*, session: Session, ids: set[int]) -> dict[int, Campaign]:
    if not ids:
        return {}
    found = session.exec(select_models(Campaign).where(col(Campaign.id).in_(sorted(ids)))).all()
    return {c.id: c for c in found if c.id is not None}


def past_protocols(*, session: Session) -> Sequence[Campaign]:
    """Campaigns imported from past manual protocols, newest first."""
    query = select_models(Campaign).where(col(Campaign.historical).is_(True))
    return session.exec(query.order_by(col(Campaign.id).desc())).all()

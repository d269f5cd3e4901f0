"""Keyword-only queries and writes for organisations and their contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from probe.results import utc_now
from storage.audit import write_audit
from storage.models import Contact, Organisation

_ORG_FIELDS = (
    "name",
    "short_name",
    "region",
    "kind",
    "address",
    "website",
    "timezone",
    "hours_raw",
    "hours",
    "area_code",
    "source",
    "source_row",
    "protocol_row",
)
# Contacts an operator entered (corrections) have a source starting with this.
OPERATOR_SOURCE = "operator"
_CONTACT_FIELDS = (
    "raw",
    "value",
    "extension",
    "label",
    "is_fax",
    "inferred",
    "error",
    "position",
    "held",
    "held_values",
)


@dataclass
class UpsertStats:
    organisations_created: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    contacts_deactivated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def get_organisation_by_key(*, session: Session, key: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.key == key)).first()


def get_organisation(*, session: Session, ref: str) -> Organisation | None:
    """By id, by key, or by a unique case-insensitive fragment of the name."""
    if ref.isdigit():
        return session.get(Organisation, int(ref))
    found = get_organisation_by_key(session=session, key=ref)
    if found:
        return found
    matches = session.exec(
        select(Organisation).where(col(Organisation.name).ilike(f"%{ref}%"))
    ).all()
    return matches[0] if len(matches) == 1 else None


def list_organisations(
    *,
    session: Session,
    region: str | None = None,
    kind: str | None = None,
    active_only: bool = True,
) -> Sequence[Organisation]:
    query = select(Organisation)
    if region:
        query = query.where(Organisation.region == region)
    if kind:
        query = query.where(Organisation.kind == kind)
    if active_only:
        query = query.where(col(Organisation.active).is_(True))
    return session.exec(query.order_by(col(Organisation.region), col(Organisation.id))).all()


def organisation_choices(*, session: Session, region: str) -> Sequence[Any]:
    """The region's active organisations as (id, name, short_name) rows in id order, for a
    form's list: a thousand whole rows cost the review queue's page about 100 ms."""
    query = select(Organisation.id, Organisation.name, Organisation.short_name).where(
        Organisation.region == region, col(Organisation.active).is_(True)
    )
    return session.exec(query.order_by(col(Organisation.id))).all()


def list_contacts(
    *, session: Session, organisation_id: int, active_only: bool = False
) -> Sequence[Contact]:
    query = select(Contact).where(Contact.organisation_id == organisation_id)
    if active_only:
        query = query.where(col(Contact.active).is_(True))
    return session.exec(
        query.order_by(col(Contact.channel), col(Contact.position), col(Contact.id))
    ).all()


def directory_stamp(*, session: Session) -> tuple[Any, ...]:
    """What changes whenever an organisation or a contact is added or changed: their counts and
    latest `updated_at` (every change of the directory sets it)."""
    found: list[Any] = []
    for table in (Organisation, Contact):
        row = session.exec(select(func.count(), func.max(col(table.updated_at)))).one()
        found += [row[0], str(row[1])]
    return tuple(found)


def upsert_organisation(
    *,
    session: Session,
    values: dict[str, Any],
    contacts: Sequence[dict[str, Any]],
    actor: str,
    stats: UpsertStats,
) -> Organisation:
    """Create or update one organisation by its stable key; contacts that vanished go inactive.

    `contacts` are dicts with `channel`, `key` and the contact fields.
    """
    now = utc_now()
    org = get_organisation_by_key(session=session, key=values["key"])
    before = None if org is None else _snapshot(org, _ORG_FIELDS)
    if org is None:
        org = Organisation(**values, created_at=now, updated_at=now)
        session.add(org)
        session.flush()
        stats.organisations_created += 1
        changed = True
    else:
        changed = _assign(org, values, _ORG_FIELDS) or not org.active
        org.active = True
        if changed:
            org.updated_at = now
            stats.organisations_updated += 1
    if changed:
        write_audit(
            session=session,
            actor=actor,
            action="create" if before is None else "update",
            entity="organisation",
            entity_id=str(org.id),
            before=before,
            after=_snapshot(org, _ORG_FIELDS),
        )
    assert org.id is not None
    contacts_changed = _sync_contacts(
        session=session, organisation_id=org.id, contacts=contacts, actor=actor, stats=stats
    )
    if not changed and not contacts_changed:
        stats.organisations_unchanged += 1
    return org


def _sync_contacts(
    *,
    session: Session,
    organisation_id: int,
    contacts: Sequence[dict[str, Any]],
    actor: str,
    stats: UpsertStats,
) -> bool:
    now = utc_now()
    current = list_contacts(session=session, organisation_id=organisation_id)
    existing = {(c.channel, c.key): c for c in current}
    wanted: set[tuple[str, str]] = set()
    changed = False
    for values in contacts:
        ident = (values["channel"], values["key"])
        wanted.add(ident)
        contact = existing.get(ident)
        if contact is None:
            contact = Contact(
                organisation_id=organisation_id, **values, created_at=now, updated_at=now
            )
            session.add(contact)
            stats.contacts_created += 1
            changed = True
        elif contact.superseded_by_id is None and (
            _assign(contact, _unless_confirmed(contact, values), _CONTACT_FIELDS)
            or not contact.active
        ):
            contact.active = True
            contact.updated_at = now
            stats.contacts_updated += 1
            changed = True
    for ident, contact in existing.items():
        if contact.source.startswith(OPERATOR_SOURCE):
            continue  # an operator's correction outlives re-imports of the published directory
        if ident not in wanted and contact.active and contact.superseded_by_id is None:
            # Deactivated, never deleted: its checks keep pointing at it.
            contact.active = False
            contact.updated_at = now
            stats.contacts_deactivated += 1
            changed = True
            write_audit(
                session=session,
                actor=actor,
                action="deactivate",
                entity="contact",
                entity_id=str(contact.id),
                before={"active": True},
                after={"active": False},
            )
    session.flush()
    return changed


def _unless_confirmed(contact: Contact, values: dict[str, Any]) -> dict[str, Any]:
    # An operator confirmed the shared contact: a re-import finding the same sharing keeps it.
    if contact.confirmed_by is not None:
        return {k: v for k, v in values.items() if k not in ("held", "held_values")}
    return values


def contacts_elsewhere(
    *, session: Session, keys: set[tuple[str, str]], excluding: set[str]
) -> list[tuple[Contact, Organisation]]:
    """Current contacts with one of `keys` ((channel, key) pairs) at organisations whose key is
    not in `excluding`: the same number or address already published by someone else."""
    found: list[tuple[Contact, Organisation]] = []
    wanted = sorted({key for _channel, key in keys})
    for start in range(0, len(wanted), 500):  # bounded IN lists for large imports
        rows = session.exec(
            select(Contact, Organisation)
            .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
            .where(
                col(Contact.key).in_(wanted[start : start + 500]),
                col(Contact.active).is_(True),
                col(Contact.value).is_not(None),
                col(Contact.superseded_by_id).is_(None),
                col(Organisation.active).is_(True),
            )
        ).all()
        found.extend(
            (c, o) for c, o in rows if (c.channel, c.key) in keys and o.key not in excluding
        )
    return found


def hold_contact(
    *, session: Session, contact: Contact, code: str, values: dict[str, Any], actor: str
) -> bool:
    """Hold a contact found at another organisation too, unless an operator confirmed it: `code`
    and `values` say why (probe/directory/reasons.py HELD)."""
    if contact.held is not None or contact.confirmed_by is not None:
        return False
    contact.held, contact.held_values = code, values
    contact.updated_at = utc_now()
    session.add(contact)
    write_audit(
        session=session,
        actor=actor,
        action="hold_shared",
        entity="contact",
        entity_id=str(contact.id),
        before={"held": None},
        after={"held": code, "held_values": values},
    )
    return True


class ConfirmError(ValueError):
    """A refused confirmation; the message says exactly why. `reason` for callers that word it
    themselves: "missing" (no such contact), "not_held", "inactive"."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def confirm_contact(*, session: Session, contact_id: int, actor: str, reason: str = "") -> Contact:
    """An operator's word that a held contact (published by several organisations) is this
    organisation's: it is called from now on, and re-imports do not hold it again."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ConfirmError(f"no contact {contact_id}", reason="missing")
    if contact.held is None:
        raise ConfirmError(
            f"contact {contact_id} is not held: nothing to confirm", reason="not_held"
        )
    if not contact.active or contact.superseded_by_id is not None:
        raise ConfirmError(
            f"contact {contact_id} is no longer active: confirm the current one",
            reason="inactive",
        )
    before = {
        "held": contact.held,
        "held_values": contact.held_values,
        "confirmed_by": contact.confirmed_by,
    }
    contact.held, contact.held_values = None, None
    contact.confirmed_by = actor
    contact.updated_at = utc_now()
    session.add(contact)
    write_audit(
        session=session,
        actor=actor,
        action="confirm_shared",
        entity="contact",
        entity_id=str(contact.id),
        before=before,
        after={"held": None, "held_values": None, "confirmed_by": actor, "reason": reason},
    )
    return contact


def _assign(target: Any, values: dict[str, Any], names: Sequence[str]) -> bool:
    changed = False
    for name in names:
        if name in values and getattr(target, name) != values[name]:
            setattr(target, name, values[name])
            changed = True
    return changed


def _snapshot(target: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(target, name) for name in names}

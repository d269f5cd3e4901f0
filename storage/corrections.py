"""Operator corrections of a contact: a wrong or outdated one is replaced by a new contact; the
old one stays, pointing to its replacement, so history is never rewritten."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from probe.results import utc_now
from storage.audit import write_audit
from storage.models import Contact

CORRECTION_KINDS = ("wrong", "outdated")


class CorrectionError(ValueError):
    """A refused contact correction; the message says exactly why. `reason` for callers that
    word it themselves: "unknown_kind", "inactive" (the contact was replaced or switched off),
    "has" (the organisation has this key); `key` and `other_id`: the clashing contact's."""

    def __init__(
        self, message: str, *, reason: str, key: str = "", other_id: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.key = key
        self.other_id = other_id


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "raw": contact.raw,
        "value": contact.value,
        "extension": contact.extension,
        "active": contact.active,
        "superseded_by_id": contact.superseded_by_id,
    }


def correct_contact(
    *,
    session: Session,
    contact: Contact,
    kind: str,
    raw: str,
    value: str,
    extension: str | None,
    actor: str,
    reason: str = "",
) -> tuple[Contact, bool]:
    """Replace a wrong or outdated contact by a new one; the old one stays, pointing to it.
    A corrected value the organisation had before (replaced or switched off) switches that
    contact back on (`reactivate_contact` in the audit) instead of making a second one.
    Returns the contact now in use and whether it is one switched back on.

    `value` is the normalised form (E.164 or lower-cased address) the caller parsed from `raw`.
    """
    key = _key(value, extension)
    earlier = _check_correction(session=session, contact=contact, kind=kind, key=key)
    before = _contact_snapshot(contact)
    now = utc_now()
    source = f"operator correction by {actor}"
    if earlier is not None:
        new = _reactivate(session, earlier, source=source, actor=actor, reason=reason)
    else:
        new = _insert(
            session,
            Contact(
                organisation_id=contact.organisation_id,
                channel=contact.channel,
                key=key,
                raw=raw,
                value=value,
                extension=extension,
                label=contact.label,
                is_fax=contact.is_fax,
                position=contact.position,
                source=source,
            ),
        )
    contact.active = False
    contact.superseded_by_id = new.id
    contact.updated_at = now
    session.add(contact)
    after = _contact_snapshot(contact) | {"new_contact_id": new.id, "new_key": key}
    write_audit(
        session=session,
        actor=actor,
        action=f"correct_{kind}",
        entity="contact",
        entity_id=str(contact.id),
        before=before,
        after=after | {"reason": reason},
    )
    return new, earlier is not None


def add_contact(
    *,
    session: Session,
    organisation_id: int,
    channel: str,
    raw: str,
    value: str,
    extension: str | None,
    actor: str,
    reason: str = "",
) -> tuple[Contact, bool]:
    """A contact the directory lacks, entered by an operator (`value` parsed from `raw` by the
    kind's channel); re-imports of the directory keep it (its source is the operator's).
    Refused when the organisation has a contact with the same key on that channel; one it had
    (replaced or switched off) is switched back on instead. Returns the contact and whether it
    was one switched back on."""
    key = _key(value, extension)
    earlier = _clash(session=session, organisation_id=organisation_id, channel=channel, key=key)
    source = f"operator addition by {actor}"
    if earlier is not None:
        return _reactivate(session, earlier, source=source, actor=actor, reason=reason), True
    new = _insert(
        session,
        Contact(
            organisation_id=organisation_id,
            channel=channel,
            key=key,
            raw=raw,
            value=value,
            extension=extension,
            source=source,
        ),
    )
    write_audit(
        session=session,
        actor=actor,
        action="add_contact",
        entity="contact",
        entity_id=str(new.id),
        before=None,
        after=_contact_snapshot(new) | {"channel": channel, "key": key, "reason": reason},
    )
    return new, False


def _reactivate(
    session: Session, contact: Contact, *, source: str, actor: str, reason: str
) -> Contact:
    """Switch a replaced or switched-off contact back on: an operator has just entered it again.
    Its source becomes the operator's, so a re-import of a directory without it keeps it; its
    checks stay with it. The audit row keeps what it was (its replacement, its source)."""
    before = _contact_snapshot(contact) | {"source": contact.source}
    contact.active = True
    contact.superseded_by_id = None
    contact.source = source
    contact.updated_at = utc_now()
    session.add(contact)
    session.flush()
    write_audit(
        session=session,
        actor=actor,
        action="reactivate_contact",
        entity="contact",
        entity_id=str(contact.id),
        before=before,
        after=_contact_snapshot(contact) | {"source": source, "reason": reason},
    )
    return contact


def _key(value: str, extension: str | None) -> str:
    return value + (f";ext={extension}" if extension else "")


def _insert(session: Session, contact: Contact) -> Contact:
    contact.created_at = contact.updated_at = utc_now()
    session.add(contact)
    session.flush()
    return contact


def _check_correction(*, session: Session, contact: Contact, kind: str, key: str) -> Contact | None:
    """Refuse an unknown kind, a contact already replaced, or a key the organisation has; the
    organisation's inactive contact with that key, if any."""
    if kind not in CORRECTION_KINDS:
        raise CorrectionError(
            f"unknown correction {kind!r}; one of: {', '.join(CORRECTION_KINDS)}",
            reason="unknown_kind",
        )
    if not _active(contact):
        raise CorrectionError(
            f"contact {contact.id} is no longer active: correct the current one", reason="inactive"
        )
    return _clash(
        session=session, organisation_id=contact.organisation_id, channel=contact.channel, key=key
    )


def _active(contact: Contact) -> bool:
    return contact.active and contact.superseded_by_id is None


def _clash(*, session: Session, organisation_id: int, channel: str, key: str) -> Contact | None:
    """One contact per organisation, channel and key (uq_contact_key), active or not: an active
    one is refused; an inactive one is returned, to be switched back on."""
    clash = session.exec(
        select(Contact).where(
            Contact.organisation_id == organisation_id,
            Contact.channel == channel,
            Contact.key == key,
        )
    ).first()
    if clash is None or not _active(clash):
        return clash
    raise CorrectionError(
        f"the organisation already has this contact: {key} (#{clash.id})",
        reason="has",
        key=key,
        other_id=clash.id,
    )

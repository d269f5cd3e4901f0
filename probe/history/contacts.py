"""Find the directory contact an operator dialled or wrote to, or add it as a historical one.

A number dialled that the directory does not list (a colleague's extension, a number read out on
the phone) becomes an inactive contact with source "protocol6": it keeps the history attached to
the organisation without ever being probed.
"""

from __future__ import annotations

from sqlmodel import Session

from probe.directory.emails import parse_emails
from probe.directory.normalize import ContactDraft, fold
from probe.directory.phones import ParsedPhone
from probe.scoring.names import Channel
from storage.directory import list_contacts
from storage.models import Contact, Organisation

SOURCE = "protocol6"
# Historical contacts sort after everything the directory publishes.
_HISTORICAL_POSITION = 1000


class ContactBook:
    """The contacts of one organisation, by key, created on demand."""

    def __init__(self, *, session: Session, organisation: Organisation) -> None:
        assert organisation.id is not None
        self.session = session
        self.organisation_id = organisation.id
        self.contacts = list(list_contacts(session=session, organisation_id=organisation.id))
        self.created = 0

    def _find(self, channel: str, key: str) -> Contact | None:
        return next((c for c in self.contacts if c.channel == channel and c.key == key), None)

    def _add(self, draft: ContactDraft) -> Contact:
        contact = Contact(
            organisation_id=self.organisation_id,
            channel=draft.channel,
            key=draft.key,
            raw=draft.raw,
            value=draft.value,
            extension=draft.extension,
            error=draft.error,
            position=_HISTORICAL_POSITION + len(self.contacts),
            source=SOURCE,
            active=False,
        )
        self.session.add(contact)
        self.session.flush()
        self.contacts.append(contact)
        self.created += 1
        return contact

    def phone(self, phone: ParsedPhone) -> Contact:
        draft = ContactDraft(
            channel=Channel.PHONE,
            raw=phone.raw,
            value=phone.value,
            extension=phone.extension,
            error=phone.error,
        )
        return self._find(Channel.PHONE, draft.key) or self._add(draft)

    def email(self, written: str) -> Contact:
        for contact in self.contacts:
            if contact.channel == Channel.EMAIL and (
                fold(contact.raw) == fold(written) or contact.value == written.lower()
            ):
                return contact
        parsed = parse_emails(written)
        value, error = (parsed[0].value, parsed[0].error) if len(parsed) == 1 else (None, None)
        draft = ContactDraft(channel=Channel.EMAIL, raw=written, value=value, error=error)
        return self._find(Channel.EMAIL, draft.key) or self._add(draft)

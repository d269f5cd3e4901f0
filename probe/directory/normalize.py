"""From raw rows to normalised organisation drafts, with every problem reported per row."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from probe.channels import column_contact_kinds
from probe.directory.emails import parse_emails
from probe.directory.hours import HoursParseError, parse_hours, published_breaks
from probe.directory.kinds import Channel
from probe.directory.phones import parse_phones
from probe.directory.reasons import Reason, because
from probe.directory.regions import Region, UnknownRegionError, find_region
from probe.directory.sources import RawRow, RowProblem
from probe.hours import WeeklySchedule, with_breaks


@dataclass
class ContactDraft:
    channel: str
    raw: str
    value: str | None
    extension: str | None = None
    label: str | None = None
    is_fax: bool = False
    inferred: bool = False
    error: str | None = None
    position: int = 0
    held: str | None = None  # not called until an operator confirms it (storage.models.Contact)
    held_values: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        if self.value is not None and self.channel == Channel.EMAIL:
            # One mailbox whatever the case it is published in: re-importing "CSO-Test@mail.ru"
            # after "cso-test@mail.ru" updates the contact, its checks stay with it.
            return self.value.lower()
        if self.value is not None:
            return self.value + (f";ext={self.extension}" if self.extension else "")
        return "raw:" + fold(self.raw)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OrganisationDraft:
    key: str
    name: str
    short_name: str
    region: str
    region_name: str
    kind: str
    address: str
    website: str
    timezone: str
    hours_raw: str
    hours: WeeklySchedule | None
    area_code: str
    source: str
    source_row: int
    protocol_row: int | None
    contacts: list[ContactDraft] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in {"contacts", "hours"}}
        data["hours"] = self.hours.model_dump(mode="json") if self.hours else None
        data["contacts"] = [c.as_dict() for c in self.contacts]
        return data


_QUOTES = re.compile(r"[«»“”„\"'`]")


def fold(text: str) -> str:
    """A comparison form: case, quotes, ё and spacing do not make two names different."""
    text = _QUOTES.sub("", text.lower().replace("ё", "е"))
    return " ".join(text.split())


def organisation_key(region_code: str, name: str) -> str:
    return f"{region_code}:{fold(name)}"


def normalise_row(
    raw: RawRow, *, default_region: str | None = None
) -> tuple[OrganisationDraft | None, list[RowProblem]]:
    """One row to a draft. Errors reject the row; warnings flag a contact or the hours."""
    fields = raw.fields
    problems: list[RowProblem] = []

    def problem(field_name: str | None, why: Reason, severity: str = "error") -> None:
        problems.append(RowProblem(raw.file, raw.row, field_name, why, severity))

    name = " ".join(fields.get("name", "").split())
    if not name:
        problem("name", because("missing_name"))
    region, timezone = _region_and_zone(fields, default_region, problem)
    protocol_row = _optional_int(fields.get("protocol_row", ""), problem)
    if any(p.severity == "error" for p in problems) or region is None:
        return None, problems

    hours_raw = fields.get("hours", "").strip()
    hours = _hours(hours_raw, region, problem)

    area_code = re.sub(r"\D", "", fields.get("area_code", ""))
    contacts = _contacts(fields, area_code or None, problem)
    # "no usable phone number or e-mail address": a website alone does not answer questions
    _warn_unusable(contacts, problem)
    contacts += _column_contacts(fields, area_code, problem)
    draft = OrganisationDraft(
        key=organisation_key(region.code, name),
        name=name,
        short_name=" ".join(fields.get("short_name", "").split()),
        region=region.code,
        region_name=region.name,
        kind=fields.get("kind", "").strip(),
        address=" ".join(fields.get("address", "").split()),
        website=fields.get("website", "").strip(),
        timezone=timezone,
        hours_raw=hours_raw,
        hours=hours,
        area_code=area_code,
        source=raw.file,
        source_row=raw.row,
        protocol_row=protocol_row,
        contacts=contacts,
    )
    return draft, problems


def _region_and_zone(
    fields: dict[str, str], default_region: str | None, problem: Any
) -> tuple[Region | None, str]:
    """The row's region (its column, else the default) and time zone (its column, else the
    region's), each reported when missing or unknown."""
    region_text = fields.get("region", "") or (default_region or "")
    region = None
    if not region_text:
        problem("region", because("missing_region"))
    else:
        try:
            region = find_region(region_text)
        except UnknownRegionError as error:
            problem("region", error.why)
    timezone = fields.get("timezone", "").strip() or (region.timezone if region else "")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problem("timezone", because("unknown_timezone", zone=timezone))
    return region, timezone


def _warn_unusable(contacts: list[ContactDraft], problem: Any) -> None:
    """Warnings for an organisation that publishes nothing the prober can use."""
    phones = [c for c in contacts if c.channel == Channel.PHONE and c.value]
    if phones and all(c.is_fax for c in phones):
        published = tuple(c.raw for c in phones)
        problem("phones", because("fax_only", published=published), "warning")
    if not any(c.value and not c.is_fax for c in contacts):
        problem(None, because("no_usable_contact"), "warning")


@lru_cache(maxsize=64)
def _region_default(default_hours: str) -> WeeklySchedule | None:
    # Shared between rows: only ever copied (model_copy), never changed.
    return parse_hours(default_hours) if default_hours else None


def _hours(text: str, region: Region, problem: Any) -> WeeklySchedule | None:
    """The organisation's own hours; when unknown, its region's default hours (never another
    region's), keeping a break published on its own. Reported, except a blank cell in a region
    that has default hours."""
    default = _region_default(region.default_hours)
    if not text:
        if default is None:
            problem("hours", because("no_hours_no_default", region=region.name), "warning")
            return None
        return default.model_copy(update={"assumed": f"{region.name}: default hours"})
    try:
        return parse_hours(text)
    except HoursParseError as error:
        cause = error.why
    if default is None:
        problem("hours", because("hours_unknown", cause=cause), "warning")
        return None
    breaks = published_breaks(text)
    if breaks:
        shown = ", ".join(f"{b.start:%H:%M}-{b.end:%H:%M}" for b in breaks)
        why = because("break_only", text=text, region=region.name, breaks=shown)
        problem("hours", why, "warning")
        assumed = f"{region.name}: default hours, published break {shown}"
        return with_breaks(default, breaks).model_copy(update={"assumed": assumed})
    problem("hours", because("hours_default", cause=cause, region=region.name), "warning")
    return default.model_copy(update={"assumed": f"{region.name}: default hours"})


def _optional_int(text: str, problem: Any) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        problem("protocol_row", because("not_whole_number", text=text))
        return None
    return int(text)


def _contacts(fields: dict[str, str], area_code: str | None, problem: Any) -> list[ContactDraft]:
    contacts: list[ContactDraft] = []
    seen: set[str] = set()
    for phone in parse_phones(fields.get("phones", ""), default_area_code=area_code):
        draft = ContactDraft(
            channel=Channel.PHONE,
            raw=phone.raw,
            value=phone.value,
            extension=phone.extension,
            label=phone.label,
            is_fax=phone.is_fax,
            inferred=phone.inferred,
            error=phone.error,
        )
        if phone.why:
            problem("phones", phone.why, "warning")
        _add(contacts, seen, draft)
    for email in parse_emails(fields.get("emails", "")):
        draft = ContactDraft(
            channel=Channel.EMAIL, raw=email.raw, value=email.value, error=email.error
        )
        if email.why:
            problem("emails", email.why, "warning")
        _add(contacts, seen, draft)
    return contacts


# A column cell may list several values (`www.mtsr.omskportal.ru, www.omskmintrud.ru`).
_CELL_SEPARATORS = re.compile(r"[\s,;]+")


def _column_contacts(fields: dict[str, str], area_code: str, problem: Any) -> list[ContactDraft]:
    """The contacts of every registered kind read from a directory column of its own (the web
    channel's `website`), each value of the cell normalised by its kind's `normalise`. A value
    it refuses is kept with its error (never probed, shown for correction) and reported."""
    contacts: list[ContactDraft] = []
    seen: set[str] = set()
    for channel, kind in column_contact_kinds():
        assert kind.column is not None
        cell = fields.get(kind.column, "")
        for raw in _CELL_SEPARATORS.split(cell):
            if not any(c.isalnum() for c in raw):  # blank, or a dash meaning "none"
                continue
            draft = ContactDraft(channel=channel, raw=raw, value=None)
            try:
                if kind.normalise is None:
                    draft.value = raw
                else:
                    draft.value, draft.extension = kind.normalise(raw, area_code)
            except ValueError as error:
                why = column_error(kind.column, raw, str(error))
                draft.error = str(why)
                problem(kind.column, why, "warning")
            _add(contacts, seen, draft)
    return contacts


def column_error(column: str, raw: str, message: str) -> Reason:
    """Why a column's value is not a contact: the kind's own message (for staff, in Russian)
    after the importer's English words."""
    return because("column_value", raw=raw, column=column, message=message)


def column_of(channel: str) -> str:
    """The directory column a channel's contacts come from (the importer's problem field)."""
    if channel == Channel.PHONE:
        return "phones"
    if channel == Channel.EMAIL:
        return "emails"
    for name, kind in column_contact_kinds():
        if name == channel and kind.column is not None:
            return kind.column
    return channel


def _add(contacts: list[ContactDraft], seen: set[str], draft: ContactDraft) -> None:
    # The same number published twice in one row is one contact.
    key = f"{draft.channel}|{draft.key}"
    if key in seen:
        return
    seen.add(key)
    draft.position = sum(1 for c in contacts if c.channel == draft.channel)
    contacts.append(draft)


class ContactParseError(ValueError):
    pass


def parse_one_contact(kind: str, raw: str, area_code: str) -> tuple[str, str | None]:
    """One contact an operator typed, as (value, extension); a message for staff otherwise."""
    if kind == Channel.PHONE:
        phones = parse_phones(raw, default_area_code=area_code or None)
        if len(phones) > 1:
            raise ContactParseError(f"Укажите один номер, а не несколько: «{raw}».")
        if not phones or phones[0].value is None:
            raise ContactParseError(f"Не удалось распознать номер телефона: «{raw}».")
        return phones[0].value, phones[0].extension
    if kind == Channel.EMAIL:
        emails = parse_emails(raw)
        if len(emails) > 1:
            raise ContactParseError(f"Укажите один адрес, а не несколько: «{raw}».")
        if not emails or emails[0].value is None:
            raise ContactParseError(f"Не удалось распознать адрес электронной почты: «{raw}».")
        return emails[0].value, None
    raise ContactParseError(f"Неизвестный вид контакта: «{kind}».")

"""Why the importer reports a file, a row or a contact: a code and its values.

The English text (the CLI's report and its `--json`) is made here from the code and values; the
web page makes its Russian text from the same code and values (probe/web/import_text.py), never
from the English words. A value may itself be a Reason (the hours' cause inside an hours warning).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        text = ENGLISH[self.code]
        if isinstance(text, str):
            return text.format(**self.values)
        return text(self.values)

    def adding(self, /, **values: Any) -> Reason:
        return Reason(self.code, {**self.values, **values})


def because(code: str, /, **values: Any) -> Reason:
    if code not in ENGLISH:
        raise KeyError(f"no importer reason {code!r}")
    return Reason(code, values)


@dataclass(frozen=True)
class Publisher:
    """An organisation that publishes a contact another one publishes too: named by its row in
    the file being imported (`source` None), or by its name, file and row when it is in the
    database already."""

    name: str
    source: str | None
    row: int | None

    def __str__(self) -> str:
        if self.source is None:
            return f"row {self.row} ({self.name})"
        return f"{self.name} ({self.source}, row {self.row})"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "row": self.row}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Publisher:
        return cls(data["name"], data["source"], data["row"])


def held_text(publishers: tuple[Publisher, ...]) -> str:
    """Why a contact is held, in English: the `shared` reason's text."""
    names = ", ".join(str(p) for p in publishers)
    return (
        f"also published by {names}: not called until an operator confirms it is this "
        "organisation's"
    )


def held_shared(publishers: tuple[Publisher, ...]) -> tuple[str, dict[str, Any]]:
    """`Contact.held` and `Contact.held_values` of a contact other organisations publish too."""
    return "shared", {"by": [p.as_json() for p in publishers]}


def held_publishers(values: Mapping[str, Any]) -> tuple[Publisher, ...]:
    return tuple(Publisher.from_json(p) for p in values["by"])


# Why a contact is held (`Contact.held`, a code; its values in `Contact.held_values`), in English
# for the CLI and the API; the web's Russian is chosen by the same code (import_text.HELD).
HELD: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "shared": lambda v: held_text(held_publishers(v)),
    # A sentence stored before the codes (migration 0014) that did not parse: kept as it was.
    "noted": lambda v: str(v["text"]),
}


def held_english(code: str, values: Mapping[str, Any] | None) -> str:
    return HELD[code](values or {})


def _expected(values: Mapping[str, Any]) -> str:
    how = values["how"]
    if how == "country":
        return "country code +7 + 10 digits"
    if how == "trunk":
        return f"trunk prefix {values['trunk']} + 10 digits"
    return "area code + local number"


def _quoted_list(items: tuple[str, ...]) -> str:
    return ", ".join(f"'{item}'" for item in items)


_Text = str | Callable[[Mapping[str, Any]], str]
ENGLISH: dict[str, _Text] = {
    # the whole file (DirectoryFileError)
    "unsupported_type": "{name}: unsupported file type {suffix!r}; use .csv, .xlsx or .yaml",
    "missing_columns": lambda v: (
        f"{v['name']}: missing required column(s) {', '.join(v['missing'])}; "
        f"the header row has {', '.join(repr(h) for h in v['header']) or 'nothing'}"
    ),
    "file_empty": "{name}: the file is empty",
    "sheet_empty": "{name}: the first sheet is empty",
    "not_xlsx": "{name}: not a readable XLSX file ({detail})",
    "not_yaml": "{name}: not valid YAML ({detail})",
    "no_list": "{name}: expected a list of organisations (key 'organisations')",
    # a row as read
    "not_utf8": "row is not valid UTF-8 while the rest of the file is (a row pasted from a "
    "cp1251 file?); re-save the file as UTF-8 and import again",
    "too_many_cells": "row has {cells} cells but the header has {columns} columns "
    "(an unquoted separator inside a cell?)",
    "not_a_mapping": "entry is not a mapping",
    # a row's fields
    "missing_name": "missing organisation name",
    "missing_region": "missing region (give a 'region' column or --region)",
    "unknown_region": "unknown region {text!r}; give a Russian name such as 'Омская область' "
    "or a code such as 'omsk' (see `probe directory regions`)",
    "unknown_timezone": "unknown time zone {zone!r}; use an IANA name (Asia/Omsk)",
    "not_whole_number": "not a whole number: {text!r}",
    "duplicate": "duplicate organisation: same name and region as row {first}",
    "no_usable_contact": "no usable phone number or e-mail address",
    "fax_only": lambda v: (
        f"only a fax number is published ({_quoted_list(v['published'])}): kept, never called"
    ),
    "column_value": "cannot read '{raw}' in the {column} column: {message}",
    "held_shared": lambda v: f"'{v['raw']}' {held_text(v['by'])}",
    # working hours
    "no_hours_no_default": "working hours not given and {region} has no default schedule: "
    "imported with working hours unknown",
    "hours_unknown": "{cause}; imported with working hours unknown",
    "hours_default": "{cause}; {region} default hours are used",
    "break_only": "only a break is given in '{text}': {region} default days and hours are used "
    "with the published break {breaks}",
    "not_a_time": "'{fragment}' is not a time of day",
    "ends_before_start": "'{fragment}' ends before it starts",
    "no_days": "no days are given for the hours '{fragment}' in '{text}'",
    "overlaps": "'{fragment}' overlaps the hours given before it",
    "no_hours_for": "no hours are given for '{fragment}'",
    "no_hours_found": "no working days and hours found in '{text}'",
    # phones
    "phone_not_russian": "phone number '{raw}' is not a Russian (+7) number",
    "phone_digits": lambda v: (
        f"phone number '{v['raw']}' has {v['count']} digits, expected {v['needed']} "
        f"({_expected(v)})"
    ),
    "local_digits": "local number '{raw}' has {count} digits: a local number has 5 to 7",
    "local_no_code": "local number '{raw}' has no area code: no sibling number and no default "
    "area code",
    "local_misfit": lambda v: (
        f"local number '{v['raw']}' does not fit area code {v['code']} "
        f"({'from a sibling number' if v['sibling'] else 'the default area code'}): "
        f"{len(v['code'])} + {v['count']} digits, a Russian number has 10"
    ),
    "phone_invalid": "'+7{national}' (from '{raw}') is not a valid Russian phone number",
    "local_invalid": "'+7{code}{digits}' (local number '{raw}' with area code {code}) is not valid",
    "no_phone": "cannot find a phone number in '{text}'",
    # e-mail addresses
    "cyrillic_letter": "Cyrillic letter '{letter}' in a Latin address '{address}' "
    "(position {position})",
    "cyrillic_letter_suggested": "Cyrillic letter '{letter}' in a Latin address '{address}' "
    "(position {position}); did you mean '{suggestion}'?",
    "space_inside": "address '{raw}' has a space inside: could be '{joined}' or "
    "'{underscored}'; check the published source",
    "no_at": "invalid address '{address}': there is no '@'",
    "invalid_address": "invalid address '{address}': {detail}",
    "no_email": "cannot find an e-mail address in '{text}'",
}

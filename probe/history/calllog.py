"""Parse column 4 of Protocol No. 6 table 1: the operator's hand-written log of calls.

What an operator wrote, e.g. row 27 of seed 000:

    1. 14.05.2020, 16.12, 8 (381 72) 2-30-89, 8 (381 72) 3-16-02 – не отвечает, автоответчик;
    16.17 - 8(381 72) 3-14-08 – занято; 2. 14.05.2020, 16.24, ...

A numbered item is one call as the protocol counts it (column 5). Inside an item, segments split
by ";" each give a date (or only a time: the date of the segment before), one or more numbers
dialled, and an optional note after a dash. Every number in a segment is one dial with that
segment's note. A log without item numbers is one call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from probe.directory.phones import ParsedPhone, parse_phones
from probe.scoring.names import Outcome

__all__ = ["CallLogError", "LoggedCall", "LoggedDial", "parse_call_log"]

_ITEM_RE = re.compile(r"(?:(?<=^)|(?<=[;\s]))(\d{1,2})\.\s*(?=\d{1,2}\.\d{1,2}\.\d{4,5}\b)")
_DATED_RE = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4,5})\s*,\s*(\d{1,2})[.:](\d{2})\s*[,–-]\s*(.*)$"
)
_TIMED_RE = re.compile(r"^(\d{1,2})[.:](\d{2})\s*[,–-]\s*(.*)$")
# The note follows a dash that is followed by a word; a dash between digits is part of a number.
_NOTE_RE = re.compile(r"\s[–—-]\s*(?=[^\W\d_])")

# How the operator's words map to outcomes. The order matters: "не отвечает, автоответчик"
# means a machine picked up, so the answering machine wins over "no answer".
_NOTES: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"автоответчик"), Outcome.ANSWERING_MACHINE, False),
    (re.compile(r"^попросили перезвонить"), Outcome.CONNECTED, True),
    (re.compile(r"^занят[оа]?$"), Outcome.BUSY, False),
    (re.compile(r"^не отвечает$"), Outcome.NO_ANSWER, False),
    (re.compile(r"^номер недоступен$"), Outcome.UNAVAILABLE, False),
    (re.compile(r"^вызов сброшен$"), Outcome.REJECTED, False),
)


class CallLogError(ValueError):
    """A part of the log that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class LoggedDial:
    at: datetime  # UTC
    written: str  # the number as the operator wrote it
    phone: ParsedPhone
    note: str  # as written, "" when none
    outcome: str  # UNKNOWN when the note is not understood (reported, never guessed)
    callback_requested: bool


@dataclass
class LoggedCall:
    item: int
    text: str
    dials: list[LoggedDial] = field(default_factory=list)


@dataclass
class CallLog:
    calls: list[LoggedCall]
    problems: list[str]


def _items(text: str) -> list[tuple[int, str]]:
    marks = list(_ITEM_RE.finditer(text))
    if not marks:
        return [(1, text.strip())]
    items = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        items.append((int(mark.group(1)), text[mark.end() : end].strip()))
    return items


def _note_outcome(note: str) -> tuple[str, bool] | None:
    folded = " ".join(note.lower().replace("ё", "е").strip(" .;").split())
    if not folded:
        return Outcome.CONNECTED, False
    for pattern, outcome, callback in _NOTES:
        if pattern.search(folded):
            return outcome, callback
    return None


def _year(written: str, usual: int | None, where: str, problems: list[str]) -> int:
    if len(written) == 4:
        return int(written)
    # A doubled digit ("20220"): read as the year of the other calls only when that is the one
    # way to get there by deleting a single digit, and say so.
    if usual is not None and any(written[:k] + written[k + 1 :] == str(usual) for k in range(5)):
        problems.append(f"{where}: year '{written}' read as {usual} (the year of the other calls)")
        return usual
    raise CallLogError(f"{where}: year '{written}' is not a date")


def _usual_year(text: str) -> int | None:
    years = set(re.findall(r"\b\d{1,2}\.\d{1,2}\.(\d{4})\b", text))
    return int(years.pop()) if len(years) == 1 else None


class _Reader:
    def __init__(self, *, text: str, zone: ZoneInfo, area_code: str | None, where: str) -> None:
        self.zone = zone
        self.area_code = area_code
        self.where = where
        self.usual_year = _usual_year(text)
        self.problems: list[str] = []

    def segment(self, segment: str, day: date | None, label: str) -> tuple[date, list[LoggedDial]]:
        dated = _DATED_RE.match(segment)
        timed = None if dated else _TIMED_RE.match(segment)
        if dated:
            d, m, y, hh, mm, rest = dated.groups()
            year = _year(y, self.usual_year, label, self.problems)
            try:
                day = date(year, int(m), int(d))
            except ValueError:
                raise CallLogError(f"{label}: '{d}.{m}.{y}' is not a date") from None
        elif timed and day is not None:
            hh, mm, rest = timed.groups()
        else:
            raise CallLogError(f"{label}: expected 'DD.MM.YYYY, HH.MM, number' in '{segment}'")
        try:
            local = datetime.combine(day, time(int(hh), int(mm)), tzinfo=self.zone)
        except ValueError:
            raise CallLogError(f"{label}: '{hh}.{mm}' is not a time of day") from None
        return day, self.dials(rest, local.astimezone(UTC), label)

    def dials(self, rest: str, at: datetime, label: str) -> list[LoggedDial]:
        parts = _NOTE_RE.split(rest, maxsplit=1)
        numbers = parts[0].strip(" ,.")
        note = parts[1].strip(" .") if len(parts) > 1 else ""
        phones = parse_phones(numbers, default_area_code=self.area_code)
        if not phones:
            raise CallLogError(f"{label}: no number dialled in '{rest}'")
        known = _note_outcome(note)
        if known is None:
            self.problems.append(
                f"{label}: note '{note}' is not understood; imported with outcome 'unknown', "
                "not counted"
            )
        outcome, callback = known or (Outcome.UNKNOWN, False)
        for phone in phones:
            if phone.value is None:
                raise CallLogError(f"{label}: {phone.error}")
        return [LoggedDial(at, p.raw, p, note, outcome, callback) for p in phones]

    def item(self, number: int, text: str) -> LoggedCall:
        call = LoggedCall(item=number, text=text)
        day: date | None = None
        segments = [s.strip() for s in text.strip().rstrip(".").split(";") if s.strip()]
        for index, segment in enumerate(segments, start=1):
            label = f"{self.where}, call {number}" + (f", part {index}" if index > 1 else "")
            day, dials = self.segment(segment, day, label)
            call.dials.extend(dials)
        return call


def parse_call_log(text: str, *, zone: ZoneInfo, area_code: str | None, where: str) -> CallLog:
    """The calls in one cell of column 4; CallLogError when a call cannot be read.

    `area_code` completes local numbers ("46-38-37"); `where` prefixes every message ("row 4").
    Problems that were resolved in a stated way (a mistyped year) come back in `problems`.
    """
    reader = _Reader(text=text, zone=zone, area_code=area_code, where=where)
    items = _items(text)
    numbers = [n for n, _ in items]
    if numbers != list(range(1, len(items) + 1)) and len(items) > 1:
        reader.problems.append(f"{where}: calls are numbered {numbers}, not 1..{len(items)}")
    calls = [reader.item(n, body) for n, body in items]
    return CallLog(calls=calls, problems=reader.problems)

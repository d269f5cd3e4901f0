"""Parse Protocol No. 6 table 2: which addresses were written to, when, and when a reply came.

One line of a row is normally one letter. Seed 000 also has a line with two addresses, two send
dates and two reply cells (row 12: read as two letters), and a line with two addresses but one
send and one reply date (row 34: read as one letter to both, and reported as such).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from probe.history.document import MailRow
from probe.history.marks import GRADE_COLUMNS, single_mark
from probe.reviews import Grade

__all__ = ["LoggedLetter", "parse_mail_row"]

_DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_REPLY_RE = re.compile(r"нет ответа|\b\d{1,2}\.\d{1,2}\.\d{4}\b", re.IGNORECASE)
NO_REPLY = "нет ответа"


@dataclass
class LoggedLetter:
    line: int
    addresses: list[str]
    sent: date
    replied: date | None
    grade: Grade | None = None


@dataclass
class MailLog:
    letters: list[LoggedLetter] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _date(text: str, where: str) -> date:
    match = _DATE_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{where}: '{text}' is not a date")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{where}: '{text}' is not a date") from None


def _reply(text: str, where: str) -> date | None:
    return None if text.lower() == NO_REPLY else _date(text, where)


def _letters_of_line(
    addresses: list[str], sent: list[str], replies: list[str], *, line: int, where: str
) -> tuple[list[LoggedLetter], str | None]:
    if len(addresses) == len(sent) == len(replies) and addresses:
        letters = [
            LoggedLetter(line, [a], _date(s, where), _reply(r, where))
            for a, s, r in zip(addresses, sent, replies, strict=True)
        ]
        return letters, None
    if len(sent) == 1 and len(replies) == 1 and addresses:
        note = None
        if len(addresses) > 1:
            note = (
                f"{where}: {len(addresses)} addresses share one send date and one reply date; "
                "read as one letter to all of them"
            )
        return [LoggedLetter(line, addresses, _date(sent[0], where), _reply(replies[0], where))], (
            note
        )
    raise ValueError(
        f"{where}: {len(addresses)} address(es), {len(sent)} send date(s) and "
        f"{len(replies)} reply cell(s) do not pair up; line not imported"
    )


def parse_mail_row(row: MailRow) -> MailLog:
    log = MailLog()
    for index, line in enumerate(row.lines, start=1):
        where = f"table 2, row {row.number}" + (f", line {index}" if len(row.lines) > 1 else "")
        addresses = [a for a in re.split(r"[\s,;]+", line.addresses) if a]
        sent = _DATE_RE.findall(line.sent)
        sent_text = [".".join(parts) for parts in sent]
        replies = _REPLY_RE.findall(line.replied)
        try:
            letters, note = _letters_of_line(
                addresses, sent_text, replies, line=line.line, where=where
            )
        except ValueError as error:
            log.problems.append(str(error))
            continue
        if note:
            log.problems.append(note)
        grade = single_mark(
            line.marks, GRADE_COLUMNS, first_column=6, what="grade", where=where,
            problems=log.problems,
        )  # fmt: skip
        if grade is not None:
            if len(letters) > 1:
                log.problems.append(
                    f"{where}: one grade for {len(letters)} letters; attached to the last one"
                )
            letters[-1].grade = grade
        for letter in letters:
            if letter.replied is not None and letter.replied < letter.sent:
                log.problems.append(f"{where}: reply date {letter.replied} is before {letter.sent}")
        log.letters.extend(letters)
    return log

"""Russian words the exported tables use (the assessment team reads them)."""

from __future__ import annotations

from datetime import date

from probe.reviews import Grade, Transfers
from probe.ru import late_mark
from probe.scoring.model import Call, CampaignScore, ChannelState, Dial, Letter

YES, NO = "да", "нет"
NO_REPLY = "нет ответа"
AWAITING = "ожидается ответ"
MARK = "+"
PENDING = "ожидает оценки"  # a column an operator has still to judge
UNCHECKED = "ожидает проверки"  # a column that waits for a check (R11, R12, R15)
_UNCHECKED_RULES = {"R11", "R12", "R15"}

# (first column, last column, the word written there) of a row's pending columns.
PendingRanges = list[tuple[int, int, str]]

TRANSFER_ORDER = [t.value for t in (Transfers.NONE, Transfers.ONCE, Transfers.SEVERAL)]
GRADE_ORDER = [
    g.value for g in (Grade.EXCELLENT, Grade.GOOD, Grade.SATISFACTORY, Grade.UNSATISFACTORY)
]
GRADE_RU = {
    "excellent": "отлично",
    "good": "хорошо",
    "satisfactory": "удовлетворительно",
    "unsatisfactory": "неудовлетворительно",
}


def ru_date(day: date | None) -> str:
    return f"{day.day}.{day.month:02d}.{day.year}" if day else ""


def marks(value: str | None, order: list[str]) -> list[str]:
    """One "+" under the judged column, empty cells elsewhere (and all empty when unjudged)."""
    return [MARK if value == option else "" for option in order]


def etiquette_marks(counts: dict[str, int]) -> list[str]:
    """Columns 7-9 as the document writes them: a "+" under each column someone answered in."""
    return [MARK if count else "" for count in counts.values()]


def dial_text(dial: Dial, *, with_date: bool) -> str:
    when = dial.at.strftime("%d.%m.%Y, %H.%M") if with_date else dial.at.strftime("%H.%M")
    text = f"{when}, {dial.number}"
    return f"{text} – {dial.note}" if dial.note else text


def call_text(number: int, call: Call) -> str:
    """One numbered item of column 4, as an operator writes it."""
    parts = []
    previous: date | None = None
    for dial in call.dials:
        parts.append(dial_text(dial, with_date=dial.at.date() != previous))
        previous = dial.at.date()
    return f"{number}. " + "; ".join(parts)


def call_log(calls: list[Call]) -> str:
    return "\n".join(call_text(i, call) for i, call in enumerate(calls, start=1))


def reply_text(letter: Letter, *, norm: int) -> str:
    """Column 5 of table 2: the reply's date, marked when it came after the campaign's norm of
    `norm` working days (R10: still a reply)."""
    if letter.state == "awaiting":
        return AWAITING
    if not letter.replied:
        return NO_REPLY
    text = ru_date(letter.replied)
    return f"{text} {late_mark(norm)}" if letter.late else text


def yes_no(flag: bool | None) -> str:
    return "" if flag is None else (YES if flag else NO)


def channel_cells(state: ChannelState) -> list[str]:
    return [yes_no(state.present), yes_no(state.working)]


def pending_ranges(score: CampaignScore) -> dict[tuple[int, str], PendingRanges]:
    """(organisation, table) -> the column ranges awaiting a judgement or a check."""
    found: dict[tuple[int, str], PendingRanges] = {}
    for item in score.pending:
        first, _, last = item.columns.partition("-")
        word = UNCHECKED if item.rule in _UNCHECKED_RULES else PENDING
        found.setdefault((item.organisation_id, item.table), []).append(
            (int(first), int(last or first), word)
        )
    return found

"""A parser for the Russian free text the directories publish working hours in.

The schedule it builds is the kernel's model (probe.hours).

Forms seen in the source documents: "понедельник – четверг: с 8 часов 30 минут до 17 часов 45
минут; пятница: ...; перерыв для отдыха и питания: с 13 часов 00 минут до 14 часов 00 минут",
"понедельник, вторник, среда, четверг –c 9.00 до 18.00, пятница – с 9.00 до 17.00, суббота с
9.00 до 14.00" (a Latin "c" typed for "с"), "перерыв 13.00 до 13.45", plus the usual web forms
"пн-пт 9:00-18:00", "ежедневно", "выходной: суббота, воскресенье".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time

from probe.directory.reasons import Reason, because
from probe.hours import DaySchedule, Interval, WeeklySchedule

__all__ = ["HoursParseError", "parse_hours", "published_breaks"]


class HoursParseError(ValueError):
    """The text holds no schedule that can be understood; the message quotes the fragment."""

    def __init__(self, why: Reason) -> None:
        super().__init__(str(why))
        self.why = why


# --- tokens -----------------------------------------------------------------------------------

_DAY_WORDS: tuple[tuple[str, int], ...] = (
    (r"понедельник\w*|пн", 0),
    (r"вторник\w*|вт", 1),
    (r"сред[аыу]|ср", 2),
    (r"четверг\w*|чт", 3),
    (r"пятниц[аыу]|пт", 4),
    (r"суббот[аыу]|сб", 5),
    (r"воскресень[еяю]|вс", 6),
)

_TOKEN_RE = re.compile(
    r"(?P<time_words>(?P<wh>\d{1,2})\s*(?:часов|часа|час|ч\.?)(?![а-я])"
    r"(?:\s*(?P<wm>\d{1,2})\s*(?:минут[аы]?|мин\.?)(?![а-я]))?)"
    r"|(?P<time_sep>(?P<sh>\d{1,2})[.:](?P<sm>\d{2})(?!\d))"
    r"|(?P<time_dash>(?P<dh>\d{1,2})-(?P<dm>00|[3-5]\d)(?!\d))"
    r"|(?P<int>\d{1,2})(?!\d)"
    r"|(?P<number>\d+)"
    + "".join(rf"|(?P<day{n}>\b(?:{words})\b\.?)" for words, n in _DAY_WORDS)
    + r"|(?P<everyday>\bежедневно\b|\bкруглосуточно\b)"
    r"|(?P<weekdays>\bбудни\w*|\bбудние\b|\bрабочие\s+дни\b)"
    r"|(?P<break>\bперерыв\w*|\bобед\w*)"
    r"|(?P<without>\bбез\b)"
    r"|(?P<off>\bвыходн\w*)"
    r"|(?P<dash>-)"
    r"|(?P<until>\bдо\b|\bпо\b)"
    r"|(?P<end>[;\n]|\.(?=\s|$))"
    r"|(?P<word>\w+)"
)


@dataclass
class _Token:
    kind: str
    start: int
    end: int
    value: time | int | None = None


def _normalise(text: str) -> str:
    """Same length as the input, so token offsets quote the published text."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text.lower()).replace("ё", "е")
    text = text.replace("\u00a0", " ").replace("\t", " ").replace("\r", "\n")
    # A Latin "c" typed for the Russian preposition "с" before a time: "–c 9.00".
    text = re.sub(r"(?<![a-z])c(?=\s*\d)", "с", text)
    # The pre-holiday shortening is the production calendar's rule, not a weekly schedule:
    # "В день, непосредственно предшествующий нерабочему праздничному дню, ... (пн – чт – 16 ч 45)".
    return _PRE_HOLIDAY_RE.sub(lambda m: " " * len(m.group(0)), text)


_PRE_HOLIDAY_RE = re.compile(
    r"(?:в\s+)?(?:день|дни)[^;\n]*?предшеству[^\n]*|(?:в\s+)?предпраздничн[^\n]*"
)


def _clock(hours: str, minutes: str | None, fragment: str) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time.max
    if h > 23 or m > 59:
        raise HoursParseError(because("not_a_time", fragment=fragment))
    return time(h, m)


def _token(m: re.Match[str]) -> _Token:
    kind = m.lastgroup or "word"
    fragment = m.group()
    value: time | int | None = None
    if kind == "time_words":
        value = _clock(m["wh"], m["wm"], fragment)
    elif kind == "time_sep":
        value = _clock(m["sh"], m["sm"], fragment)
    elif kind == "time_dash":
        value = _clock(m["dh"], m["dm"], fragment)
    elif kind == "int":
        value = int(fragment)
    elif kind.startswith("day"):
        value, kind = int(kind[3:]), "day"
    if kind.startswith("time_"):
        kind = "time"
    return _Token(kind, m.start(), m.end(), value)


def _tokens(text: str) -> list[_Token]:
    return [_token(m) for m in _TOKEN_RE.finditer(text)]


# --- the schedule being built -----------------------------------------------------------------


@dataclass
class _Break:
    interval: Interval
    days: list[int] | None  # None: the break is not tied to a day group


@dataclass
class _State:
    text: str
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)
    splits: dict[int, Interval] = field(default_factory=dict)  # "с 9 до 13 и с 14 до 18"
    breaks: list[_Break] = field(default_factory=list)
    no_break: set[int] = field(default_factory=set)
    off: set[int] = field(default_factory=set)
    pending: list[int] = field(default_factory=list)
    pending_start: int | None = None
    clause_days: list[int] | None = None  # the day group that got hours in this clause
    in_break: bool = False
    in_off: bool = False
    after_without: bool = False

    def add_days(self, days: list[int], start: int) -> None:
        if self.in_off:
            self.off.update(days)
            return
        if not self.pending:
            self.pending_start = start
        self.pending.extend(d for d in days if d not in self.pending)

    def end_clause(self) -> None:
        self.in_break = self.in_off = self.after_without = False
        self.clause_days = None


def _interval_at(tokens: list[_Token], i: int) -> tuple[Interval, int] | None:
    """An interval starting at token i ("9.00 до 18.00", "9-18", "с 9 до 18"), and its end."""
    if i + 2 >= len(tokens):
        return None
    first, link, second = tokens[i], tokens[i + 1], tokens[i + 2]
    if first.kind not in ("time", "int") or second.kind not in ("time", "int"):
        return None
    if link.kind not in ("until", "dash"):
        return None
    start, end = _as_time(first), _as_time(second)
    if start is None or end is None:
        return None
    return Interval(start=start, end=end), i + 3


def _as_time(token: _Token) -> time | None:
    if isinstance(token.value, time):
        return token.value
    if isinstance(token.value, int) and 0 <= token.value <= 24:
        return time.max if token.value == 24 else time(token.value)
    return None


def _day_group(tokens: list[_Token], i: int) -> tuple[list[int], int]:
    """Days named at token i: one day, or a range "пн-пт" / "с понедельника по пятницу"."""
    first = tokens[i]
    assert isinstance(first.value, int)
    if (
        i + 2 < len(tokens)
        and tokens[i + 1].kind in ("dash", "until")
        and tokens[i + 2].kind == "day"
    ):
        last = tokens[i + 2].value
        assert isinstance(last, int)
        if last < first.value:
            return [], i + 3
        return list(range(first.value, last + 1)), i + 3
    return [first.value], i + 1


def _fragment(state: _State, start: int, end: int) -> str:
    return " ".join(state.text[start:end].split())


def _apply_interval(state: _State, interval: Interval, start: int, end: int) -> None:
    fragment = _fragment(state, start, end)
    if interval.end <= interval.start:
        raise HoursParseError(because("ends_before_start", fragment=fragment))
    if state.in_break:
        state.breaks.append(_Break(interval, state.clause_days))
        state.in_break = False
        return
    if state.pending:
        for day in state.pending:
            state.hours[day] = (interval.start, interval.end)
        state.clause_days, state.pending = state.pending, []
        return
    if state.clause_days:
        _extend_with_second_shift(state, interval, fragment)
        return
    raise HoursParseError(because("no_days", fragment=fragment, text=state.text.strip()))


def _extend_with_second_shift(state: _State, interval: Interval, fragment: str) -> None:
    assert state.clause_days is not None
    for day in state.clause_days:
        opens, closes = state.hours[day]
        if interval.start < closes:
            raise HoursParseError(because("overlaps", fragment=fragment))
        state.hours[day] = (opens, interval.end)
        state.splits[day] = Interval(start=closes, end=interval.start)


def _mark(state: _State, token: _Token) -> None:
    if token.kind == "break":
        if state.after_without:
            state.no_break.update(state.clause_days or state.pending)
        else:
            state.in_break = True
    elif token.kind == "off":
        if state.after_without:  # "без выходных"
            state.add_days(list(range(7)), token.start)
        elif state.pending:
            state.off.update(state.pending)
            state.pending = []
        else:
            state.in_off = True
    state.after_without = token.kind == "without"


def _walk(state: _State, tokens: list[_Token]) -> None:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        interval = _interval_at(tokens, i)
        if interval is not None:
            _apply_interval(state, interval[0], token.start, tokens[interval[1] - 1].end)
            i = interval[1]
            continue
        if token.kind == "day":
            days, i = _day_group(tokens, i)
            state.add_days(days, token.start)
            continue
        if token.kind == "everyday":
            state.add_days(list(range(7)), token.start)
        elif token.kind == "weekdays":
            state.add_days(list(range(5)), token.start)
        elif token.kind == "end":
            state.end_clause()
        elif token.kind in ("break", "off", "without"):
            _mark(state, token)
            i += 1
            continue
        state.after_without = False
        i += 1


# --- assembling -------------------------------------------------------------------------------


def _breaks_for(state: _State, day: int) -> list[Interval]:
    if day in state.no_break:
        return []
    tied = [b for b in state.breaks if b.days]
    # One break for the whole text is the organisation's lunch hour, wherever it was written
    # ("...; пятница с 9.00 до 16.45, перерыв 13.00 до 13.45"); several breaks belong to the
    # day groups they follow.
    if len(state.breaks) > 1 and tied:
        own = [b.interval for b in tied if b.days and day in b.days]
        if own:
            return own
        return [b.interval for b in state.breaks if not b.days]
    return [b.interval for b in state.breaks]


def _day(state: _State, day: int) -> DaySchedule:
    opens, closes = state.hours[day]
    breaks = [b for b in _breaks_for(state, day) if opens <= b.start and b.end <= closes]
    if day in state.splits:
        breaks.append(state.splits[day])
    breaks.sort(key=lambda b: b.start)
    return DaySchedule(weekday=day, opens=opens, closes=closes, breaks=breaks)


def parse_hours(text: str) -> WeeklySchedule:
    """The weekly schedule described by `text`; HoursParseError when there is none to find."""
    state = _State(text=text)
    _walk(state, _tokens(_normalise(text)))
    if state.pending and state.pending_start is not None:
        fragment = _fragment(state, state.pending_start, len(text))
        raise HoursParseError(because("no_hours_for", fragment=fragment))
    working = sorted(set(state.hours) - state.off)
    if not working:
        raise HoursParseError(because("no_hours_found", text=text.strip()))
    return WeeklySchedule(days=[_day(state, day) for day in working])


def published_breaks(text: str) -> list[Interval]:
    """The breaks of a text that gives a break and nothing else ("перерыв с 12.00 до 12.45",
    Rostov No. 37); [] when the text gives working days or hours, or no break."""
    state = _State(text=text)
    try:
        _walk(state, _tokens(_normalise(text)))
    except HoursParseError:
        return []
    if state.hours or state.pending or state.off:
        return []
    return [b.interval for b in state.breaks]

"""The "+" marks of a protocol row: exactly one per group, or the group is left unjudged.

Etiquette (columns 7-9) is judged per person who answered, so its group may hold several marks:
`column_marks` reads them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

from probe.reviews import Etiquette, Grade, Transfers

E = TypeVar("E", bound=StrEnum)

ETIQUETTE_COLUMNS: tuple[Etiquette, ...] = (
    Etiquette.FULL,
    Etiquette.ORGANISATION_ONLY,
    Etiquette.NONE,
)
TRANSFER_COLUMNS: tuple[Transfers, ...] = (Transfers.NONE, Transfers.ONCE, Transfers.SEVERAL)
GRADE_COLUMNS: tuple[Grade, ...] = (
    Grade.EXCELLENT,
    Grade.GOOD,
    Grade.SATISFACTORY,
    Grade.UNSATISFACTORY,
)


def _odd(marks: Sequence[str], first_column: int, what: str, where: str) -> str | None:
    odd = [first_column + i for i, mark in enumerate(marks) if mark not in ("", "+")]
    if odd:
        return f"{where}: {what}: columns {odd} hold something other than '+'; not read"
    return None


def column_marks(
    marks: Sequence[str],
    values: Sequence[E],
    *,
    first_column: int,
    what: str,
    where: str,
    problems: list[str],
) -> list[E]:
    """The value of every column holding a "+", in column order (none, and a problem, if odd)."""
    odd = _odd(marks, first_column, what, where)
    if odd:
        problems.append(odd)
        return []
    return [values[i] for i, mark in enumerate(marks) if mark == "+"]


def single_mark(
    marks: Sequence[str],
    values: Sequence[E],
    *,
    first_column: int,
    what: str,
    where: str,
    problems: list[str],
) -> E | None:
    """The value whose column holds the one "+"; None (and a problem) when it is not one."""
    odd = _odd(marks, first_column, what, where)
    if odd:
        problems.append(odd)
        return None
    marked = [i for i, mark in enumerate(marks) if mark == "+"]
    if len(marked) > 1:
        columns = ", ".join(str(first_column + i) for i in marked)
        problems.append(f"{where}: {what} is marked in several columns ({columns}); left unjudged")
        return None
    return values[marked[0]] if marked else None

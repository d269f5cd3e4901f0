"""The "+" marks of a protocol row: exactly one per group, or the group is left unjudged."""

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
    odd = [first_column + i for i, mark in enumerate(marks) if mark not in ("", "+")]
    if odd:
        problems.append(f"{where}: {what}: columns {odd} hold something other than '+'; not read")
        return None
    marked = [i for i, mark in enumerate(marks) if mark == "+"]
    if len(marked) > 1:
        columns = ", ".join(str(first_column + i) for i in marked)
        problems.append(f"{where}: {what} is marked in several columns ({columns}); left unjudged")
        return None
    return values[marked[0]] if marked else None

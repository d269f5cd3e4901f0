"""Why the planner skips an organisation or a contact: a code and its values.

The English text (the CLI, `--json`, the refusal to start) is made here from the code and values;
the web page makes its Russian text from the same code (probe/web/import_text.PLAN_RUSSIAN),
never from the English words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Skip:
    code: str
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return ENGLISH[self.code].format(**self.values)


def skipped(code: str, /, **values: Any) -> Skip:
    if code not in ENGLISH:
        raise KeyError(f"no planner skip reason {code!r}")
    return Skip(code, values)


ENGLISH: dict[str, str] = {
    "no_window": "no open window between start and end",
    "no_contact": "no probeable contact on the campaign's channels",
    "contact_no_window": "contact {contact}: no window left",
}


def skip_json(organisation_id: int, why: Skip) -> dict[str, Any]:
    """One skipped organisation as `--json` and the start report give it."""
    return {"organisation_id": organisation_id, "reason": str(why), "code": why.code, **why.values}

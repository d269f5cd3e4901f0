"""scripts/check_demo.py on the sandbox's greetings (issue 18 item 5): every connected call and
every greeted person has a proposal, nearly all as played, each other one printed; without the
speech extra, «greetings not checked»."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_demo.py"


def _check_demo() -> Any:
    spec = importlib.util.spec_from_file_location("check_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _found(persons: int, mismatches: int, **extra: Any) -> dict[str, Any]:
    wrong = [f"row {n} «КЦСОН», person 1: played column 7, proposed 8" for n in range(mismatches)]
    return {
        "read": True,
        "connected_calls": persons,
        "calls_without_proposal": [],
        "persons": persons,
        "proposed": persons,
        "matched": persons - mismatches,
        "mismatches": wrong,
        "unread": [],
        "gave_up": None,
    } | extra


def test_a_rare_other_column_is_printed_but_passes(capsys: pytest.CaptureFixture[str]) -> None:
    said, problems = _check_demo()._greetings(_found(40, 1))
    assert problems == []
    assert "39 of 40 persons proposed as the column played" in said
    assert "played column 7, proposed 8" in capsys.readouterr().err


def test_under_the_share_or_any_person_unread_fails_by_name() -> None:
    module = _check_demo()
    _, problems = module._greetings(_found(40, 3))
    assert problems == ["greetings: 37 of 40 proposals as the column played, under 95 %"]
    unread = ["row 4 «КЦСОН» +73812000000, check 9, person 2: column 8 played, no proposal"]
    _, problems = module._greetings(
        _found(40, 0, unread=unread, proposed=39, gave_up="no greeting read for 300 s")
    )
    assert f"greeting not read: {unread[0]}" in problems
    assert any("stopped waiting: no greeting read for 300 s" in p for p in problems)
    _, problems = module._greetings(_found(2, 0, calls_without_proposal=["check 5 (row 3)"]))
    assert problems == ["greetings: connected calls without a proposal: ['check 5 (row 3)']"]


def test_without_the_speech_extra_greetings_are_not_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said, problems = _check_demo()._greetings({"read": False, "reason": "no greeting worker ran"})
    assert problems == [] and said.startswith("greetings not checked")
    assert "greetings not checked: no greeting worker ran" in capsys.readouterr().err

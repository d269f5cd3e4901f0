"""scripts/check_sizes.py keeps issue 15's size rule: 500 lines a file, 60 a function."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_sizes", REPO / "scripts" / "check_sizes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_sizes"] = module
    spec.loader.exec_module(module)
    return module


def write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def long_function(name: str, body_lines: int) -> str:
    return f"def {name}():\n" + "    x = 1\n" * body_lines


def test_a_function_over_sixty_lines_fails_with_its_place_and_length(tmp_path: Path) -> None:
    check = load_check()
    write(tmp_path, "probe/a.py", "import os\n\n\n" + long_function("slow", 60))
    warnings, failures = check.check(tmp_path, {})
    assert warnings == []
    assert failures == ["probe/a.py:4: function slow is 61 lines (max 60)"]


def test_a_method_is_named_with_its_class_and_sixty_lines_pass(tmp_path: Path) -> None:
    check = load_check()
    method = long_function("run", 70).replace("\n", "\n    ")
    write(tmp_path, "storage/b.py", "class Job:\n    " + method + "\n" + long_function("ok", 59))
    _, failures = check.check(tmp_path, {})
    assert failures == ["storage/b.py:2: function Job.run is 71 lines (max 60)"]


def test_a_file_over_five_hundred_lines_fails_but_tests_and_migrations_do_not(
    tmp_path: Path,
) -> None:
    check = load_check()
    big = "x = 1\n" * 501
    write(tmp_path, "scripts/big.py", big)
    write(tmp_path, "storage/migrations/versions/0001_big.py", big)
    write(tmp_path, "tests/test_big.py", big)
    write(tmp_path, "bench/big.py", big)
    _, failures = check.check(tmp_path, {})
    assert failures == ["scripts/big.py: 501 lines (max 500)"]


def test_an_allowed_breach_is_a_warning_and_a_stale_entry_an_error(tmp_path: Path) -> None:
    check = load_check()
    write(tmp_path, "adapters/c.py", long_function("slow", 61))
    allowed = {"adapters/c.py:slow": "being split", "adapters/gone.py": "split already"}
    warnings, failures = check.check(tmp_path, allowed)
    assert warnings == [
        "warning: adapters/c.py:1: function slow is 62 lines (max 60) [allowed: being split]"
    ]
    assert failures == [
        "adapters/gone.py: allowed in scripts/check_sizes.py but within the limits now: "
        "remove the entry"
    ]

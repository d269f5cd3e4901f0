"""Every third-party module the code imports is declared in pyproject.toml.

A package that happens to be installed in a developer's venv but is missing from the
dependency list passes every local run and fails on a fresh clone; this catches it here.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"probe", "schedules", "adapters", "storage", "tests", "bench", "scripts"}


def _imports(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in OWN}


def _names(requirements: list[str]) -> set[str]:
    return {_canon(re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]) for req in requirements}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    """Runtime dependencies and every extra (postgres, dns, dev)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [_names(v) for v in project["optional-dependencies"].values()]
    return _names(project["dependencies"]).union(*extras)


def _distributions(module: str) -> set[str]:
    return {_canon(d) for d in importlib.metadata.packages_distributions().get(module, [])}


# Pulled in by a declared framework and only used through it.
TRANSITIVE = {"starlette"}  # fastapi


def test_product_imports_are_runtime_dependencies() -> None:
    everything = _declared()
    missing = []
    for folder in ("probe", "schedules", "adapters", "storage"):
        for module in _imports(folder) - TRANSITIVE:
            if not _distributions(module) & everything:
                missing.append(f"{folder}: {module}")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_test_and_bench_imports_are_declared() -> None:
    everything = _declared()
    missing = [
        f"{folder}: {module}"
        for folder in ("tests", "bench", "scripts")
        for module in _imports(folder) - TRANSITIVE
        if not _distributions(module) & everything
    ]
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"

"""Keep issue 15's size rule: no product file over 500 lines, no function over 60.

    python scripts/check_sizes.py

Walks the product packages and scripts/ (tests, bench/ and the Alembic migrations aside) and
prints `path:line: function NAME is N lines (max 60)` / `path: N lines (max 500)` for each
breach, exiting 1 if there is any. A function's length runs from its `def` line to its last
line, nested functions included (and counted again on their own).

ALLOWED lists what is still over while it is being split elsewhere; those are printed as
warnings, not failures. The list may only shrink: an entry that is no longer over the limit
is itself an error, so it gets removed as soon as the split lands.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("probe", "storage", "adapters", "schedules", "scripts")
EXCLUDED = ("storage/migrations",)
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60

# path -> reason, or "path:qualified.function" -> reason. Remove an entry when its split lands.
ALLOWED: dict[str, str] = {}


def product_files(repo: Path) -> Iterator[Path]:
    for root in ROOTS:
        for path in sorted((repo / root).rglob("*.py")):
            rel = path.relative_to(repo).as_posix()
            if not rel.startswith(EXCLUDED):
                yield path


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    """Every function and method with its qualified name (`Class.method`, `outer.inner`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from functions(node, f"{name}.")
        else:
            yield from functions(node, prefix)


def breaches(rel: str, source: str) -> Iterator[tuple[str, str]]:
    """(allow-list key, message) for each size over the limit in one file."""
    lines = len(source.splitlines())
    if lines > MAX_FILE_LINES:
        yield rel, f"{rel}: {lines} lines (max {MAX_FILE_LINES})"
    for name, node in functions(ast.parse(source, filename=rel)):
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES:
            message = f"{rel}:{node.lineno}: function {name} is {length} lines"
            yield f"{rel}:{name}", f"{message} (max {MAX_FUNCTION_LINES})"


def check(repo: Path, allowed: dict[str, str]) -> tuple[list[str], list[str]]:
    """(warnings, failures) for the tree at `repo`."""
    warnings: list[str] = []
    failures: list[str] = []
    seen: set[str] = set()
    for path in product_files(repo):
        rel = path.relative_to(repo).as_posix()
        for key, message in breaches(rel, path.read_text(encoding="utf-8")):
            if key in allowed:
                seen.add(key)
                warnings.append(f"warning: {message} [allowed: {allowed[key]}]")
            else:
                failures.append(message)
    failures += [
        f"{key}: allowed in scripts/check_sizes.py but within the limits now: remove the entry"
        for key in allowed
        if key not in seen
    ]
    return warnings, failures


def main() -> int:
    warnings, failures = check(REPO, ALLOWED)
    print("\n".join(warnings + failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""How a command prints and fails, and loads its settings: shared by the CLI (probe.cli) and
the channels' own commands (`probe check <channel>`), which sit below it."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from probe.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return get_settings()
    except (ValidationError, ValueError) as error:
        fail(f"bad configuration: {error}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")

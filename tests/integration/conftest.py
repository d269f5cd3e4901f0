"""Fixtures the web UI's integration tests share: the seeded database and the running server
(a test module may define its own to seed or configure differently)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.integration.test_web_support import (
    Seeded,
    WebServer,
    make_settings,
    running_server,
    seed,
)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path / "var")


@pytest.fixture
def server(engine: Engine, sqlite_url: str, tmp_path: Path, seeded: Seeded) -> Iterator[WebServer]:
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "var")
    yield from running_server(engine=engine, settings=settings)

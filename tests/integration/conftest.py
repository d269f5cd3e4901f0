"""Fixtures the web UI's integration tests share: the seeded database and the running server
(a test module may define its own to seed or configure differently)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.engine import Engine

from tests.integration.browser_support import chromium, new_page
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for a module's browser tests (tests/integration/browser_support.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with new_page(browser) as opened:
        yield opened

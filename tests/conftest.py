"""Shared fixtures: databases (SQLite file, real PostgreSQL) and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from probe.settings import reset_settings_cache
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.servers.postgres import PostgresServer, find_postgres_bin
from tests.servers.testpeer import TestPeer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's PROBE_* environment or writes outside its temp dir."""
    for name in list(os.environ):
        if name.startswith("PROBE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PROBE_DATABASE_URL", f"sqlite:///{tmp_path / 'probe.db'}")
    monkeypatch.setenv("PROBE_DATA_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    yield
    reset_settings_cache()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'probe.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if find_postgres_bin() is None:
        pytest.fail("PostgreSQL is not installed: run `scripts/setup.sh --test`")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the shared test server."""
    return postgres_server.create_database()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL database, migrated to the current schema."""
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def test_peer(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestPeer]:
    """The test channel's peer; `@pytest.mark.peer_script({...})` sets its outcomes."""
    marker = request.node.get_closest_marker("peer_script")
    script = marker.args[0] if marker else {}
    duration = marker.kwargs.get("duration_ms", 50.0) if marker else 50.0
    peer = TestPeer(tmp_path, script, duration)
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()

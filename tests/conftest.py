"""Shared fixtures: databases (SQLite file, real PostgreSQL) and the CLI."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the current schema by the migrations, once per session: each
    test's `engine` starts from a copy (the same bytes a migration of its own would write)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers == [], f"the migrated file is not complete without {leftovers}"
    return path


@pytest.fixture
def engine(sqlite_url: str, migrated_sqlite: Path) -> Iterator[Engine]:
    """An engine on a fresh SQLite file at `sqlite_url`, migrated to the current schema."""
    target = Path(sqlite_url.removeprefix("sqlite:///"))
    if target.exists():  # made by a fixture before this one: migrate it where it is
        upgrade(sqlite_url)
    else:
        shutil.copyfile(migrated_sqlite, target)
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
    """A fresh database on the shared test server: empty, or, for a test that also uses
    `pg_engine` (on this same database), a copy of `migrated_postgres`."""
    if "pg_engine" in request.fixturenames:
        return postgres_server.create_database(
            template=request.getfixturevalue("migrated_postgres")
        )
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: PostgresServer) -> str:
    """The name of a database on the shared server brought to the current schema by the
    migrations, once per session: each test's `pg_engine` database is a copy of it."""
    url = postgres_server.create_database()
    upgrade(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
def pg_engine(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL database (`postgres_url`), migrated to the current
    schema."""
    if "pg_engine" not in request.fixturenames:  # asked for late: postgres_url is empty
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

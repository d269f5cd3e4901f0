"""Engines and sessions. SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

import storage.tally  # noqa: F401  (every session keeps the campaigns' counters)
from probe import metrics


def normalise_url(url: str) -> str:
    """Use psycopg 3 for a bare postgresql:// URL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web UI read while a worker writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No JIT: PostgreSQL compiles a query whose estimate is large (the review queue's keyset
    # walk over a million checks is costed as if it read them all) for 0.5-1.5 s on a loaded
    # 2-core machine, to run one that takes 5 ms (bench/web_queue.py, `?age=7`).
    connect_args = {"options": "-c jit=off", **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


T = TypeVar("T")
# PostgreSQL aborts one of two transactions that wait for each other's row locks (a
# deadlock: the counters of storage.tally, kept flush by flush, can be locked in different
# orders by two transactions of several flushes) and a transaction that lost a serialization
# race. Either is safe to run again from its start.
RETRIED_SQLSTATES = {"40P01": "deadlock", "40001": "serialization"}


def retry_reason(error: BaseException) -> str | None:
    """ "deadlock" or "serialization" for an error that a new attempt may not meet; else None."""
    if not isinstance(error, DBAPIError):
        return None
    return RETRIED_SQLSTATES.get(str(getattr(error.orig, "sqlstate", "") or ""))


def in_transaction(
    engine: Engine, work: Callable[[Session], T], *, attempts: int = 4, pause: float = 0.05
) -> T:
    """`work(session)` in one transaction (`session_scope`), run again from its start on a
    fresh session when PostgreSQL aborted it as a deadlock's victim or a serialization failure,
    at most `attempts` times in all, with a short random pause between. `work` may run more
    than once: what it does outside this session must bear that."""
    attempt = 1
    while True:
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as error:
            reason = retry_reason(error)
            if reason is None or attempt >= attempts:
                raise
            metrics.TRANSACTION_RETRIES.labels(reason=reason).inc()
            structlog.get_logger().warning("transaction retried", reason=reason, attempt=attempt)
            time.sleep(pause * attempt * random.uniform(0.5, 1.5))
            attempt += 1

"""Scale-out tests: `probe run` and `probe worker` processes on a real PostgreSQL, and readers of
the test peer's log (concurrency, per-organisation overlaps)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import pairwise
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.servers.testpeer import Execution

PROBE = [sys.executable, "-m", "probe.cli.main"]


def process_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROBE_")}
    env.update(
        {
            "PROBE_DATABASE_URL": url,
            "PROBE_DATA_DIR": str(data_dir),
            "PROBE_LOG_FORMAT": "json",
            "PROBE_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*PROBE, *args], stdout=out, stderr=subprocess.STDOUT, env=env)


def scheduler(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return start(["run", "--tick", "0.05", *extra], env, log)


def worker(
    env: dict[str, str], log: Path, *, concurrency: int = 3, extra: Iterable[str] = ()
) -> subprocess.Popen[bytes]:
    args = ["worker", "--concurrency", str(concurrency), "--heartbeat", "0.5"]
    args += ["--stalled-after", "4", "--poll", "0.2", *extra]
    return start(args, env, log)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition: Callable[[], bool], *, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def campaign_status(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT status FROM campaign")).scalar()
    except Exception:
        return None  # the database is restarting


def max_parallel(runs: Iterable[Execution]) -> int:
    """The most executions in flight at one instant, from their start/end instants."""
    edges = []
    for run in runs:
        assert run.end is not None
        edges += [(run.start, 1), (run.end, -1)]
    busy = peak = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):  # an end before a start
        busy += step
        peak = max(peak, busy)
    return peak


def organisation_overlaps(runs: Iterable[Execution]) -> list[tuple[Execution, Execution]]:
    """Pairs of executions on one organisation that overlap in time (must be none)."""
    by_org: dict[int | None, list[Execution]] = defaultdict(list)
    for run in runs:
        by_org[run.organisation_id].append(run)
    clashes = []
    for org_runs in by_org.values():
        org_runs.sort(key=lambda r: r.start)
        for before, after in pairwise(org_runs):
            assert before.end is not None
            if after.start < before.end:
                clashes.append((before, after))
    return clashes

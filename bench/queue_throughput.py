"""Checks per second on the test channel: the PostgreSQL job queue with 1, 2 and 4 workers,
against the in-process path (`probe run` executing checks itself) measured in the same run.

Every run gets a fresh database and a fresh test peer; its throughput is the number of checks
divided by the span of the peer's own log (first start to last end), so process start-up is
not counted. Each worker and the in-process runner run at most `--concurrency` checks at once;
the campaign's limits are set high enough not to be the bottleneck.

    .venv/bin/python bench/queue_throughput.py [--checks 400] [--concurrency 4] [--duration-ms 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy.engine import Engine  # noqa: E402

from schedules import campaigns as service  # noqa: E402
from schedules.spec import parse_campaign  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.campaign_helpers import add_test_organisations  # noqa: E402
from tests.scaleout_helpers import campaign_status, process_env, start, stop  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402
from tests.servers.testpeer import TestPeer  # noqa: E402


def _campaign(engine: Engine, peer: str, parallel: int) -> None:
    now = datetime.now(UTC)
    spec = {
        "name": "bench",
        "organisations": {"all": True},
        "channels": ["test"],
        "start": now.date().isoformat(),
        "end": now.date().isoformat(),
        "windows": "always",
        "spread": "asap",
        "limits": {
            "quiet_minutes": 0,
            "calls_in_parallel": parallel,
            "checks_in_parallel": parallel,
        },
        "options": {"test": {"peer": peer}},
    }
    service.create(engine=engine, spec=parse_campaign(spec), actor="bench")


def _span(peer: TestPeer, checks: int) -> float:
    runs = peer.executions()
    assert len(runs) == checks, f"{len(runs)} executions for {checks} checks"
    assert len({r.check_id for r in runs}) == checks
    return max(r.end or 0.0 for r in runs) - min(r.start for r in runs)


def measure(url: str, *, workers: int, args: argparse.Namespace, root: Path) -> float:
    """Checks per second of one run: in-process (SQLite: `probe run` executes) when workers is
    0; on PostgreSQL `probe run` only enqueues, and `workers` processes execute."""
    directory = Path(tempfile.mkdtemp(dir=root))
    upgrade(url)
    engine = make_engine(url)
    add_test_organisations(engine, {f"o{i:05d}": [f"v{i:05d}"] for i in range(args.checks)})
    peer = TestPeer(directory, {}, args.duration_ms)
    peer.start()
    parallel = args.concurrency * max(workers, 1)
    _campaign(engine, peer.address, parallel)
    env = process_env(url, directory / "var")
    # In-process, the tick paces every start; with the queue it only enqueues (all at once).
    tick = "0.05" if workers == 0 else "0.5"
    processes = [start(["run", "--tick", tick], env, directory / "run.log")]
    for n in range(workers):
        command = ["worker", "--concurrency", str(args.concurrency), "--poll", "0.2"]
        processes.append(start(command, env, directory / f"worker{n}.log"))
    try:
        time.sleep(4)  # every process up and idle before the campaign starts
        now = datetime.now(UTC)
        service.transition(engine=engine, name="bench", action="start", actor="bench", now=now)
        deadline = time.monotonic() + 180
        while campaign_status(engine) != "done":
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"run did not finish: see {directory}")
            time.sleep(0.1)
    finally:
        for process in processes:
            stop(process)
        peer.stop()
        engine.dispose()
    return args.checks / _span(peer, args.checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too.")
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    root = Path(tempfile.mkdtemp(prefix="probe-bench-"))
    try:
        results = {
            "in-process, SQLite": measure(
                f"sqlite:///{root / 'bench.db'}", workers=0, args=args, root=root
            ),
        }
        for workers in (1, 2, 4):
            results[f"queue, {workers} worker(s)"] = measure(
                server.create_database(), workers=workers, args=args, root=root
            )
    finally:
        server.stop()
    reference = results["in-process, SQLite"]
    print(
        f"{args.checks} checks, test peer {args.duration_ms:g} ms per check, "
        f"{args.concurrency} at once per process, 2-core machine"
    )
    for name, rate in results.items():
        print(f"{name:<26} {rate:8.1f} checks/s   x{rate / reference:5.2f} vs in-process SQLite")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()

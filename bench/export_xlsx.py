"""Bench: export a synthetic campaign of 10,000 organisations x 3 checks to XLSX.

Prints seconds and peak memory (max RSS of a fresh process per run) for the XLSX export and, as
the reference measured in the same run, for the CSV export of the same campaign (same scoring,
rows written with the csv module), and the ratio between them. Target: XLSX <= 10 s.

Each export runs --repeat times (a fresh process each time) and the median is printed, with the
CPU seconds of that run beside it: on a shared machine wall-clock time moves with the load, and
CPU time says how much of it was the export's own work.

    .venv/bin/python bench/export_xlsx.py [--organisations N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from probe.export import export_campaign
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign, Check, Contact, Organisation, Review

T0 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)


def _rows(n: int) -> dict[str, list[dict[str, object]]]:
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    orgs, contacts, checks, reviews = [], [], [], []
    for i in range(1, n + 1):
        orgs.append({"id": i, "key": f"bench|{i}", "name": f"КЦСОН № {i}", "region": "omsk",
                     "kind": "КЦСОН", "timezone": "Asia/Omsk", "protocol_row": i, "active": True,
                     "short_name": "", "address": "", "website": "", "hours_raw": "",
                     "area_code": "", "source": "bench", **stamps})  # fmt: skip
        phone, mail = 2 * i - 1, 2 * i
        contacts.append({"id": phone, "organisation_id": i, "channel": "phone",
                         "key": f"+7381220{i:05d}", "raw": f"8 (3812) 2{i:05d}",
                         "value": f"+7381220{i:05d}", **stamps})  # fmt: skip
        contacts.append({"id": mail, "organisation_id": i, "channel": "email",
                         "key": f"org{i}@example.org", "raw": f"org{i}@example.org",
                         "value": f"org{i}@example.org", **stamps})  # fmt: skip
        for k, (contact, channel, outcome) in enumerate(
            ((phone, "phone", "busy"), (phone, "phone", "connected"), (mail, "email", "replied"))
        ):
            started = T0 + timedelta(minutes=i % 600 + 7 * k)
            checks.append({"id": 3 * i - 2 + k, "campaign_id": 1, "organisation_id": i,
                           "contact_id": contact, "channel": channel, "status": "done",
                           "outcome": outcome, "attempt": 1, "historical": False,
                           "started_at": started, "finished_at": started + timedelta(hours=k),
                           "timings_ms": {}, "details": {"transfers": i % 3} if k == 1 else {},
                           "evidence": [], **stamps})  # fmt: skip
        reviews.append({"check_id": 3 * i - 1, "author": "bench", "field": "etiquette",
                        "value": "full", "reason": "", "created_at": now})  # fmt: skip
    return {"orgs": orgs, "contacts": contacts, "checks": checks, "reviews": reviews}


def build(url: str, n: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    rows = _rows(n)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(Campaign.__table__.insert(), [{  # type: ignore[attr-defined]
            "id": 1, "name": "bench", "title": "", "status": "done", "channels": ["phone", "email"],
            "spec": {}, "historical": False, "created_at": now, "updated_at": now}])  # fmt: skip
        connection.execute(Organisation.__table__.insert(), rows["orgs"])  # type: ignore[attr-defined]
        connection.execute(Contact.__table__.insert(), rows["contacts"])  # type: ignore[attr-defined]
        connection.execute(Check.__table__.insert(), rows["checks"])  # type: ignore[attr-defined]
        connection.execute(Review.__table__.insert(), rows["reviews"])  # type: ignore[attr-defined]
    engine.dispose()


def child(url: str, fmt: str, out: Path) -> None:
    engine = make_engine(url)
    started, cpu_started = time.perf_counter(), time.process_time()
    export_campaign(engine=engine, campaign="bench", fmt=fmt, out=out)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "cpu": cpu, "peak_mib": peak_mib, "bytes": out.stat().st_size}
    print(json.dumps(result))


def measure_once(url: str, fmt: str, work: Path) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        fmt,
        "--url",
        url,
        "--out",
        str(work / f"x.{fmt}"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(url: str, fmt: str, work: Path, repeat: int) -> dict[str, float]:
    """The run with the median wall-clock time of `repeat` fresh processes."""
    runs = sorted((measure_once(url, fmt, work) for _ in range(repeat)), key=lambda r: r["seconds"])
    return runs[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.child, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'bench.db'}"
        build(url, args.organisations)
        xlsx = measure(url, "xlsx", work, args.repeat)
        reference = measure(url, "csv", work, args.repeat)
    n = args.organisations
    print(f"campaign: {n} organisations x 3 checks ({3 * n} checks); median of {args.repeat} runs")
    print(f"xlsx export: {xlsx['seconds']:.2f} s ({xlsx['cpu']:.2f} s CPU), peak RSS "
          f"{xlsx['peak_mib']:.0f} MiB, {xlsx['bytes'] / 1e6:.1f} MB")  # fmt: skip
    print(f"csv export (reference): {reference['seconds']:.2f} s ({reference['cpu']:.2f} s CPU), "
          f"peak RSS {reference['peak_mib']:.0f} MiB, "
          f"{reference['bytes'] / 1e6:.1f} MB")  # fmt: skip
    print(f"ratio xlsx/csv: time {xlsx['seconds'] / reference['seconds']:.2f}x, "
          f"memory {xlsx['peak_mib'] / reference['peak_mib']:.2f}x; "
          f"target xlsx <= 10 s: {'met' if xlsx['seconds'] <= 10 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()

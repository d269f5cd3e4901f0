"""Bench: the plan page of a draft campaign (`/campaigns/N/plan`), which computes the draft's
plan on every view (`schedules.campaigns.plan`, nothing written), on SQLite.

Two directories: the 136 organisations of the bundled seed directories, and a generated one of
`--organisations` (default 5,000; each with two phones and an address, hours from four
published forms, in two regions). For each, a draft over all its organisations on the phone and
e-mail channels, two weeks from today, and GET /campaigns/N/plan timed through the real app
under uvicorn, signed in as a viewer: the first view (which computes the preview) and the
later ones (the preview kept, probe/web/plan_preview.py); beside them, in the same run, the
plan alone (`schedules.campaigns.plan`) and the login page (a template, no database) as the
reference. Target: a later view in at most 300 ms.

    .venv/bin/python bench/plan_page.py [--organisations 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.web_queue import PASSWORD, login, timed  # noqa: E402
from probe.directory.importer import apply_import, bundled_names, bundled_path, plan_import  # noqa: E402
from probe.directory.sources import read_csv, read_directory_file  # noqa: E402
from probe.results import utc_now  # noqa: E402
from probe.settings import Settings  # noqa: E402
from probe.web.security import hash_password  # noqa: E402
from schedules import campaigns as service  # noqa: E402
from schedules.spec import parse_campaign  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.users import create_user  # noqa: E402
from tests.integration.test_web_support import WebServer  # noqa: E402

TARGET_MS = 300.0
HOURS = [
    "пн-чт 8:30-17:45, пт 8:30-16:30, перерыв с 13.00 до 14.00",
    "пн-пт 9:00-18:00, перерыв с 12.00 до 12.48",
    "ежедневно с 8.00 до 20.00",
    "",  # the region's default hours
]


def generated(count: int) -> bytes:
    """A directory file of `count` organisations, every contact its own."""
    rows = ["name;region;kind;phones;emails;hours"]
    for i in range(count):
        if i % 2:
            region, phones = "omsk", f"+7 3812 {200000 + i}, +7 3812 {700000 + i}"
        else:
            region, phones = "rostov", f"+7 863 {2000000 + i}, +7 863 {3000000 + i}"
        rows.append(f"ЦСО №{i};{region};КЦСОН;{phones};cso{i}@example.ru;{HOURS[i % len(HOURS)]}")
    return ("\n".join(rows) + "\n").encode()


def _database(folder: Path, name: str, sources: list[tuple[str, bytes | Path]]) -> str:
    url = f"sqlite:///{folder / name}.db"
    upgrade(url)
    engine = make_engine(url)
    for display, source in sources:
        if isinstance(source, Path):
            report = plan_import(read_directory_file(source, display_name=display))
        else:
            report = plan_import(read_csv(source, name=display))
        apply_import(report, engine=engine, actor="bench")
    with session_scope(engine) as db:
        create_user(
            session=db, username="bench", password_hash=hash_password(PASSWORD),
            role="viewer", actor="bench",
        )  # fmt: skip
    today = date.today()
    spec = parse_campaign(
        {
            "name": "bench",
            "organisations": {"all": True},
            "channels": ["phone", "email"],
            "start": today.isoformat(),
            "end": (today + timedelta(days=13)).isoformat(),
        }
    )
    service.create(engine=engine, spec=spec, actor="bench")
    engine.dispose()
    return url


def measure(url: str, data_dir: Path, repeat: int) -> float:
    from probe.web.app import create_app

    engine = make_engine(url)
    campaign = service.get(engine=engine, name="bench")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        _spec, result = service.plan(engine=engine, name="bench", now=utc_now())
        samples.append((time.perf_counter() - start) * 1000)
    print(f"  the plan alone (schedules.campaigns.plan): median {statistics.median(samples):.1f} ms"
          f" ({len(result.attempts)} attempts, {len(result.skipped)} skipped)")  # fmt: skip
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench")
    server = WebServer(create_app(settings=settings, engine=engine))
    server.start()
    try:
        client: httpx.Client = login(server)
        reference, _top, _rows = timed(client, "/login", repeat)
        start = time.perf_counter()
        client.get(f"/campaigns/{campaign.id}/plan")  # computes the preview
        first = (time.perf_counter() - start) * 1000
        page, top, _rows = timed(client, f"/campaigns/{campaign.id}/plan", repeat)
        size = len(client.get(f"/campaigns/{campaign.id}/plan").content)
    finally:
        server.stop()
        engine.dispose()
    print(f"  reference GET /login: median {reference:.1f} ms")
    path = f"GET /campaigns/{campaign.id}/plan"
    print(f"  {path}, first view (the preview computed): {first:.1f} ms")
    print(f"  {path}, later views (the preview kept): median {page:.1f} ms, max {top:.1f} ms, "
          f"{size / 1e6:.1f} MB, ratio {page / reference:.1f}")  # fmt: skip
    return page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organisations", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        seeds: list[tuple[str, bytes | Path]] = [
            (f"{n}.yaml", bundled_path(n)) for n in bundled_names()
        ]
        big: list[tuple[str, bytes | Path]] = [("generated.csv", generated(args.organisations))]
        for title, name, sources in (
            ("the 136 seed organisations", "seeds", seeds),
            (f"{args.organisations} generated organisations", "generated", big),
        ):
            start = time.perf_counter()
            url = _database(Path(folder), name, sources)
            print(f"== {title} (imported in {time.perf_counter() - start:.1f} s)")
            worst = max(worst, measure(url, Path(folder) / "var", args.repeat))
    verdict = "OK" if worst <= TARGET_MS else "TOO SLOW"
    print(f"slowest plan page: {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())

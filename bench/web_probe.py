"""Web probe cost on the sandbox's 38 websites (real nginx, probe/sandbox/websites.py), against a
plain httpx fetch of the same pages in the same run.

1. the probe: every centre's site (the kind the sandbox world gives it) walked by the web
   channel as a campaign runs it (probe.runner.run_probe: robots.txt, one request at a time per
   site with the sandbox's 0.1 s pause, Chromium for scripted pages), `--parallel` sites at once
   (the channel's default limit is 4); wall time, and the share of the probes' time spent
   rendering (each result's `details.render_seconds` over its own duration);
2. the reference: the same pages each probe fetched (its `details.pages`), fetched with one
   httpx client per site (HTTP/2, the sandbox's CA, no pause), the same number of sites at once.
The ratio is (1) over (2): what the politeness, the parsing, the detectors and the browser cost
over just downloading the pages. Sites that fail (down, expired certificate) are in both.

    .venv/bin/python bench/web_probe.py [--parallel 4] [--pause 0.1] [--rounds 1]

Figures: docs/web.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import structlog

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from probe.channels import ProbeTarget, get_channel  # noqa: E402
from probe.runner import run_probe  # noqa: E402
from probe.sandbox.websites import SiteRequest, serve_websites  # noqa: E402
from probe.sandbox.world import load_world  # noqa: E402
from probe.settings import Settings  # noqa: E402


def _requests() -> list[SiteRequest]:
    world = load_world()
    requests = []
    for organisation, site in world.websites:
        phones = tuple(p.value for p in organisation.phones)
        emails = tuple(m.address.lower() for m in organisation.emails)
        requests.append(SiteRequest(site.kind, organisation.name, phones, emails))
    return requests


async def _probe_all(
    urls: list[str], settings: Settings, parallel: int
) -> tuple[float, list[dict[str, Any]]]:
    plugin = get_channel("web")
    gate = asyncio.Semaphore(parallel)

    async def one(index: int, url: str) -> dict[str, Any]:
        async with gate:
            target = ProbeTarget(check_id=index + 1, channel="web", value=url, options={})
            started = time.monotonic()
            result = await run_probe(plugin, target, settings=settings, timeout=900)
            seconds = time.monotonic() - started
        details = result.details
        return {
            "url": url,
            "outcome": str(result.outcome),
            "seconds": seconds,
            "render_seconds": float(details.get("render_seconds") or 0.0),
            "pages": [p["url"] for p in details.get("pages") or [] if p.get("url")],
            "rendered": details.get("pages_rendered", 0),
            "render_error": details.get("render_error"),
        }

    started = time.monotonic()
    found = await asyncio.gather(*(one(i, u) for i, u in enumerate(urls)))
    return time.monotonic() - started, list(found)


async def _fetch_all(
    sites: list[dict[str, Any]], ca_bundle: Path, parallel: int
) -> tuple[float, int, int]:
    gate = asyncio.Semaphore(parallel)
    fetched = failed = 0

    async def one(site: dict[str, Any]) -> None:
        nonlocal fetched, failed
        pages = site["pages"] or [site["url"]]
        async with (
            gate,
            httpx.AsyncClient(
                http2=True, verify=str(ca_bundle), follow_redirects=True, timeout=15
            ) as client,
        ):
            for url in pages:
                try:
                    response = await client.get(url)
                    await response.aread()
                    fetched += 1
                except httpx.HTTPError:
                    failed += 1

    started = time.monotonic()
    await asyncio.gather(*(one(s) for s in sites))
    return time.monotonic() - started, fetched, failed


def _round(urls: list[str], settings: Settings, ca_bundle: Path, args: Any) -> dict[str, Any]:
    wall, sites = asyncio.run(_probe_all(urls, settings, args.parallel))
    plain, fetched, failed = asyncio.run(_fetch_all(sites, ca_bundle, args.parallel))
    busy = sum(s["seconds"] for s in sites)
    return {
        "sites": len(sites),
        "probe_wall_seconds": round(wall, 2),
        "render_share": round(sum(s["render_seconds"] for s in sites) / busy, 3),
        "pages_rendered": sum(s["rendered"] for s in sites),
        "render_errors": sum(1 for s in sites if s["render_error"]),
        "pages": sum(len(s["pages"]) for s in sites),
        "httpx_wall_seconds": round(plain, 2),
        "httpx_pages_fetched": fetched,
        "httpx_failures": failed,
        "ratio": round(wall / plain, 1) if plain else None,
        "outcomes": {
            o: sum(1 for s in sites if s["outcome"] == o)
            for o in sorted({s["outcome"] for s in sites})
        },
    }


def main() -> int:
    # The probes' log lines would bury the figures: warnings and errors only.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    requests = _requests()
    with (
        tempfile.TemporaryDirectory(prefix="web-bench-") as folder,
        serve_websites(requests, Path(folder) / "sites") as served,
    ):
        settings = Settings(
            database_url="sqlite://",
            data_dir=Path(folder) / "var",
            network="loopback",
            web={"ca_bundle": served.ca_bundle, "pause_seconds": args.pause,
                 "render_timeout_seconds": 60.0, "time_budget_seconds": 600.0},
        )  # fmt: skip
        rounds = [_round(served.urls, settings, served.ca_bundle, args) for _ in range(args.rounds)]
    report = {
        "parallel": args.parallel,
        "pause_seconds": args.pause,
        "kinds": len({r.kind for r in requests}),
        "rounds": rounds,
        "median_probe_wall_seconds": statistics.median(r["probe_wall_seconds"] for r in rounds),
        "median_ratio": statistics.median(r["ratio"] for r in rounds if r["ratio"]),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`probe run`: the campaign runner daemon (or one pass with --once)."""

from __future__ import annotations

import asyncio
import signal

import typer

from probe.cli.common import console, load_settings, open_engine
from schedules.daemon import CampaignRunner

app = typer.Typer()


@app.command()
def run(
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit."),
    tick: float = typer.Option(0.5, help="Seconds between two looks for due checks."),
) -> None:
    """Run campaigns: wake due checks, watch mailboxes, sweep deadlines. Ctrl-C stops cleanly
    (checks in flight finish first)."""
    settings = load_settings()
    engine = open_engine(settings)
    runner = CampaignRunner(engine=engine, settings=settings, tick_seconds=tick)
    if once:
        asyncio.run(runner.run_once())
        console.print("nothing more is due")
        return
    asyncio.run(_forever(runner))


async def _forever(runner: CampaignRunner) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.run_forever(stop)

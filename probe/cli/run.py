"""`probe run`: the campaign runner daemon (or one pass with --once)."""

from __future__ import annotations

import asyncio
import signal

import typer

from probe.cli.common import open_engine
from probe.console import console, load_settings
from probe.metrics import MetricsServer
from schedules.daemon import CampaignRunner, Dispatcher

app = typer.Typer()


@app.command()
def run(
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit."),
    tick: float = typer.Option(0.5, help="Seconds between two looks for due checks."),
    metrics_port: int | None = typer.Option(
        None, min=0, max=65535, help="Serve Prometheus metrics at /metrics on this port (0: any)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address of the metrics server."),
    web: bool = typer.Option(False, "--web", help="Serve the review UI in the same process."),
    web_host: str = typer.Option("127.0.0.1", help="Address of the review UI."),
    web_port: int = typer.Option(8080, min=0, max=65535, help="Port of the review UI."),
) -> None:
    """Run campaigns: wake due checks, watch mailboxes, sweep deadlines. Ctrl-C stops cleanly
    (checks in flight finish first). On PostgreSQL it only plans and enqueues: `probe worker`
    processes execute the checks."""
    settings = load_settings()
    engine = open_engine(settings)
    runner = CampaignRunner(
        engine=engine,
        settings=settings,
        tick_seconds=tick,
        dispatcher=_dispatcher(settings.database_url),
    )
    server = (
        MetricsServer(host=metrics_host, port=metrics_port) if metrics_port is not None else None
    )
    if server is not None:
        console.print(f"metrics at http://{metrics_host}:{server.start()}/metrics", highlight=False)
    try:
        if once:
            asyncio.run(runner.run_once())
            console.print("nothing more is due")
            return
        web_address = (web_host, web_port) if web else None
        if web_address:
            console.print(f"review UI at http://{web_host}:{web_port}/", highlight=False)
        asyncio.run(_forever(runner, web=web_address))
    finally:
        if server is not None:
            server.stop()


def _dispatcher(url: str) -> Dispatcher | None:
    """PostgreSQL: the job queue (procrastinate); SQLite: None, checks run in this process."""
    from storage.engine import normalise_url

    if not normalise_url(url).startswith("postgresql"):
        return None
    from schedules.queue import QueueDispatcher

    return QueueDispatcher()


async def _forever(runner: CampaignRunner, *, web: tuple[str, int] | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ui = None
    if web is not None:
        from probe.web.app import serve

        ui = asyncio.create_task(
            serve(
                settings=runner.settings,
                engine=runner.engine,
                host=web[0],
                port=web[1],
                stop=stop,
            )
        )
        # The UI ends with the runner (and a UI that fails to start stops the runner).
        ui.add_done_callback(lambda _: stop.set())
    try:
        await runner.run_forever(stop)
    finally:
        if ui is not None:
            await asyncio.gather(ui, return_exceptions=True)

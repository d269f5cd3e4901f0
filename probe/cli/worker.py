"""`probe worker`: execute queued checks (PostgreSQL scale-out mode); run it on any number of
machines beside one `probe run`."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import typer

from probe.channels import available_channels
from probe.cli.common import open_engine
from probe.console import console, fail, load_settings
from probe.metrics import MetricsServer
from schedules.daemon import make_worker_id

if TYPE_CHECKING:
    from procrastinate import App

    from schedules.queue_worker import CheckExecutor, WorkerOptions

app = typer.Typer()

SQLITE_REFUSED = (
    "probe worker needs PostgreSQL (PROBE_DATABASE_URL=postgresql://...); "
    "with SQLite, `probe run` executes the checks itself"
)


def check_queues(queues: list[str]) -> list[str] | None:
    """Queue names are CHANNEL.ACCOUNT (e.g. phone.default); a bare channel means its default."""
    from schedules.queue import channel_of_queue, queue_name

    known = set(available_channels())
    names = []
    for queue in queues:
        channel, _, account = queue.partition(".")
        if channel not in known:
            available = ", ".join(sorted(known))
            fail(f"--queue {queue}: unknown channel {channel!r}; available: {available}")
        if "." in queue and not account:
            fail(f"--queue {queue}: empty account after the dot")
        names.append(queue_name(channel_of_queue(queue), account or None))
    return names or None


@app.command()
def worker(
    queue: list[str] = typer.Option(
        [], "--queue", help="Queue to take jobs from (repeatable): CHANNEL or CHANNEL.ACCOUNT."
    ),
    concurrency: int = typer.Option(4, min=1, max=1000, help="Checks run at once by this worker."),
    metrics_port: int | None = typer.Option(
        None, min=0, max=65535, help="Serve Prometheus metrics at /metrics on this port (0: any)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address of the metrics server."),
    heartbeat: float = typer.Option(10.0, min=0.1, help="Seconds between two heartbeats."),
    stalled_after: float = typer.Option(
        30.0, min=0.5, help="A worker silent this long is gone: its jobs are retried."
    ),
    poll: float = typer.Option(2.0, min=0.05, help="Seconds between two looks for jobs."),
) -> None:
    """Execute the checks `probe run` queued. Ctrl-C / SIGTERM stops cleanly (checks in flight
    finish and are stored first)."""
    settings = load_settings()
    from schedules.queue import is_postgres

    if not is_postgres(settings.database_url):
        fail(SQLITE_REFUSED)
    if stalled_after <= heartbeat:
        fail(f"--stalled-after ({stalled_after:g}) must be longer than --heartbeat ({heartbeat:g})")
    queues = check_queues(queue)
    engine = open_engine(settings)
    from schedules.queue import make_app
    from schedules.queue_worker import CheckExecutor, WorkerOptions

    name = make_worker_id()
    executor = CheckExecutor(engine=engine, settings=settings, worker_id=name)
    options = WorkerOptions(
        queues=queues,
        concurrency=concurrency,
        heartbeat=heartbeat,
        stalled_after=stalled_after,
        poll=poll,
        name=name,
    )
    server = (
        MetricsServer(host=metrics_host, port=metrics_port) if metrics_port is not None else None
    )
    if server is not None:
        console.print(f"metrics at http://{metrics_host}:{server.start()}/metrics", highlight=False)
    try:
        asyncio.run(
            _serve(make_app(settings.database_url, pool_size=concurrency + 4), executor, options)
        )
    finally:
        if server is not None:
            server.stop()


async def _serve(app: App, executor: CheckExecutor, options: WorkerOptions) -> None:
    from schedules.queue_worker import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app=app, executor=executor, options=options, stop=stop)

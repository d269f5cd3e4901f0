"""`probe web`: the operator review UI on its own (`probe run --web` runs it beside the runner)."""

from __future__ import annotations

import asyncio

import typer

from probe.cli.common import open_engine
from probe.console import console, load_settings

app = typer.Typer(help="The operator review UI.", invoke_without_command=True)


@app.callback(invoke_without_command=True)
def web(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the review UI until interrupted (Ctrl-C)."""
    from probe.web.app import serve

    settings = load_settings()
    engine = open_engine(settings)
    console.print(f"review UI on http://{host}:{port}/ (Ctrl-C stops it)", highlight=False)
    try:
        asyncio.run(serve(settings=settings, engine=engine, host=host, port=port))
    finally:
        engine.dispose()

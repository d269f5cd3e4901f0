"""`probe sandbox`: the whole job in a local region that cannot reach the outside world."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from probe.console import console

if TYPE_CHECKING:
    from probe.sandbox.campaign import Options
    from probe.sandbox.summary import SandboxReport


def sandbox(
    data_dir: Path = typer.Option(
        Path("var/sandbox"), help="Where the database, evidence, export and logs go."
    ),
    speed: float = typer.Option(
        30.0, min=1.0, max=3600.0, help="Campaign seconds per real second while checks run."
    ),
    workers: int = typer.Option(6, min=1, max=16, help="Call-worker processes (3 calls each)."),
    web_port: int | None = typer.Option(
        None,
        min=0,
        max=65535,
        help="Port of the review UI on 127.0.0.1 (default: a free one, printed; 0: no review UI).",
    ),
    serve: bool | None = typer.Option(
        None,
        "--serve/--no-serve",
        help="Keep the review UI up after the run until Ctrl-C (default: when run in a terminal).",
    ),
    timeout: float = typer.Option(1200.0, min=10.0, help="Give up after this many real seconds."),
    world: str = typer.Option(
        "omsk-kcson",
        help="The organisations' behaviours: a bundled name or a YAML file (a subset of them).",
    ),
) -> None:
    """Start mail and SIP servers on loopback playing the 38 Omsk centres as the 2020 protocol
    saw them, run a phone + e-mail campaign on a compressed clock, print what each centre did
    against what it was told to do, write the XLSX protocol and serve the review UI.

    Exits 0 when every centre's recorded outcome matches its behaviour, 1 otherwise."""
    from probe.logs import configure_logging
    from probe.sandbox.campaign import Options

    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "sandbox.log"
    log_file = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
    configure_logging(level="INFO", fmt="json", stream=log_file)
    options = Options(
        data_dir=data_dir,
        speed=speed,
        workers=workers,
        web_port=review_port(web_port),
        timeout=timeout,
        world=world,
    )
    keep_serving = sys.stdin.isatty() if serve is None else serve
    _say(f"sandbox: logs in {log_path}; nothing leaves 127.0.0.1")
    try:
        report = _run_with_progress(options, keep_serving)
    finally:
        log_file.close()
    _print_outcome(report)


def review_port(option: int | None) -> int | None:
    """`--web-port` as the run's Options take it: not given, a free port (0); 0, no review UI
    (None); N, port N."""
    if option is None:
        return 0
    return option or None


def _say(text: str) -> None:
    console.print(text, highlight=False)


def _run_with_progress(options: Options, keep_serving: bool) -> SandboxReport:
    """The run under a progress bar; Ctrl-C and a sandbox error end the command."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from probe.sandbox.run import run_sandbox
    from probe.sandbox.world import SandboxError

    with Progress(
        TextColumn("campaign"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("campaign", total=None, detail="starting servers")

        def progress(counts: dict[str, int], now: datetime) -> None:
            total = sum(counts.values())
            done = counts.get("done", 0) + counts.get("cancelled", 0)
            local = now.astimezone(options.start.tzinfo)
            detail = (
                f"{local:%a %d.%m %H:%M} Omsk · running {counts.get('running', 0)} · "
                f"waiting for replies {counts.get('waiting', 0)}"
            )
            bar.update(task, total=total, completed=done, detail=detail)

        async def main() -> SandboxReport:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            return await run_sandbox(
                options, say=_say, progress=progress, serve_after=keep_serving, stop=stop
            )

        try:
            return asyncio.run(main())
        except KeyboardInterrupt:
            _say("interrupted: every sandbox process was stopped")
            raise typer.Exit(130) from None
        except SandboxError as error:
            console.print(f"[red]error:[/red] {error}", highlight=False)
            raise typer.Exit(2) from None


def _print_outcome(report: SandboxReport) -> None:
    """The summary table, where the files went, and the exit status: 1 on any mismatch."""
    from probe.sandbox.summary import print_summary

    print_summary(report, console)
    _say(
        f"{len(report.rows)} organisations; {report.campaign_days:.1f} campaign days in "
        f"{report.real_seconds:.0f} s; protocol: {report.xlsx}; summary: {report.summary}"
    )
    greetings = report.greetings
    if greetings.get("read"):
        _say(
            f"greetings (columns 7-9): {greetings['matched']} of {greetings['persons']} persons "
            f"proposed as played, {len(greetings['mismatches'])} otherwise, "
            f"{len(greetings['unread'])} not read ({greetings.get('waited_s', 0):.0f} s waited "
            "for the greeting workers after the campaign)"
        )
        for line in greetings["mismatches"] + greetings["unread"]:
            _say(f"  greeting: {line}")
    elif greetings:
        _say(f"greetings (columns 7-9) not read: {greetings.get('reason')}")
    if report.ok:
        _say("every organisation's recorded outcome matches its sandbox behaviour")
        return
    console.print(f"[red]{len(report.mismatches)} mismatches:[/red]", highlight=False)
    for line in report.mismatches:
        _say(f"  {line}")
    raise typer.Exit(1)

"""`probe campaign`: define, plan, start, pause, resume, cancel and watch campaigns."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.table import Table

from probe.cli.common import open_engine
from probe.console import console, fail, print_json
from probe.results import utc_now
from schedules import campaigns as service
from schedules.skips import skip_json
from schedules.spec import CampaignSpecError, load_campaign_file, parse_campaign
from storage.checks import list_campaigns
from storage.engine import session_scope

app = typer.Typer(
    help="Campaigns: which organisations, channels, dates and rules.", no_args_is_help=True
)


@app.command()
def create(
    file: Path | None = typer.Option(None, "--file", "-f", help="Campaign definition (YAML)."),
    name: str | None = typer.Option(None, help="Name (letters, digits, . _ -)."),
    title: str = typer.Option("", help="Title shown in the UI and exports."),
    all_: bool = typer.Option(False, "--all", help="Every active organisation."),
    region: list[str] = typer.Option([], help="Region code(s), e.g. omsk."),
    kind: list[str] = typer.Option([], help="Kind(s), e.g. КЦСОН."),
    channel: list[str] = typer.Option([], help="Channel(s) to probe, by their registered names."),
    start: str | None = typer.Option(None, help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, help="Last day (YYYY-MM-DD)."),
) -> None:
    """Create a campaign from a YAML file or from flags (validated the same way); with a file,
    --name, --start and --end replace the file's."""
    try:
        if file is not None:
            spec = load_campaign_file(file)
            overrides = {"name": name, "start": start, "end": end}
            given = {k: v for k, v in overrides.items() if v is not None}
            if given:
                replaced = spec.model_dump(mode="json", exclude_unset=True) | given
                spec = parse_campaign(replaced, source=f"{file} with {', '.join(given)} replaced")
        else:
            data: dict[str, Any] = {
                "name": name,
                "title": title,
                "channels": channel,
                "start": start,
                "end": end,
                "organisations": {"all": all_, "region": region, "kind": kind},
            }
            spec = parse_campaign({k: v for k, v in data.items() if v is not None}, source="flags")
        campaign = service.create(engine=open_engine(), spec=spec, actor="cli")
    except (CampaignSpecError, service.CampaignError) as error:
        fail(str(error))
    console.print(
        f"created campaign {campaign.name} (draft): `probe campaign start "
        f"{campaign.name}` plans and starts it",
        highlight=False,
        soft_wrap=True,
    )


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """List campaigns."""
    with session_scope(open_engine()) as session:
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "name": c.name,
                "title": c.title,
                "status": c.status,
                "channels": c.channels,
                "historical": c.historical,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
            }
            for c in list_campaigns(session=session)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "status", "channels", "dates", "title")
    for row in rows:
        dates = f"{row['starts_on'] or ''} – {row['ends_on'] or ''}"
        table.add_row(
            str(row["id"]),
            row["name"],
            row["status"],
            ", ".join(row["channels"]),
            dates,
            row["title"],
        )
    console.print(table)


@app.command()
def show(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a campaign's definition and progress."""
    try:
        campaign = service.get(engine=open_engine(), name=name)
        data = service.progress(engine=open_engine(), name=name)
    except service.CampaignError as error:
        fail(str(error))
    data["spec"] = campaign.spec
    if as_json:
        print_json(data)
        return
    console.print(_progress_table(data))


@app.command()
def plan(
    name: str,
    as_json: bool = typer.Option(False, "--json"),
    at: str | None = typer.Option(None, help="Plan as if started at this UTC instant (ISO)."),
) -> None:
    """The schedule the campaign would get if started now; nothing is written."""
    now = _instant(at)
    try:
        spec, result = service.plan(engine=open_engine(), name=name, now=now)
    except service.CampaignError as error:
        fail(str(error))
    attempts: list[dict[str, Any]] = [
        {
            "organisation_id": a.organisation_id,
            "contact_id": a.contact_id,
            "channel": a.channel,
            "planned_at": a.planned_at.isoformat(),
            "reason": a.reason,
        }
        for a in result.attempts
    ]
    skipped = [skip_json(o, r) for o, r in result.skipped]
    if as_json:
        print_json({"campaign": spec.name, "attempts": attempts, "skipped": skipped})
        return
    table = Table("planned at (UTC)", "organisation", "contact", "channel", "why")
    for a in attempts[:200]:
        table.add_row(
            a["planned_at"],
            str(a["organisation_id"]),
            str(a["contact_id"]),
            a["channel"],
            a["reason"],
        )
    console.print(table)
    console.print(f"{len(attempts)} attempt(s), {len(skipped)} organisation(s) skipped")


def _instant(text: str | None) -> Any:
    if text is None:
        return utc_now()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at: not an ISO instant: {text!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _transition(name: str, action: str, at: str | None, as_json: bool) -> None:
    try:
        report = service.transition(
            engine=open_engine(), name=name, action=action, actor="cli", now=_instant(at)
        )
    except service.CampaignError as error:
        fail(str(error))
    if as_json:
        print_json(report)
    else:
        extra = f", {report['planned']} check(s) planned" if "planned" in report else ""
        console.print(f"campaign {name}: {report['status']}{extra}", highlight=False)


@app.command()
def start(
    name: str,
    at: str | None = typer.Option(None, help="Start as if at this UTC instant (ISO)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Plan the first attempts and start the campaign (`probe run` executes them)."""
    _transition(name, "start", at, as_json)


@app.command()
def pause(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Pause: nothing new starts; checks in flight finish."""
    _transition(name, "pause", None, as_json)


@app.command()
def resume(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Resume a paused campaign."""
    _transition(name, "resume", None, as_json)


@app.command()
def cancel(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Cancel: planned checks are cancelled, results kept."""
    _transition(name, "cancel", None, as_json)


@app.command()
def status(
    name: str,
    watch: bool = typer.Option(False, "--watch", help="Refresh until the campaign ends."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Progress: done / in flight / waiting / planned, and outcomes per channel."""
    engine = open_engine()
    try:
        data = service.progress(engine=engine, name=name)
    except service.CampaignError as error:
        fail(str(error))
    if as_json:
        print_json(data)
        return
    if not watch:
        console.print(_progress_table(data))
        return
    with Live(_progress_table(data), console=console, refresh_per_second=2) as live:
        while data["status"] in {"running", "paused", "draft"}:
            time.sleep(1)
            data = service.progress(engine=engine, name=name)
            live.update(_progress_table(data))


def _progress_table(data: dict[str, Any]) -> Table:
    statuses = data["by_status"]
    table = Table(title=f"{data['campaign']} — {data['status']}")
    for column in ("done", "running", "waiting", "planned", "cancelled", "total"):
        table.add_column(column)
    table.add_row(
        *(str(statuses.get(c, 0)) for c in ("done", "running", "waiting", "planned", "cancelled")),
        str(data["total"]),
    )
    for channel, outcomes in sorted(data["by_outcome"].items()):
        table.caption = (
            (table.caption or "")
            + f"{channel}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            + "  "
        )
    greetings = data.get("greetings")
    if greetings:
        table.caption = (table.caption or "") + (
            f"greetings (columns 7-9): {greetings['done']} proposed, "
            f"{greetings['waiting'] + greetings['running']} waiting, "
            f"{greetings['failed']} failed, {greetings['no_speech']} without speech"
        )
    return table

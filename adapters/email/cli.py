"""`probe check email ADDRESS [--wait SECONDS] [--template NAME] --json`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer
from email_validator import EmailNotValidError, validate_email

from adapters.email.config import Config
from adapters.email.oneshot import probe_and_wait
from adapters.email.templates import TEMPLATES
from probe.errors import ProbeError


def register(app: typer.Typer) -> None:
    app.command("email")(check_email)


def check_email(
    address: str = typer.Argument(..., help="The e-mail address to write to."),
    wait: float = typer.Option(
        0.0, "--wait", min=0, help="Seconds to wait for a reply or a bounce (0: only send)."
    ),
    template: str = typer.Option(
        "benefits", "--template", help=f"The letter to send: {', '.join(sorted(TEMPLATES))}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Send one probe e-mail now and optionally wait for its reply or bounce."""
    from probe.console import fail, load_settings, print_json

    try:
        # test_environment: the sandbox's own domains (*.test) are addresses too.
        validate_email(address.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        fail(f"not an e-mail address: {address!r}")
    if template not in TEMPLATES:
        fail(f"unknown template {template!r}; one of: {', '.join(sorted(TEMPLATES))}")
    settings = load_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    options = Config(template=template).model_dump(mode="json")
    try:
        shot = asyncio.run(
            probe_and_wait(
                settings=settings,
                address=address.strip(),
                wait=wait,
                options=options,
                evidence_dir=settings.data_dir / "adhoc" / stamp,
            )
        )
    except ProbeError as error:
        fail(f"{error.error_class}: {error}")
    if as_json:
        print_json(shot.as_json())
        return
    result = shot.result
    typer.echo(f"outcome: {shot.outcome}")
    typer.echo(f"message-id: {result.details.get('message_id')}")
    if result.error_class:
        typer.echo(f"error: {result.error_class}: {result.error_detail}")
    if shot.reply:
        typer.echo(f"reply: {shot.reply['kind']} after {shot.reply['latency_hours']} h")

"""The `probe` console script."""

from __future__ import annotations

import typer

from probe import __version__
from probe.channels import cli_groups
from probe.cli import campaign, check, db, directory
from probe.cli import run as run_cli
from probe.cli import user as user_cli
from probe.cli import web as web_cli
from probe.cli import worker as worker_cli
from probe.cli.common import setup_logging
from probe.cli.export import export as export_command
from probe.cli.health import health as health_command
from probe.cli.history import app as history_app
from probe.cli.sandbox import sandbox as sandbox_command
from probe.console import console, load_settings

app = typer.Typer(
    name="probe",
    help="Automated contact-availability prober: phone and e-mail checks of organisations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
app.add_typer(db.app, name="db")
app.add_typer(directory.app, name="directory")
app.add_typer(check.app, name="check")
app.add_typer(campaign.app, name="campaign")
app.command("run")(run_cli.run)
app.command("worker")(worker_cli.worker)
app.command("health")(health_command)
app.add_typer(user_cli.app, name="user")
app.add_typer(web_cli.app, name="web")
app.command("export")(export_command)
app.add_typer(history_app, name="history")
app.command("sandbox")(sandbox_command)


def _add_channel_groups() -> None:
    """The command groups channels bring (`probe mail`), found through the registry."""
    for name, parts in sorted(cli_groups().items()):
        if name == "check":  # probe.cli.check's own group
            continue
        group = typer.Typer(help=parts[0].help, no_args_is_help=True)
        for part in parts:
            part.register(group)
        app.add_typer(group, name=name)


_add_channel_groups()


@app.callback()
def main() -> None:
    """Settings come from PROBE_* variables, PROBE_CONFIG (a TOML file) and PROBE_SECRETS_DIR."""
    setup_logging(load_settings())


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


if __name__ == "__main__":
    app()

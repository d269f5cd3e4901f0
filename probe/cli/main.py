"""The `probe` console script."""

from __future__ import annotations

import typer

from probe import __version__
from probe.cli import campaign, check, db, directory
from probe.cli import run as run_cli
from probe.cli.common import console, load_settings, setup_logging

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

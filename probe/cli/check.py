"""`probe check <channel> TARGET`: one probe, now, printed as JSON.

Each channel contributes its own command: its spec's `cli["check"]` adds it to this group,
found through the registry, so this file never names a channel.
"""

from __future__ import annotations

import typer

from probe.channels import cli_groups

app = typer.Typer(
    help="Probe one contact now (a call or an e-mail), outside any campaign.", no_args_is_help=True
)


def _register_channel_commands() -> None:
    for group in cli_groups().get("check", []):
        group.register(app)


_register_channel_commands()

"""`probe check <channel> TARGET`: one probe, now, printed as JSON.

Each channel contributes its own command: a plugin may define `register_cli(app)`, called here
through the registry, so this file never names a channel.
"""

from __future__ import annotations

import typer

from probe.channels import available_channels, get_channel

app = typer.Typer(
    help="Probe one contact now (a call or an e-mail), outside any campaign.", no_args_is_help=True
)


def _register_channel_commands() -> None:
    for name in available_channels():
        plugin = get_channel(name)
        register = getattr(plugin, "register_cli", None)
        if register is not None:
            register(app)


_register_channel_commands()

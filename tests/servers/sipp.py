"""The phone tests' side of SIPp: tool checks and one call through the plugin.

SIPp itself and the generated audio live in the product (probe/sandbox/sipp.py): the sandbox
plays the organisations with them too."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import structlog

from adapters.sip.config import SipSettings
from adapters.sip.plugin import PhonePlugin
from probe.channels import ProbeContext, ProbeTarget
from probe.results import CheckResult
from probe.sandbox.net import free_udp_port
from probe.sandbox.sipp import Audio, Sipp, make_audio, seconds_of_ulaw
from probe.scoring.names import Channel
from probe.settings import Settings

__all__ = [
    "Audio",
    "Sipp",
    "free_udp_port",
    "make_audio",
    "phone_settings",
    "place",
    "require_tools",
    "seconds_of_ulaw",
]

# -- helpers for the tests (their fixtures are in tests/servers/sipp_fixtures.py) ---------------

_check_ids = itertools.count(1)


def require_tools() -> None:
    missing = [t for t in ("sipp", "espeak-ng", "sox") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `scripts/setup.sh --test`")


def phone_settings(data_dir: Path, **sip: Any) -> Settings:
    return Settings(data_dir=data_dir, network="loopback", sip=SipSettings(**sip))


# The `dial` fixture: starts an organisation's SIPp, places one check to it and returns it.
Dial = Callable[..., Awaitable[CheckResult]]


async def place(
    plugin: PhonePlugin,
    settings: Settings,
    evidence_dir: Path,
    *,
    value: str = "+73812000000",
    extension: str | None = None,
    **options: Any,
) -> CheckResult:
    """One check through the plugin, as the campaign runner makes it (prompt off unless given)."""
    options.setdefault("prompt", "none")
    target = ProbeTarget(
        check_id=next(_check_ids),
        channel=Channel.PHONE,
        value=value,
        extension=extension,
        options=options,
    )
    context = ProbeContext(settings=settings, evidence_dir=evidence_dir, log=structlog.get_logger())
    return await plugin.probe(target, context)

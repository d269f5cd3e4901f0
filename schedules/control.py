"""The control probe: a known-good number (or mailbox) tells our outage from theirs.

When a streak of failures (or of suspect outcomes) is full on a channel, schedules/outage.py
asks for a control probe instead of pausing at once. The runner that stored the last result
places it here, through the channel's own plugin (the same trunk, the same SMTP account), and
hands the result to `outage.control_verdict`: failed too, our outage (pause, alert, the suspect
checks are not charged to the organisations); it worked, the organisations' results stand.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import structlog

from probe.channels import ProbeContext, ProbeTarget, channel_spec, get_channel
from probe.results import CheckResult
from probe.runner import failure_result, with_relative_evidence
from probe.settings import Settings

log = structlog.get_logger()


def control_target(channel: str, settings: Settings) -> str | None:
    """The configured control target of a channel (None: no control probe, pause at once)."""
    read = channel_spec(channel).control_target
    return read(settings) if read is not None else None


async def place_control(
    channel: str,
    target: str,
    *,
    settings: Settings,
    options: dict[str, Any],
    timeout: float,
) -> CheckResult:
    """One control probe; every failure (a timeout, a bug) comes back as a failed result."""
    options = dict(options)
    if target.startswith(("sip:", "sips:")):
        options["sip_uri"] = target
    probe_target = ProbeTarget(check_id=0, channel=channel, value=target, options=options)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    context = ProbeContext(
        settings=settings,
        evidence_dir=settings.data_dir / "evidence" / "control" / channel / stamp,
        log=log.bind(channel=channel, control=True),
    )
    try:
        result = await asyncio.wait_for(
            get_channel(channel).probe(probe_target, context), timeout=timeout
        )
    except TimeoutError:
        result = failure_result(
            channel, error_class="timeout", detail=f"no result in {timeout:g} s"
        )
    except Exception as error:
        result = failure_result(
            channel, error_class=f"internal:{type(error).__name__}", detail=str(error)
        )
    # Stored like every check's evidence: relative to the data folder, so a copied or moved
    # data folder still finds the control probe's recording or message.
    result = with_relative_evidence(result, settings.data_dir)
    log.info(
        "control probe finished",
        channel=channel,
        outcome=result.outcome if result.outcome else "accepted",
        error_class=result.error_class,
    )
    return result

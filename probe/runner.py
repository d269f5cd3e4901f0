"""Running one check: the channel's probe under a time limit, every failure made an outcome.

The runner knows no channel. It finds the plugin through the registry, hands it a ProbeTarget,
and whatever happens — a result, an error of ours, a bug, a hang — comes back as a CheckResult.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import structlog

from probe.channels import ChannelPlugin, ProbeContext, ProbeTarget, our_failure_outcome
from probe.errors import ProbeError
from probe.results import CheckResult, evidence_path_in, utc_now
from probe.settings import Settings


def evidence_dir(settings: Settings, check_id: int) -> Path:
    # Spread over sub-folders so no folder holds millions of entries.
    return settings.data_dir / "evidence" / f"{check_id // 1000:06d}" / str(check_id)


def failure_result(
    channel: str, *, error_class: str, detail: str, started_at: datetime | None = None
) -> CheckResult:
    now = utc_now()
    return CheckResult(
        channel=channel,
        outcome=our_failure_outcome(channel),  # the one the channel declares
        started_at=started_at or now,
        finished_at=now,
        error_class=error_class,
        error_detail=detail,
    )


async def run_probe(
    plugin: ChannelPlugin,
    target: ProbeTarget,
    *,
    settings: Settings,
    timeout: float,
) -> CheckResult:
    log = structlog.get_logger().bind(
        check_id=target.check_id, campaign_id=target.campaign_id, channel=str(target.channel)
    )
    directory = evidence_dir(settings, target.check_id)
    context = ProbeContext(settings=settings, evidence_dir=directory, log=log)
    started = utc_now()
    try:
        result = await asyncio.wait_for(plugin.probe(target, context), timeout=timeout)
    except TimeoutError:
        log.warning("probe timed out", timeout_s=timeout)
        return failure_result(
            target.channel,
            error_class="timeout",
            detail=f"no result in {timeout:g} s",
            started_at=started,
        )
    except ProbeError as error:
        log.warning("probe failed", error_class=error.error_class, error=str(error))
        return failure_result(
            target.channel, error_class=error.error_class, detail=str(error), started_at=started
        )
    except Exception as error:  # a bug in a channel must not stop the campaign
        log.exception("probe crashed")
        return failure_result(
            target.channel,
            error_class=f"internal:{type(error).__name__}",
            detail=str(error),
            started_at=started,
        )
    if result.channel != target.channel:
        return failure_result(
            target.channel,
            error_class="internal:wrong_channel",
            detail=f"channel {target.channel} returned a {result.channel} result",
            started_at=started,
        )
    log.info("probe finished", outcome=result.outcome, pending=result.pending)
    return with_relative_evidence(result, settings.data_dir)


def with_relative_evidence(result: CheckResult, data_dir: Path) -> CheckResult:
    """The result with its evidence paths relative to the data folder, as they are stored."""
    evidence = [
        ref.model_copy(update={"path": evidence_path_in(data_dir, ref.path)})
        for ref in result.evidence
    ]
    return result.model_copy(update={"evidence": evidence})

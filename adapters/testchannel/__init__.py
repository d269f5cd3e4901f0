"""The test-only channel: every "probe" is a request to a separate peer process that logs it.

It exists so the engine, campaigns and scale-out can be tested end to end before and beside the
real channels, with an independent record of what was executed (the peer's log, not our
database). The peer plays the organisation: it answers with scripted outcomes.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from probe.channels import (
    ChannelSpec,
    Concurrency,
    ContactKind,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    RateLimit,
    RetryRule,
)
from probe.errors import OurSideError
from probe.netguard import ensure_destination_allowed
from probe.policies import CampaignSection, OnePerOrganisationPolicy
from probe.results import CheckResult, utc_now

# The channel a test peer plays (tests/ and the sandbox name it).
CHANNEL = "test"


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peer: str = Field(pattern=r"^[^:]+:\d+$")  # host:port of the peer process
    timeout_seconds: float = Field(30.0, gt=0)


async def _ask(config: Config, request: dict[str, Any], *, network: str) -> dict[str, Any]:
    host, _, port = config.peer.rpartition(":")
    ensure_destination_allowed(host, network=network)
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
    except OSError as error:
        raise OurSideError(
            f"test peer {config.peer} unreachable: {error}", error_class="peer_unreachable"
        ) from error
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=config.timeout_seconds)
    finally:
        writer.close()
    if not line:
        raise OurSideError("test peer closed the connection", error_class="peer_closed")
    reply: dict[str, Any] = json.loads(line)
    return reply


def _result(reply: dict[str, Any]) -> CheckResult:
    started = reply.get("started_at")
    finished = reply.get("finished_at")
    return CheckResult(
        channel=CHANNEL,
        outcome=str(reply["outcome"]),
        started_at=datetime.fromtimestamp(started, UTC) if started else utc_now(),
        finished_at=datetime.fromtimestamp(finished, UTC) if finished else utc_now(),
        timings_ms={"duration": reply.get("duration_ms", 0.0)},
        details={"peer_execution": reply.get("execution")},
    )


# The peer may answer with any outcome of the real channels, with the same meaning.
_OUTCOMES = (
    OutcomeSpec(
        "connected",
        "соединение",
        success=True,
        judgements=("etiquette", "transfers", "grade"),
        also_judged=("call_note",),
    ),
    OutcomeSpec("busy", "занято", verdict=True),
    OutcomeSpec("no_answer", "не отвечает", verdict=True),
    OutcomeSpec("unavailable", "номер недоступен", verdict=True, suspect=True),
    OutcomeSpec("rejected", "вызов отклонён", verdict=True),
    OutcomeSpec("answering_machine", "автоответчик", verdict=True),
    OutcomeSpec("failed", "сбой (наша сторона)", ours=True),  # first of ours: the runner's
    OutcomeSpec("replied", "ответили", success=True, judgements=("grade",)),
    OutcomeSpec("auto_replied", "автоответ"),
    OutcomeSpec("bounced", "письмо не доставлено", verdict=True),
    OutcomeSpec("no_reply", "нет ответа на письмо", verdict=True),
    OutcomeSpec("send_failed", "сбой отправки (наша сторона)", ours=True),
)


class PeerCalls(OnePerOrganisationPolicy):
    """The peer plays calls: it reads the campaign's `calls` section as the phone does (the
    section's model then has both channels' models as bases), with the fields its rules name."""

    busy_retry_minutes: tuple[int, int] = (10, 20)
    no_answer_retry_minutes: int = Field(120, ge=1)
    answering_machine_retry: bool = True
    rejected_retry_minutes: tuple[int, int] | None = (10, 20)


# As the phone's: the campaign's `calls` section changes the minutes.
_LATER = "{outcome}: retry in {minutes} min, or the next working day"

SPEC = ChannelSpec(
    name=CHANNEL,
    label="тест",
    backend="peer",
    outcomes=_OUTCOMES,
    config_model=Config,
    timeout_seconds=120.0,
    concurrency=Concurrency.ONE_PER_ORGANISATION,
    # As the trunk's: limits.calls_in_parallel (4 by default).
    rate_limit=RateLimit(in_parallel=4, in_parallel_key="calls_in_parallel"),
    campaign=CampaignSection("calls", PeerCalls),
    contact_kinds=(ContactKind("test", "тестовый контакт"),),
    # The calls' rules: the peer plays calls.
    retry=(
        RetryRule(
            "busy",
            minutes=(10, 20),
            next_contact=True,
            campaign_minutes="busy_retry_minutes",
        ),
        RetryRule(
            "rejected",
            minutes=(10, 20),
            next_contact=True,
            campaign_minutes="rejected_retry_minutes",
            reason="rejected (call dropped): retry in {minutes:.0f} min",
        ),
        RetryRule(
            "no_answer",
            minutes=(120, 120),
            next_contact=True,
            campaign_minutes="no_answer_retry_minutes",
            reason=_LATER,
        ),
        RetryRule(
            "answering_machine",
            minutes=(120, 120),
            next_contact=True,
            campaign_minutes="no_answer_retry_minutes",
            campaign_switch="answering_machine_retry",
            reason=_LATER,
        ),
    ),
    resolves_in_flight=True,
    listed=False,
)


class TestChannel:
    spec = SPEC
    name = CHANNEL
    config_model = Config

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        config = Config.model_validate(target.options)
        reply = await _ask(
            config,
            {
                "op": "execute",
                "check_id": target.check_id,
                "organisation_id": target.organisation_id,
                "value": target.value,
                "attempt": target.attempt,
            },
            network=context.settings.network,
        )
        return _result(reply)

    async def resolve_in_flight(
        self, target: ProbeTarget, context: ProbeContext
    ) -> CheckResult | None:
        """Ask the peer: done (its result), still running (wait), or never seen (None)."""
        config = Config.model_validate(target.options)
        reply = await _ask(
            config,
            {"op": "status", "check_id": target.check_id, "wait": True},
            network=context.settings.network,
        )
        if reply.get("state") == "unknown":
            return None
        return _result(reply)


plugin = TestChannel()

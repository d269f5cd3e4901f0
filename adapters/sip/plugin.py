"""The phone channel: `probe(target, context)` places one call and returns its CheckResult."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.sip.campaign import SECTION
from adapters.sip.config import Config, SipSettings, config_error_message
from adapters.sip.dialplan import DialPlanError, request_uri, uri_host
from adapters.sip.evidence import RECORDING_NAME, TRACE_NAME, TraceWriter, collect
from adapters.sip.greeting.settings import SpeechSettings
from adapters.sip.names import CHANNEL, Outcome
from adapters.sip.pool import CallPool, WorkerFailed, WorkerSettings
from adapters.sip.prompt import default_prompt
from adapters.sip.result import CallPlan, build
from probe.channels import (
    ChannelSpec,
    CliGroup,
    Concurrency,
    ContactKind,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    RateLimit,
    RetryRule,
    SettingsSection,
)
from probe.errors import ProbeError
from probe.netguard import ensure_destination_allowed
from probe.results import CheckResult, utc_now
from probe.settings import Settings

_DTMF = re.compile(r"^[0-9*#A-Da-d]{1,32}$")
# Past ring timeout + listening time, the pool hangs up; this is the margin for set-up.
LIMIT_MARGIN = 20.0


def worker_settings(settings: Settings) -> WorkerSettings:
    sip = settings.sip
    return WorkerSettings(
        transport=sip.transport,
        # In loopback mode the SIP and RTP sockets bind to loopback too: nothing listens outside.
        bind="127.0.0.1" if settings.network == "loopback" else "0.0.0.0",
        network=settings.network,
        registrar=sip.registrar,
        username=sip.username,
        password=sip.password.get_secret_value() if sip.password else None,
        caller_id=sip.caller_id,
        outbound_proxy=sip.outbound_proxy,
        registration_seconds=sip.registration_seconds,
        registration_retry_seconds=sip.registration_retry_seconds,
    )


def failed(
    error_class: str,
    detail: str,
    *,
    started_at: datetime,
    retry: bool = False,
    details: dict[str, Any] | None = None,
    evidence_dir: Path | None = None,
) -> CheckResult:
    return CheckResult(
        channel=CHANNEL,
        outcome=Outcome.FAILED,
        started_at=started_at,
        finished_at=utc_now(),
        error_class=error_class,
        error_detail=detail,
        details={**(details or {}), **({"retry": True} if retry else {})},
        evidence=collect(evidence_dir) if evidence_dir is not None else [],
    )


_JUDGED = ("etiquette", "transfers", "grade")  # Protocol 6 table 1, columns 7-16


def _control_target(settings: Settings) -> str | None:
    return settings.sip.control_target


def _register_analyse(app: Any) -> None:
    from adapters.sip.greeting.cli import register

    register(app)


def _services(*, engine: Any, settings: Settings, stop: asyncio.Event, **_: Any) -> list[Any]:
    """The greeting workers (issue 18): they read the recorded greetings off the call path."""
    from adapters.sip.greetwork.worker import service

    return [service(engine=engine, settings=settings, stop=stop)]


def _register_check(app: Any) -> None:
    from adapters.sip.cli import register

    register(app, plugin_instance())


# The campaign's `calls` section changes the minutes (adapters.sip.campaign.CallPolicy).
_LATER = "{outcome}: retry in {minutes} min, or the next working day"

SPEC = ChannelSpec(
    name=CHANNEL,
    label="телефон",
    backend="sip",
    outcomes=(
        OutcomeSpec(
            Outcome.CONNECTED,
            "соединение",
            success=True,
            judgements=_JUDGED,
            also_judged=("call_note",),
        ),
        OutcomeSpec(Outcome.BUSY, "занято", verdict=True),
        OutcomeSpec(Outcome.NO_ANSWER, "не отвечает", verdict=True),
        OutcomeSpec(Outcome.UNAVAILABLE, "номер недоступен", verdict=True, suspect=True),
        OutcomeSpec(Outcome.REJECTED, "вызов отклонён", verdict=True),
        OutcomeSpec(Outcome.ANSWERING_MACHINE, "автоответчик", verdict=True),
        OutcomeSpec(Outcome.FAILED, "сбой (наша сторона)", ours=True),
    ),
    config_model=Config,
    timeout_seconds=11 * 60.0,  # a call lasts at most 10 minutes (seed 001), plus set-up
    concurrency=Concurrency.ONE_PER_ORGANISATION,
    # speech: the greeting's transcription (adapters/sip/greeting, docs/greeting.md).
    settings=(SettingsSection("sip", SipSettings), SettingsSection("speech", SpeechSettings)),
    # limits.calls_in_parallel: the trunk's channels
    rate_limit=RateLimit(
        in_parallel=4,
        per_organisation_per_day=4,
        quiet_minutes=3,
        in_parallel_key="calls_in_parallel",
    ),
    contact_kinds=(ContactKind("phone", "номер телефона", example="8 (3812) 00-00-00"),),
    retry=(
        RetryRule(
            Outcome.BUSY,
            minutes=(10, 20),
            next_contact=True,
            campaign_minutes="busy_retry_minutes",
        ),
        RetryRule(
            Outcome.NO_ANSWER,
            minutes=(120, 120),
            next_contact=True,
            campaign_minutes="no_answer_retry_minutes",
            reason=_LATER,
        ),
        RetryRule(Outcome.UNAVAILABLE, next_contact=True),
        RetryRule(
            Outcome.REJECTED,
            minutes=(10, 20),
            next_contact=True,
            campaign_minutes="rejected_retry_minutes",
            reason="rejected (call dropped): retry in {minutes:.0f} min",
        ),
        RetryRule(
            Outcome.ANSWERING_MACHINE,
            minutes=(120, 120),
            next_contact=True,
            campaign_minutes="no_answer_retry_minutes",
            campaign_switch="answering_machine_retry",
            reason=_LATER,
        ),
        RetryRule(Outcome.FAILED, minutes=(5, 5)),
    ),
    control_target=_control_target,
    protocol_columns=("protocol6.table1", "protocol5.table1.phone"),
    cli={
        "check": CliGroup(_register_check),
        "analyse": CliGroup(_register_analyse, help="Analyse recordings: a greeting's etiquette."),
    },
    services=_services,
    resolves_in_flight=True,
    campaign=SECTION,
)


def plugin_instance() -> PhonePlugin:
    from adapters.sip import plugin

    return plugin


class PhonePlugin:
    spec = SPEC
    name = CHANNEL
    config_model = Config

    def __init__(self) -> None:
        self._pools: dict[tuple[WorkerSettings, int, Path], CallPool] = {}
        self._lock = threading.Lock()
        atexit.register(self.close_all)

    # -- the pool ----------------------------------------------------------------------------

    def pool(self, settings: Settings) -> CallPool:
        key = (worker_settings(settings), settings.sip.workers, settings.data_dir)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None or pool.closed:
                pool = CallPool(key[0], workers=key[1], log_dir=settings.data_dir / "logs")
                self._pools[key] = pool
            return pool

    def close_all(self) -> dict[int, int | None]:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        codes: dict[int, int | None] = {}
        for pool in pools:
            codes.update(pool.close())
        return codes

    def services(
        self, *, engine: Any, settings: Settings, stop: asyncio.Event, **_: Any
    ) -> list[Any]:
        return _services(engine=engine, settings=settings, stop=stop)

    async def run_services(self, *, settings: Settings, stop: asyncio.Event, **_: Any) -> None:
        """For the campaign runner: workers warm while it runs, shut down cleanly when it stops."""
        pool = self.pool(settings)
        # A failure (sip_registration) is reported by each call, and a later call retries.
        with contextlib.suppress(WorkerFailed):
            await asyncio.to_thread(pool.start_all)
        try:
            await stop.wait()
        finally:
            await pool.aclose()

    # -- one check ---------------------------------------------------------------------------

    def plan(self, target: ProbeTarget, context: ProbeContext) -> CallPlan:
        """Validate everything before a call is placed; raises ValueError or ProbeError."""
        config = Config.model_validate(target.options)
        settings = context.settings
        route = settings.sip.routes.get(
            f"{target.value};ext={target.extension}" if target.extension else target.value
        ) or settings.sip.routes.get(target.value)
        if config.sip_uri:
            uri = config.sip_uri
        elif route:
            uri = route[min(max(target.attempt, 1), len(route)) - 1]
        else:
            template = config.dial_plan or settings.sip.dial_plan
            uri = request_uri(template, e164=target.value, trunk=settings.sip.registrar)
        if settings.sip.transport != "udp" and "transport=" not in uri:
            uri += f";transport={settings.sip.transport}"
        hosts = [uri_host(uri)] + [
            uri_host(h) for h in (settings.sip.registrar, settings.sip.outbound_proxy) if h
        ]
        for host in hosts:
            ensure_destination_allowed(host, network=settings.network)
        extension = (target.extension or "").strip() or None
        if extension is not None and not _DTMF.match(extension):
            raise DialPlanError(f"the extension must be DTMF digits (0-9 * # A-D): {extension!r}")
        prompt: Path | None = None
        if config.prompt == "default":
            prompt = default_prompt(settings.data_dir / "prompts")
        elif config.prompt != "none":
            prompt = Path(config.prompt)
        dialled = target.value + (f" доб. {extension}" if extension else "")
        return CallPlan(uri, prompt, extension, config, context.evidence_dir, dialled)

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        started = utc_now()
        try:
            plan = self.plan(target, context)
        except ValidationError as error:
            return failed("bad_phone_options", config_error_message(error), started_at=started)
        except DialPlanError as error:
            return failed("bad_phone_target", str(error), started_at=started)
        except ProbeError as error:
            return failed(error.error_class, str(error), started_at=started)
        return await self._call(plan, context, started)

    async def _call(self, plan: CallPlan, context: ProbeContext, started: datetime) -> CheckResult:
        directory = plan.evidence_dir
        directory.mkdir(parents=True, exist_ok=True)
        config = plan.config
        spec = {
            "uri": plan.uri,
            "ring_timeout": config.ring_timeout_seconds,
            "listen": config.listen_seconds,
            "record": str(directory / RECORDING_NAME) if config.record else None,
            "prompt": str(plan.prompt) if plan.prompt else None,
            "prompt_wait": config.prompt_wait_seconds,
            "dtmf": plan.dtmf,
            "dtmf_delay": config.dtmf_delay_seconds,
            "max_redirects": config.max_redirects,
        }
        trace = TraceWriter(directory / TRACE_NAME)
        limit = config.ring_timeout_seconds + config.listen_seconds + LIMIT_MARGIN
        try:
            record = await self.pool(context.settings).call(spec, limit=limit, on_event=trace)
        except WorkerFailed as error:
            for event in error.trace:
                trace(event)
            return failed(
                error.error_class,
                str(error),
                started_at=started,
                retry=True,
                details={"request_uri": plan.uri},
                evidence_dir=directory,
            )
        context.log.info("call finished", uri=plan.uri, job=record.job_id)
        return build(record, plan, started_at=started)

    async def resolve_in_flight(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        """After a crash of the runner its workers are gone too: the call ended unobserved.

        What the trace had recorded by then stays as evidence; the check is retried."""
        now = utc_now()
        return failed(
            "crashed_in_flight",
            "the prober stopped during this call; its outcome is unknown",
            started_at=now,
            retry=True,
            evidence_dir=context.evidence_dir,
        )

"""The executor: one claimed check, run through its channel plugin.

Shared by the in-process runner (schedules/daemon.py) and the queue workers
(schedules/queue_worker.py): what a claimed check needs to run (`Job`), the probe itself with
its timeout and metrics (`run_check`), and, for a check found in flight after a crash, the
channel's own answer about what happened (`ask_in_flight`). Storing the result is the caller's
(schedules/completion.py).
"""

from __future__ import annotations

import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe import metrics
from probe.channels import UNKNOWN_OUTCOME, ChannelPlugin, ProbeContext, ProbeTarget, get_channel
from probe.clock import Clock
from probe.results import CheckResult
from probe.runner import evidence_dir, run_probe
from probe.settings import Settings
from schedules.outage import OutagePolicy
from schedules.spec import CampaignSpec
from storage.models import Check, Contact, Organisation

log = structlog.get_logger()


@dataclass
class Runtime:
    """What every step of running a check needs: where to store, the settings, whose clock,
    and who this worker is (its claims, its audit rows)."""

    engine: Engine
    settings: Settings
    clock: Clock
    worker_id: str
    outage: OutagePolicy
    lease: timedelta = timedelta(minutes=15)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def actor(self) -> str:
        return f"runner:{self.worker_id}"

    @property
    def log(self) -> Any:
        return log.bind(worker=self.worker_id)


@dataclass
class Job:
    """A claimed check, with everything its probe needs."""

    check_id: int
    campaign_id: int
    organisation_id: int
    channel: str
    spec: CampaignSpec
    target: ProbeTarget


def make_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_orphan(
    claimed_by: str | None, claimed_until: datetime | None, *, me: str, now: datetime
) -> bool:
    """Whether a running check's worker is gone (this host: its process; any host: its lease)."""
    if claimed_by is None or claimed_by == me:
        return claimed_by is None
    if claimed_until is not None and claimed_until < now:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        return pid == os.getpid() or not _pid_alive(pid)
    return False


def load_job(session: Session, check: Check, spec: CampaignSpec) -> Job:
    """The job of a check being claimed (in the claiming transaction)."""
    assert check.id is not None and check.campaign_id is not None
    contact = session.get(Contact, check.contact_id)
    org = session.get(Organisation, check.organisation_id)
    assert contact is not None and org is not None and contact.value is not None
    target = ProbeTarget(
        check_id=check.id,
        channel=check.channel,
        value=contact.value,
        extension=contact.extension,
        organisation_id=org.id,
        organisation_name=org.name,
        timezone=org.timezone,
        campaign_id=check.campaign_id,
        attempt=check.attempt,
        options=dict(spec.options.get(check.channel, {})),
    )
    return Job(check.id, check.campaign_id, check.organisation_id, check.channel, spec, target)


async def run_check(job: Job, settings: Settings) -> CheckResult:
    """The probe, within its channel's time limit; counted where it ran."""
    started = time.perf_counter()
    plugin = get_channel(job.channel)
    result = await run_probe(
        plugin, job.target, settings=settings, timeout=plugin.spec.timeout_seconds
    )
    metrics.observe_result(result, time.perf_counter() - started)
    return result


async def ask_in_flight(rt: Runtime, job: Job) -> CheckResult | None:
    """A check found in flight after a crash: its channel says what happened (a result), or
    that it never happened (None: run it again); what nobody can tell is `unknown`, retried."""
    plugin: ChannelPlugin = get_channel(job.channel)
    resolver = getattr(plugin, "resolve_in_flight", None)
    try:
        if resolver is None:
            raise LookupError("the channel cannot tell what happened")
        context = ProbeContext(
            settings=rt.settings,
            evidence_dir=evidence_dir(rt.settings, job.check_id),
            log=rt.log.bind(check_id=job.check_id),
        )
        result: CheckResult | None = await resolver(job.target, context)
        return result
    except Exception as error:
        now = rt.clock.now()
        return CheckResult(
            channel=job.channel,
            outcome=UNKNOWN_OUTCOME,
            started_at=now,
            finished_at=now,
            error_class="crashed_in_flight",
            error_detail=f"outcome unknown after a crash ({error}); retried",
            details={"retry": True},
        )

"""An outage on our side pauses a channel instead of marking organisations unreachable.

When the last `threshold` results on a channel are all failures of ours (trunk down, SMTP auth
refused, test peer unreachable), dispatch on that channel stops for a pause that doubles while
the failures go on (up to `max_pause`). The pause is an audit-log row (action "alert", entity
"channel") that every runner and worker reads, so it holds across machines, and the UI shows
it; the first result that is not our failure writes "alert_cleared". The failed checks keep the
policy's own retry, which never counts against the organisation.

A control target (`PROBE_SIP__CONTROL_TARGET`, `PROBE_SMTP__CONTROL_ADDRESS`) tells our
failure from theirs: when a streak is full, `record_outcome` does not pause at once but asks
for a control probe (`ControlNeeded`, a `control_call` row); the runner places it
(schedules/control.py) and `control_verdict` decides: the control failed too, our outage
(pause and alert); it worked, the results stand and the streak starts again. A streak of
"suspect" outcomes (`unavailable` by default, off unless `suspect_streak` is set) asks for a
control too: when that fails, the suspect checks were our outage, never the organisations'.
The thresholds are settings (`PROBE_OUTAGE__*`, probe/settings.py OutageSettings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlmodel import Session

from probe import metrics
from probe.channels import UNKNOWN_OUTCOME, channel_failure_outcomes, outcomes_where
from probe.channels import suspect_outcomes as declared_suspects
from probe.results import CheckResult
from probe.settings import OutageSettings
from storage import runs
from storage.audit import write_audit
from storage.models import AuditLog

log = structlog.get_logger()

ALERT = "alert"
CLEARED = "alert_cleared"
CONTROL = "control_call"  # a control probe is being placed (after: target, trigger, checks)
CONTROL_RESULT = "control_result"  # its verdict (after: verdict "ours" or "theirs", outcome)
# A control probe without a result after this long is forgotten (its runner died).
CONTROL_STALE = timedelta(minutes=15)
ENTITY = "channel"
_OUTAGE_LOCK = 0x70726F62  # any constant: serialises alert writing across workers


@dataclass(frozen=True)
class OutagePolicy:
    threshold: int = 5  # consecutive failures of ours on a channel
    first_pause: timedelta = timedelta(minutes=1)
    max_pause: timedelta = timedelta(minutes=15)
    suspect_streak: int = 0  # 0: suspect outcomes never ask for a control probe
    # None from the settings: the outcomes the channels declare suspect.
    suspect_outcomes: frozenset[str] = field(default_factory=declared_suspects)

    @classmethod
    def from_settings(cls, settings: OutageSettings) -> OutagePolicy:
        return cls(
            threshold=settings.threshold,
            first_pause=timedelta(seconds=settings.first_pause_seconds),
            max_pause=timedelta(seconds=settings.max_pause_seconds),
            suspect_streak=settings.suspect_streak,
            suspect_outcomes=(
                declared_suspects()
                if settings.suspect_outcomes is None
                else frozenset(settings.suspect_outcomes)
            ),
        )


@dataclass(frozen=True)
class ControlNeeded:
    """A full streak on a channel with a control target: place the control probe, then call
    `control_verdict` (the `control_call` row `control_id` is written already)."""

    channel: str
    trigger: str  # "our_failures" or "suspect"
    control_id: int
    check_ids: list[int] = field(default_factory=list)
    error_class: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _latest(session: Session, channel: str) -> AuditLog | None:
    rows = runs.audit_rows(
        session=session, entity=ENTITY, entity_id=channel, actions=(ALERT, CLEARED), limit=1
    )
    return rows[0] if rows else None


def _until(row: AuditLog | None) -> datetime | None:
    if row is None or row.action != ALERT or not row.after:
        return None
    return datetime.fromisoformat(row.after["paused_until"])


def paused_until(*, session: Session, channel: str, now: datetime) -> datetime | None:
    """The end of the channel's current pause, or None when it may dispatch."""
    until = _until(_latest(session, channel))
    paused = until is not None and until > now
    metrics.PAUSED.labels(channel=channel).set(1 if paused else 0)
    return until if paused else None


def _streak_rows(
    session: Session, channel: str, threshold: int, since: datetime | None = None
) -> list[tuple[int, str | None]]:
    """(check id, outcome) of the channel's last `threshold` results (after `since`)."""
    return runs.last_results(session=session, channel=channel, count=threshold, since=since)


def _controls(session: Session, channel: str) -> list[AuditLog]:
    """The channel's control rows, newest first (a few: what a decision needs)."""
    return runs.audit_rows(
        session=session, entity=ENTITY, entity_id=channel, actions=(CONTROL, CONTROL_RESULT),
        limit=20,
    )  # fmt: skip


def _control_in_flight(rows: list[AuditLog], now: datetime) -> bool:
    return bool(rows) and rows[0].action == CONTROL and now - rows[0].at < CONTROL_STALE


def _cleared_by_control(rows: list[AuditLog]) -> datetime | None:
    """When the last control probe said "theirs": results before it are settled."""
    for row in rows:
        if row.action == CONTROL_RESULT and row.after and row.after.get("verdict") == "theirs":
            return row.at
    return None


# session.info key: no alert open on the channel, as this transaction already read.
_NO_ALERT = "outage_no_alert"


def _lock(session: Session) -> None:
    runs.advisory_lock(session=session, key=_OUTAGE_LOCK)


def record_outcome(
    *,
    session: Session,
    channel: str,
    result: CheckResult,
    now: datetime,
    policy: OutagePolicy,
    actor: str,
    control_target: str | None = None,
) -> AuditLog | ControlNeeded | None:
    """After a result is stored (same transaction): open or clear an alert when due, or, with
    a `control_target`, ask for a control probe first (ControlNeeded)."""
    if result.pending:  # an e-mail accepted by the server: the channel works
        return _clear(session, channel, actor)
    outcome = result.outcome
    if outcome is None or outcome == UNKNOWN_OUTCOME:
        return None
    # Our failures that say the channel is down, as the channels declare them (the streak
    # compares stored outcome strings).
    our_side = channel_failure_outcomes()
    if outcome not in our_side:
        cleared = _clear(session, channel, actor)
        if control_target and policy.suspect_streak > 0 and outcome in policy.suspect_outcomes:
            _lock(session)  # first: two results stored at once must see each other
            if not _full(session, channel, policy.suspect_streak, policy.suspect_outcomes):
                return cleared
            needed = _ask_control(
                session, channel, actor, now, control_target, policy.suspect_streak,
                policy.suspect_outcomes, "suspect", result,
            )  # fmt: skip
            if needed is not None:
                return needed
        return cleared
    session.flush()  # the streak must see this result
    # Locked first: results stored at once by two workers must see each other's.
    _lock(session)
    if not _full(session, channel, policy.threshold, our_side, settled=control_target is not None):
        return None
    latest = _latest(session, channel)
    if (until := _until(latest)) is not None and until > now:
        return None  # already paused (another worker saw the same streak)
    if control_target:
        return _ask_control(
            session, channel, actor, now, control_target, policy.threshold, our_side,
            "our_failures", result,
        )  # fmt: skip
    return _open(
        session, channel, actor, result, now, _next_pause(latest, policy), policy.threshold
    )


def _full(
    session: Session, channel: str, size: int, outcomes: frozenset[str], *, settled: bool = True
) -> bool:
    session.flush()
    since = _cleared_by_control(_controls(session, channel)) if settled else None
    streak = _streak_rows(session, channel, size, since)
    return len(streak) >= size and all(o in outcomes for _, o in streak)


def _next_pause(latest: AuditLog | None, policy: OutagePolicy) -> timedelta:
    if latest is not None and latest.action == ALERT and latest.after:
        return min(timedelta(seconds=latest.after["pause_seconds"] * 2), policy.max_pause)
    return policy.first_pause


def _ask_control(
    session: Session,
    channel: str,
    actor: str,
    now: datetime,
    target: str,
    size: int,
    outcomes: frozenset[str],
    trigger: str,
    result: CheckResult,
) -> ControlNeeded | None:
    """Under the outage lock: one control probe at a time per channel, for a full streak."""
    rows = _controls(session, channel)
    if _control_in_flight(rows, now):
        return None  # another worker's control probe will decide
    streak = _streak_rows(session, channel, size, _cleared_by_control(rows))
    if len(streak) < size or any(o not in outcomes for _, o in streak):
        return None
    check_ids = sorted(i for i, _ in streak)
    row = write_audit(
        session=session,
        actor=actor,
        action=CONTROL,
        entity=ENTITY,
        entity_id=channel,
        before=None,
        after={
            "target": target,
            "trigger": trigger,
            "check_ids": check_ids,
            "error_class": result.error_class,
            "message": f"{size} results in a row on channel {channel} ({trigger}): "
            f"control probe to {target}",
        },
    )
    session.flush()
    assert row.id is not None
    log.warning("control probe placed", channel=channel, trigger=trigger, target=target)
    return ControlNeeded(channel, trigger, row.id, check_ids, result.error_class)


def control_verdict(
    *,
    session: Session,
    needed: ControlNeeded,
    control: CheckResult,
    now: datetime,
    policy: OutagePolicy,
    actor: str,
) -> tuple[str, AuditLog | None]:
    """Record the control probe's verdict: ("ours", the alert) when it failed too (dispatch
    pauses), ("theirs", None) when it worked (the results stand)."""
    _lock(session)
    worked = control.pending or control.outcome in outcomes_where(lambda o: o.success)
    verdict = "theirs" if worked else "ours"
    metrics.CONTROL_PROBES.labels(channel=needed.channel, verdict=verdict).inc()
    outcome = control.outcome if control.outcome else ("accepted" if worked else None)
    after: dict[str, Any] = {
        "verdict": verdict,
        "trigger": needed.trigger,
        "outcome": outcome,
        "error_class": control.error_class,
        "check_ids": needed.check_ids,
        # Relative to the data folder (schedules/control.py), like every check's evidence.
        "evidence": [ref.path for ref in control.evidence],
        "message": (
            f"control probe on channel {needed.channel}: {outcome}; "
            + ("the results stand" if worked else "it failed too: our outage")
        ),
    }
    write_audit(
        session=session,
        actor=actor,
        action=CONTROL_RESULT,
        entity=ENTITY,
        entity_id=needed.channel,
        before={"control_id": needed.control_id},
        after=after,
    )
    if worked:
        log.warning("control probe worked: results stand", channel=needed.channel, **after)
        return verdict, None
    latest = _latest(session, needed.channel)
    if (until := _until(latest)) is not None and until > now:
        return verdict, latest
    failures = len(needed.check_ids)
    failed = control.model_copy(
        update={"error_class": needed.error_class or control.error_class or "control_failed"}
    )
    alert = _open(
        session, needed.channel, actor, failed, now, _next_pause(latest, policy), failures,
        control=after,
    )  # fmt: skip
    return verdict, alert


def _open(
    session: Session,
    channel: str,
    actor: str,
    result: CheckResult,
    now: datetime,
    pause: timedelta,
    failures: int,
    control: dict[str, Any] | None = None,
) -> AuditLog:
    after: dict[str, Any] = {
        "paused_until": (now + pause).isoformat(),
        "pause_seconds": pause.total_seconds(),
        "failures": failures,
        "error_class": result.error_class,
        "message": (
            f"{failures} failures on our side in a row on channel {channel} "
            f"({result.error_class}): dispatch paused for {pause.total_seconds():g} s"
        ),
    }
    if control is not None:
        after["control"] = {k: control[k] for k in ("outcome", "error_class", "trigger")}
        if control["trigger"] == "suspect":
            after["message"] = (
                f"{failures} suspect results in a row on channel {channel}, and the control "
                f"probe failed too ({control['outcome']}, {control['error_class']}): our "
                f"outage, dispatch paused for {pause.total_seconds():g} s"
            )
        else:
            after["message"] += f"; the control probe failed too ({control['outcome']})"
    session.info.pop((_NO_ALERT, channel), None)
    row = write_audit(
        session=session,
        actor=actor,
        action=ALERT,
        entity=ENTITY,
        entity_id=channel,
        before=None,
        after=after,
    )
    log.error("our side outage: dispatch paused", channel=channel, **after)
    metrics.PAUSED.labels(channel=channel).set(1)
    return row


def _clear(session: Session, channel: str, actor: str) -> AuditLog | None:
    if session.info.get((_NO_ALERT, channel)):
        return None  # known in this transaction (a batch of replies asks once)
    latest = _latest(session, channel)
    if latest is None or latest.action != ALERT:
        session.info[(_NO_ALERT, channel)] = True
        return None
    if session.get_bind().dialect.name == "postgresql":
        _lock(session)
        latest = _latest(session, channel)  # another worker may have cleared it meanwhile
        if latest is None or latest.action != ALERT:
            return None
    log.warning("our side recovered: dispatch resumed", channel=channel)
    metrics.PAUSED.labels(channel=channel).set(0)
    return write_audit(
        session=session,
        actor=actor,
        action=CLEARED,
        entity=ENTITY,
        entity_id=channel,
        before={"alert_id": latest.id},
        after={"message": f"channel {channel} works again"},
    )

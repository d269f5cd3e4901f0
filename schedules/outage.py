"""An outage on our side pauses a channel instead of marking organisations unreachable.

When the last `threshold` results on a channel are all failures of ours (trunk down, SMTP auth
refused, test peer unreachable), dispatch on that channel stops for a pause that doubles while
the failures go on (up to `max_pause`). The pause is an audit-log row (action "alert", entity
"channel") that every runner and worker reads, so it holds across machines, and the UI shows
it; the first result that is not our failure writes "alert_cleared". The failed checks keep the
policy's own retry, which never counts against the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlmodel import Session, col, select

from probe import metrics
from probe.results import CheckResult, CheckStatus, Outcome
from storage.audit import write_audit
from storage.models import AuditLog, Check

log = structlog.get_logger()

ALERT = "alert"
CLEARED = "alert_cleared"
ENTITY = "channel"
# Our failures for this purpose; UNKNOWN (the fate of a check after a crash) says nothing
# about the channel.
OUR_SIDE = frozenset({Outcome.FAILED.value, Outcome.SEND_FAILED.value})
_OUTAGE_LOCK = 0x70726F62  # any constant: serialises alert writing across workers


@dataclass(frozen=True)
class OutagePolicy:
    threshold: int = 5  # consecutive failures of ours on a channel
    first_pause: timedelta = timedelta(minutes=1)
    max_pause: timedelta = timedelta(minutes=15)


def _latest(session: Session, channel: str) -> AuditLog | None:
    return session.exec(
        select(AuditLog)
        .where(
            col(AuditLog.entity) == ENTITY,
            col(AuditLog.entity_id) == channel,
            col(AuditLog.action).in_([ALERT, CLEARED]),
        )
        .order_by(col(AuditLog.id).desc())
        .limit(1)
    ).first()


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


def _streak(session: Session, channel: str, threshold: int) -> list[str | None]:
    rows = session.exec(
        select(Check.outcome)
        .where(
            col(Check.channel) == channel,
            col(Check.status).in_([CheckStatus.DONE.value, CheckStatus.WAITING.value]),
            col(Check.finished_at).is_not(None),
        )
        .order_by(col(Check.finished_at).desc(), col(Check.id).desc())
        .limit(threshold)
    ).all()
    return list(rows)


def record_outcome(
    *,
    session: Session,
    channel: str,
    result: CheckResult,
    now: datetime,
    policy: OutagePolicy,
    actor: str,
) -> AuditLog | None:
    """After a result is stored (same transaction): open or clear an alert when due."""
    outcome = result.outcome.value if result.outcome else None
    if outcome is None or outcome == Outcome.UNKNOWN.value:
        return None
    if outcome not in OUR_SIDE:
        return _clear(session, channel, actor)
    session.flush()  # the streak must see this result
    streak = _streak(session, channel, policy.threshold)
    if len(streak) < policy.threshold or any(o not in OUR_SIDE for o in streak):
        return None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTAGE_LOCK})
    latest = _latest(session, channel)
    if (until := _until(latest)) is not None and until > now:
        return None  # already paused (another worker saw the same streak)
    pause = policy.first_pause
    if latest is not None and latest.action == ALERT and latest.after:
        pause = min(timedelta(seconds=latest.after["pause_seconds"] * 2), policy.max_pause)
    return _open(session, channel, actor, result, now, pause, policy.threshold)


def _open(
    session: Session,
    channel: str,
    actor: str,
    result: CheckResult,
    now: datetime,
    pause: timedelta,
    failures: int,
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
    latest = _latest(session, channel)
    if latest is None or latest.action != ALERT:
        return None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTAGE_LOCK})
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

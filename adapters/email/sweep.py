"""The reply deadline: a waiting check whose deadline passed ends as no_reply (or auto_replied
when only an auto-reply came). The deadline is the campaign's working days (default 3) counted
in the organisation's time zone, hours and production calendar."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from adapters.email.config import config_from_spec
from adapters.email.ingest import candidates, rematch_recent, sent_instant
from adapters.email.timing import reply_deadline, schedule_of
from probe.results import Outcome, utc_now
from probe.reviews import Grade
from storage import mail
from storage.engine import session_scope
from storage.models import Check


def deadline_of(session: Session, check: Check) -> datetime:
    organisation, campaign = mail.check_context(session=session, check=check)
    config = config_from_spec(campaign.spec if campaign else None)
    return reply_deadline(
        sent_at=sent_instant(check),
        working_days=config.deadline_working_days,
        tz=organisation.timezone,
        schedule=schedule_of(organisation.hours),
    )


def sweep_no_reply(*, engine: Engine, now: datetime) -> int:
    """End every waiting e-mail check whose deadline is past; returns how many ended."""
    ended = 0
    with session_scope(engine) as session:
        # A reply that came before its check was recorded must not end as no_reply.
        pool = candidates(session=session, now=now)
        rematch_recent(session=session, pool=pool, now=now, window=timedelta(days=60))
        for check in mail.waiting_email_checks(session=session):
            if check.started_at is None:
                continue
            deadline = deadline_of(session, check)
            if now < deadline:
                continue
            auto_reply = bool((check.details or {}).get("auto_reply_at"))
            mail.complete_email_check(
                session=session,
                check=check,
                outcome=Outcome.AUTO_REPLIED if auto_reply else Outcome.NO_REPLY,
                finished_at=now,
                details={
                    "deadline_at": deadline.isoformat(),
                    "suggested_grade": Grade.UNSATISFACTORY.value,
                },
                message="deadline passed",
            )
            ended += 1
    return ended


async def run_sweeper(
    *,
    engine: Engine,
    stop: asyncio.Event,
    interval: float = 300.0,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Sweep every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        await asyncio.to_thread(sweep_no_reply, engine=engine, now=clock())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)

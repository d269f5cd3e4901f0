"""Politeness and capacity: the one gate every check passes before it starts.

One decision (`blocked`) with the campaign's rules: an outage pause holds the channel; at most
`checks_in_parallel` checks of a campaign at once; calls one at a time per organisation, a quiet
period apart; any channel at most its `rate_limit.in_parallel` at once (the trunk's channels,
the web probe's browsers) and at most its `rate_limit.per_minute` starts a minute (the SMTP
account), each overridden by the campaign's `limits` under the key the channel declares
(`Limits.in_parallel`, `per_minute`). The rules ask a `GateState` what runs now, and each mode
brings its own state:

- `MemoryState`: the in-process runner (SQLite, `probe run` alone) counts what it runs itself
  (`InFlight`), the only process executing checks of its database;
- `DatabaseState`: the queue workers (PostgreSQL, any number of machines) count `running` checks
  in the database, under an advisory lock taken by the caller, so two workers never both take
  the last free channel. One call per organisation is procrastinate's `organisation-<id>` lock
  there: a job runs only while no other job of its organisation does.

The answer is why not, and when to look again (`Blocked`), or None: go.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlmodel import Session

from probe.channels import channel_spec, one_per_organisation, one_per_organisation_channels
from schedules import outage
from schedules.spec import CampaignSpec, Limits
from storage import runs
from storage.models import Check


class Blocked(NamedTuple):
    reason: str  # "<kind>: <limit>" (the kind labels the queue's retry metric)
    retry_at: datetime


class GateState(Protocol):
    """What runs now, as far as one mode can tell."""

    def paused_until(self, channel: str, now: datetime) -> datetime | None: ...

    def checks_running(self, check: Check) -> int: ...  # in the check's campaign

    def calls_running(self, check: Check) -> int: ...  # of the check's channel (its trunk)

    def organisation_in_call(self, check: Check) -> bool: ...

    def last_call_end(self, check: Check) -> datetime | None: ...

    def oldest_send(self, check: Check, now: datetime, per_minute: int) -> datetime | None:
        """The oldest of the last `per_minute` sends when they all fall in the last minute."""
        ...


def retry_soon(now: datetime) -> datetime:
    """When a count-based limit is full, nobody knows when a slot frees: look again shortly."""
    return now + timedelta(seconds=random.uniform(0.1, 0.4))


def blocked(state: GateState, check: Check, limits: Limits, now: datetime) -> Blocked | None:
    """The first limit that says "not now", with when to look again; None when all allow."""
    until = state.paused_until(check.channel, now)
    if until is not None:
        return Blocked("outage: channel paused", until)
    if state.checks_running(check) >= limits.checks_in_parallel:
        return Blocked("capacity: checks in parallel", retry_soon(now))
    calls = one_per_organisation(check.channel)
    if calls and state.organisation_in_call(check):  # never two simultaneous calls to one org
        return Blocked("politeness: organisation in a call", retry_soon(now))
    spec = channel_spec(check.channel)
    # the trunk's channels for calls, a parallel channel's own ceiling (the web probe's
    # browsers): the campaign's value for the channel's key, else the channel's default
    cap = limits.in_parallel(check.channel)
    if cap is not None and state.calls_running(check) >= cap:
        reason = "capacity: trunk channels" if calls else f"capacity: {spec.name} in parallel"
        return Blocked(reason, retry_soon(now))
    if calls:
        last = state.last_call_end(check)
        quiet = timedelta(minutes=limits.quiet_minutes)
        if last is not None and now - last < quiet:
            return Blocked("quiet: period between calls", last + quiet)
    per_minute = limits.per_minute(check.channel)
    if per_minute is not None:
        oldest = state.oldest_send(check, now, per_minute)
        if oldest is not None:  # "capacity: smtp rate": the backend's account is the limit
            return Blocked(f"capacity: {spec.backend} rate", oldest + timedelta(minutes=1))
    return None


# -- the queue workers: the database ------------------------------------------------------------


class DatabaseState:
    """Counts in the database, across every worker (the caller holds the gate's lock)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def paused_until(self, channel: str, now: datetime) -> datetime | None:
        return outage.paused_until(session=self.session, channel=channel, now=now)

    def checks_running(self, check: Check) -> int:
        return runs.running_count(session=self.session, campaign_id=check.campaign_id)

    def calls_running(self, check: Check) -> int:
        return runs.running_count(session=self.session, channel=check.channel)

    def organisation_in_call(self, check: Check) -> bool:
        return False  # procrastinate's organisation lock: no other job of it runs now

    def last_call_end(self, check: Check) -> datetime | None:
        assert check.campaign_id is not None
        return runs.last_call_end(
            session=self.session,
            campaign_id=check.campaign_id,
            organisation_id=check.organisation_id,
            channels=one_per_organisation_channels(),
        )

    def oldest_send(self, check: Check, now: datetime, per_minute: int) -> datetime | None:
        return runs.oldest_recent_start(
            session=self.session, channel=check.channel, now=now, count=per_minute
        )


def database_blocked(
    session: Session, check: Check, spec: CampaignSpec, now: datetime
) -> Blocked | None:
    """The gate on the database's counts (a queue worker's), with the campaign's limits."""
    return blocked(DatabaseState(session), check, spec.limits, now)


# -- the in-process runner: its own memory -------------------------------------------------------


class InFlight:
    """What the in-process runner runs now, and what it ran lately: it is the only process
    executing its database's checks, so its own record is the truth (and costs no query)."""

    def __init__(self) -> None:
        self.busy_orgs: set[int] = set()
        self.last_call_end: dict[int, datetime] = {}
        self.running: dict[tuple[int, str], int] = {}  # (campaign, channel) -> checks
        self.sent_emails: dict[int, deque[datetime]] = {}  # campaign -> send instants

    def reserve(
        self, *, campaign_id: int, channel: str, organisation_id: int, now: datetime
    ) -> None:
        key = (campaign_id, channel)
        self.running[key] = self.running.get(key, 0) + 1
        if one_per_organisation(channel):
            self.busy_orgs.add(organisation_id)
        rate = channel_spec(channel).rate_limit
        if rate.per_minute is not None or rate.per_minute_key is not None:  # a rated channel
            self.sent_emails.setdefault(campaign_id, deque()).append(now)

    def release(
        self, *, campaign_id: int, channel: str, organisation_id: int, now: datetime
    ) -> None:
        key = (campaign_id, channel)
        self.running[key] = max(0, self.running.get(key, 1) - 1)
        if one_per_organisation(channel):
            self.busy_orgs.discard(organisation_id)
            self.last_call_end[organisation_id] = now


class MemoryState:
    """The in-process runner's record, with the outage pauses read from the database once per
    channel (one state per tick)."""

    def __init__(self, in_flight: InFlight, session: Session) -> None:
        self.in_flight = in_flight
        self.session = session
        self.pauses: dict[str, datetime | None] = {}

    def paused_until(self, channel: str, now: datetime) -> datetime | None:
        if channel not in self.pauses:
            self.pauses[channel] = outage.paused_until(
                session=self.session, channel=channel, now=now
            )
        return self.pauses[channel]

    def checks_running(self, check: Check) -> int:
        running = self.in_flight.running
        return sum(n for (campaign, _), n in running.items() if campaign == check.campaign_id)

    def calls_running(self, check: Check) -> int:
        assert check.campaign_id is not None
        return self.in_flight.running.get((check.campaign_id, check.channel), 0)

    def organisation_in_call(self, check: Check) -> bool:
        return check.organisation_id in self.in_flight.busy_orgs

    def last_call_end(self, check: Check) -> datetime | None:
        return self.in_flight.last_call_end.get(check.organisation_id)

    def oldest_send(self, check: Check, now: datetime, per_minute: int) -> datetime | None:
        assert check.campaign_id is not None
        sent = self.in_flight.sent_emails.setdefault(check.campaign_id, deque())
        while sent and now - sent[0] >= timedelta(minutes=1):
            sent.popleft()
        return sent[-per_minute] if len(sent) >= per_minute else None

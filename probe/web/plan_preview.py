"""A draft campaign's plan preview, kept between views of its plan page.

The page shows what `start` would plan now (`schedules.campaigns.plan`, nothing written): over
a directory of thousands of organisations that takes seconds, too long to compute on every
view (bench/plan_page.py). The preview is the same computation, kept while it is still what it
would be: for the draft's spec as stored, the directory as it is (`storage.directory.
directory_stamp`: a change of an organisation or a contact changes it), on the day it was
computed, and while its first attempt is still to come. Anything else computes it again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from schedules import campaigns as service
from schedules.skips import Skip
from storage.directory import directory_stamp
from storage.engine import session_scope
from storage.models import Campaign
from storage.planning import PlannedAttempt


@dataclass(frozen=True)
class Preview:
    key: tuple[Any, ...]
    attempts: list[PlannedAttempt]
    skipped: list[tuple[int, Skip]]
    computed_at: datetime
    first: datetime | None  # the earliest attempt

    def holds(self, key: tuple[Any, ...], now: datetime) -> bool:
        if key != self.key or now.date() != self.computed_at.date():
            return False
        return self.first is None or self.first >= now


@dataclass
class Previews:
    """The last preview of each draft (a web process has a few drafts at a time)."""

    kept: dict[int, Preview] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, engine: Engine, campaign: Campaign, now: datetime) -> Preview:
        assert campaign.id is not None
        with session_scope(engine) as db:
            stamp = directory_stamp(session=db)
        key = (json.dumps(campaign.spec, sort_keys=True, default=str), stamp)
        with self.lock:
            kept = self.kept.get(campaign.id)
        if kept is not None and kept.holds(key, now):
            return kept
        _spec, result = service.plan(engine=engine, name=campaign.name, now=now)
        first = min((a.planned_at for a in result.attempts), default=None)
        preview = Preview(key, result.attempts, result.skipped, now, first)
        with self.lock:
            self.kept[campaign.id] = preview
        return preview

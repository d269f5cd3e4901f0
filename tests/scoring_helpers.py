"""Build campaigns with checks and reviews directly through storage, for scoring/export tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.results import CheckResult
from probe.scoring.names import Outcome
from storage.checks import add_review, create_campaign, create_check, record_result
from storage.models import Campaign, Check, Contact, Organisation

T0 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)  # 10:00 in Omsk


class World:
    """One campaign; organisations with one phone and up to two e-mail contacts each."""

    def __init__(self, session: Session, *, channels: tuple[str, ...] = ("phone", "email")):
        self.session = session
        self.campaign: Campaign = create_campaign(
            session=session, name="spring", title="Весна", channels=channels
        )
        self.count = 0

    def organisation(self, name: str = "КЦСОН", *, emails: int = 2, row: int | None = None):
        self.count += 1
        org = Organisation(
            key=f"omsk|{name}|{self.count}",
            name=f"{name} {self.count}",
            region="omsk",
            timezone="Asia/Omsk",
            protocol_row=row,
        )
        self.session.add(org)
        self.session.flush()
        assert org.id is not None
        contacts = [
            Contact(
                organisation_id=org.id,
                channel="phone",
                key=f"+7381220000{self.count}",
                raw=f"8 (3812) 20-00-0{self.count}",
                value=f"+7381220000{self.count}",
            )
        ]
        contacts += [
            Contact(
                organisation_id=org.id,
                channel="email",
                key=f"box{i}.{self.count}@example.org",
                raw=f"box{i}.{self.count}@example.org",
                value=f"box{i}.{self.count}@example.org",
                position=i,
            )
            for i in range(emails)
        ]
        self.session.add_all(contacts)
        self.session.flush()
        return org, contacts

    def check(
        self,
        contact: Contact,
        outcome: Outcome | None,
        *,
        minutes: int = 0,
        details: dict[str, Any] | None = None,
        pending: bool = False,
        finished_after: timedelta | None = None,
    ) -> Check:
        assert self.campaign.id is not None
        check = create_check(session=self.session, contact=contact, campaign_id=self.campaign.id)
        started = T0 + timedelta(minutes=minutes)
        result = CheckResult(
            channel=contact.channel,
            outcome=outcome,
            pending=pending,
            started_at=started,
            finished_at=started + finished_after if finished_after else None,
            details=details or {},
        )
        return record_result(session=self.session, check=check, result=result)

    def review(self, field: str, value: str, *, check: Check | None = None, org=None) -> None:
        add_review(
            session=self.session,
            author="operator",
            field=field,
            value=value,
            check_id=check.id if check else None,
            organisation_id=org.id if org is not None and check is None else None,
            campaign_id=self.campaign.id,
        )


def world(engine: Engine, **kwargs: Any) -> tuple[Session, World]:
    session = Session(engine, expire_on_commit=False)
    return session, World(session, **kwargs)

"""Contacts a check found published that the directory lacks go to the review queue as
«справочник может быть устаревшим» (storage.published), for any channel that declares where its
results list them (ChannelSpec.published_contacts), until an operator answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from probe.channels import ChannelSpec, OutcomeSpec, ProbeContext, ProbeTarget, add_plugin
from probe.results import CheckResult
from probe.settings import Settings
from schedules.completion import record, sink_for
from storage.checks import add_review, create_check
from storage.judgements import JudgementError, refuse_inapplicable
from storage.models import Check, Contact, Organisation
from storage.published import unlisted_contacts
from storage.review_queue import QueueFilter, check_detail, review_queue

CHANNEL = "pagecheck"  # a channel of the tests: the real web channel declares the same


class _Options(BaseModel):
    pass


SPEC = ChannelSpec(
    name=CHANNEL,
    label="страница",
    backend="tests",
    outcomes=(OutcomeSpec("page_checked", "страница проверена", success=True),),
    config_model=_Options,
    published_contacts=(("phones", "phone"), ("emails", "email")),
    listed=False,
)


class _Plugin:
    spec = SPEC

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        raise AssertionError("not probed in these tests")


@pytest.fixture(autouse=True)
def plugin() -> Iterator[None]:
    remove = add_plugin(_Plugin())
    yield
    remove()


def _organisation(session: Session) -> tuple[Organisation, Contact]:
    org = Organisation(key="omsk|kcson", name="КЦСОН", region="omsk", timezone="Asia/Omsk")
    session.add(org)
    session.flush()
    assert org.id is not None
    session.add_all(
        [
            Contact(organisation_id=org.id, channel="phone", key="+73812000001",
                    raw="20-00-01", value="+73812000001"),
            Contact(organisation_id=org.id, channel="email", key="kcson@example.ru",
                    raw="KCSON@example.ru", value="KCSON@example.ru"),
            # Replaced by an operator: no longer what the directory lists.
            Contact(organisation_id=org.id, channel="phone", key="+73812000009",
                    raw="20-00-09", value="+73812000009", active=False),
        ]
    )  # fmt: skip
    site = Contact(
        organisation_id=org.id, channel=CHANNEL, key="https://kcson.example.ru/",
        raw="kcson.example.ru", value="https://kcson.example.ru/",
    )  # fmt: skip
    session.add(site)
    session.flush()
    return org, site


def _recorded(engine: Engine, session: Session, site: Contact, details: dict[str, Any]) -> Check:
    check = create_check(session=session, contact=site)
    check.status = "running"
    now = datetime(2026, 4, 6, 4, tzinfo=UTC)
    result = CheckResult(
        channel=CHANNEL, outcome="page_checked", started_at=now, finished_at=now, details=details
    )
    rt = sink_for(engine, Settings(database_url="sqlite://")).rt
    record(rt, session, check, result)
    session.flush()
    return check


def test_a_phone_the_directory_lacks_puts_the_check_in_the_queue(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        _org, site = _organisation(session)
        details = {"phones": ["+73812000001", "+73812000009", "+73812215050"],
                   "emails": ["kcson@example.ru"]}  # fmt: skip
        check = _recorded(engine, session, site, details)
        assert unlisted_contacts(session, check, details) == {
            "phone": ["+73812000009", "+73812215050"]
        }
        page = review_queue(session=session, filters=QueueFilter())
        assert [(r.check.id, r.needs) for r in page.rows] == [(check.id, ["directory"])]
        detail = check_detail(session=session, check_id=check.id or 0)
        assert detail is not None and detail.needs == ["directory"]
        assert "directory" in detail.applicable
        [event] = [e for e in detail.events if e.kind == "directory_outdated"]
        assert event.message.startswith("справочник может быть устаревшим: на сайте есть")
        assert "+73812215050" in event.message
        assert event.data == {"phone": ["+73812000009", "+73812215050"]}
        # The operator answers: the directory is current (the site shows an old number).
        refuse_inapplicable(session=session, check=check, field="directory")
        add_review(session=session, author="op", field="directory", value="current",
                   check_id=check.id)  # fmt: skip
        session.flush()
        assert review_queue(session=session, filters=QueueFilter()).rows == []


def test_contacts_the_directory_lists_leave_the_check_out_of_the_queue(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        _org, site = _organisation(session)
        # Addresses compare without case: the directory keeps KCSON@ as published.
        check = _recorded(
            engine, session, site, {"phones": ["+73812000001"], "emails": ["kcson@example.ru"]}
        )
        assert review_queue(session=session, filters=QueueFilter()).rows == []
        detail = check_detail(session=session, check_id=check.id or 0)
        assert detail is not None and "directory" not in detail.applicable
        with pytest.raises(JudgementError):
            refuse_inapplicable(session=session, check=check, field="directory")


def test_an_address_the_directory_lacks_is_named_by_its_channel(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        _org, site = _organisation(session)
        check = _recorded(
            engine, session, site, {"phones": [], "emails": ["priemnaya@example.ru", 7]}
        )
        detail = check_detail(session=session, check_id=check.id or 0)
        assert detail is not None
        [event] = [e for e in detail.events if e.kind == "directory_outdated"]
        assert event.data == {"email": ["priemnaya@example.ru"]}

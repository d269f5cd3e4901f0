"""The sandbox's time warp: it skips nights and days of waiting while a campaign has something
left to happen, and leaves the clock alone once nothing is (the review UI stays up after the
run: a campaign created there starts from the sandbox's day, not from one an idle clock ran
ahead to)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from probe.clock import WarpClock
from probe.sandbox.run import TimeWarp
from probe.sandbox.staff import Employee, Staff
from storage.engine import session_scope
from storage.models import Check, Contact, InboundMessage
from tests.campaign_helpers import add_test_organisations

OMSK = ZoneInfo("Asia/Omsk")


def test_an_idle_sandbox_clock_does_not_jump(engine: Engine) -> None:
    clock = WarpClock(datetime(2026, 4, 6, 16, 0, tzinfo=OMSK), 1.0)
    warp = TimeWarp(clock, engine, Staff(mx_port=1))
    assert warp.next_event({}) is None
    assert warp.next_event({"done": 3, "cancelled": 1}) is None
    # A letter waiting for its reply: the night passes (a reply deadline ends at midnight).
    jump = warp.next_event({"done": 3, "waiting": 1})
    assert jump == datetime(2026, 4, 7, 0, 0, 1, tzinfo=OMSK)
    assert warp.next_event({"running": 1, "waiting": 1}) is None  # a call in flight
    assert clock.now() - datetime(2026, 4, 6, 16, 0, tzinfo=OMSK) < timedelta(minutes=1)


def _letter(engine: Engine, recipient: str, status: str = "waiting") -> int:
    """A letter the prober sent (a check of the e-mail channel, as its plugin records one)."""
    ids = add_test_organisations(engine, {recipient: ["x"]})
    with session_scope(engine) as session:
        contact = session.exec(select(Contact)).all()[-1]
        check = Check(
            organisation_id=ids[recipient],
            contact_id=contact.id or 0,
            channel="email",
            status=status,
            details={
                "message_id": f"<{recipient}@prober>",
                "recipient": recipient,
                "sent_copy": True,  # accepted by the mail server (adapters/email/plugin.py)
            },
        )
        session.add(check)
        session.flush()
        return check.id or 0


def _finish(engine: Engine, check_id: int) -> None:
    with session_scope(engine) as session:
        check = session.get(Check, check_id)
        assert check is not None
        check.status = "done"


def test_a_bounce_on_its_way_holds_the_clock(engine: Engine) -> None:
    """The letter to an address without a mailbox waits for its bounce: the warp jumped to the
    next midnight while it travelled, and a campaign started in the browser then was planned
    for the next morning at 09:00."""
    clock = WarpClock(datetime(2026, 4, 6, 16, 0, tzinfo=OMSK), 1.0)
    warp = TimeWarp(clock, engine, Staff(mx_port=1))
    letter = _letter(engine, "isilkul_kcson@omskmintrud.ru")
    assert warp.next_event({"done": 5, "waiting": 1}) is None
    _finish(engine, letter)  # the bounce is in: nothing left to happen
    assert warp.next_event({"done": 6}) is None
    # A bounce that never comes holds the clock for TRANSIT_SECONDS of real time, no longer.
    _letter(engine, "lost@omskmintrud.ru")
    warp.TRANSIT_SECONDS = 0.0
    assert warp.next_event({"done": 6, "waiting": 1}) == datetime(2026, 4, 7, 0, 0, 1, tzinfo=OMSK)


def test_a_question_unread_or_a_reply_unrecorded_holds_the_clock(
    engine: Engine, tmp_path: Path
) -> None:
    clock = WarpClock(datetime(2026, 4, 6, 16, 0, tzinfo=OMSK), 1.0)
    staff = Staff(mx_port=1)
    address = "penaty_kcson@omskmintrud.ru"
    employee = Employee(address=address, maildir=tmp_path, mode="reply")
    staff.add(employee)
    warp = TimeWarp(clock, engine, staff)
    _letter(engine, address)
    counts = {"done": 5, "waiting": 1}
    assert warp.next_event(counts) is None  # in Postfix or Dovecot still
    employee.questions = 1  # read; its answer is sent at once (a silent one: never)
    midnight = datetime(2026, 4, 7, 0, 0, 1, tzinfo=OMSK)
    assert warp.next_event(counts) == midnight
    employee.sent.append((clock.now(), "Re: вопрос"))
    assert warp.next_event(counts) is None  # the reply is on its way to the prober
    with session_scope(engine) as session:
        session.add(
            InboundMessage(
                account="prober", mailbox="INBOX", uidvalidity=1, uid=1, kind="human_reply",
                from_address=address, received_at=clock.now(),
            )
        )  # fmt: skip
    assert warp.next_event(counts) == midnight  # recorded: waiting is a night to skip

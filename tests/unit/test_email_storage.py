"""Storage of the e-mail channel: mailbox state, unmatched messages, completing a check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from adapters.email.outcome import deliver_final
from adapters.email.store import (
    add_inbound,
    get_mailbox_state,
    list_unmatched,
    save_mailbox_state,
)
from probe.scoring.names import Outcome
from storage.engine import session_scope
from storage.models import Check, InboundMessage
from tests.servers.mail_orgs import make_check
from tests.sinks import engine_sink, sweep_email

AT = datetime(2025, 3, 4, 5, 0, tzinfo=UTC)


def test_mailbox_state_is_kept_per_account_and_mailbox(engine: Engine) -> None:
    with session_scope(engine) as session:
        save_mailbox_state(session=session, account="a", mailbox="INBOX", uidvalidity=5, last_uid=9)
        save_mailbox_state(
            session=session, account="a", mailbox="INBOX", uidvalidity=5, last_uid=12
        )
    with session_scope(engine) as session:
        state = get_mailbox_state(session=session, account="a", mailbox="INBOX")
        assert state is not None and (state.uidvalidity, state.last_uid) == (5, 12)
        assert get_mailbox_state(session=session, account="b", mailbox="INBOX") is None


def test_a_check_that_is_not_waiting_cannot_be_completed(engine: Engine) -> None:
    check_id = make_check(engine, address="info@org.ru")
    with session_scope(engine) as session, pytest.raises(ValueError) as error:
        deliver_final(
            engine_sink(engine), session, session.get(Check, check_id), Outcome.REPLIED,
            finished_at=AT, details={},
        )  # fmt: skip
    assert str(error.value) == f"check {check_id} is planned, not waiting"


def test_unmatched_messages_are_listed_newest_first_by_the_cli(engine: Engine, cli) -> None:  # type: ignore[no-untyped-def]
    from probe.cli.main import app

    with session_scope(engine) as session:
        for uid, subject in ((1, "Новости"), (2, "Реклама")):
            add_inbound(session=session, message=InboundMessage(
                account="a", mailbox="INBOX", uidvalidity=1, uid=uid, subject=subject,
                kind="unrelated", received_at=AT,
            ))  # fmt: skip
        assert [m.subject for m in list_unmatched(session=session)] == ["Реклама", "Новости"]
    result = cli.invoke(app, ["mail", "unmatched", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["subject"] for row in json.loads(result.stdout)] == ["Реклама", "Новости"]


def test_a_reply_that_arrived_before_its_check_was_recorded_is_claimed_later(
    engine: Engine,
) -> None:
    """An auto-reply can beat the runner's write of the pending result; it is kept unmatched,
    then claimed, so the sweep ends the check as auto_replied, not no_reply."""
    from datetime import timedelta

    from probe.results import CheckResult
    from probe.scoring.names import Channel
    from storage.checks import list_events, record_result

    check_id = make_check(engine, address="info@org.ru")
    with session_scope(engine) as session:
        add_inbound(session=session, message=InboundMessage(
            account="a", mailbox="INBOX", uidvalidity=1, uid=1, kind="auto_reply",
            received_at=AT + timedelta(seconds=1),
            details={"kind": "auto_reply", "in_reply_to": "<p.1.1@prober.test>",
                     "auto_reply_reason": "Auto-Submitted: auto-replied"},
        ))  # fmt: skip
        result = CheckResult(
            channel=Channel.EMAIL, outcome=None, pending=True, started_at=AT,
            details={"message_id": "<p.1.1@prober.test>", "token": "PRB-AAAAAAAA",
                     "recipient": "info@org.ru", "subject": "Вопрос",
                     "accepted_at": AT.isoformat()},
        )  # fmt: skip
        record_result(session=session, check=session.get(Check, check_id), result=result)

    assert sweep_email(engine, now=AT + timedelta(days=31)) == 1  # window passed

    with session_scope(engine) as session:
        check = session.get(Check, check_id)
        assert check.outcome == Outcome.AUTO_REPLIED
        assert check.details["auto_reply_reason"] == "Auto-Submitted: auto-replied"
        kinds = [e.kind for e in list_events(session=session, check_id=check_id)]
        assert kinds == ["planned", "pending", "auto_reply", "result"]
        assert list_unmatched(session=session) == []

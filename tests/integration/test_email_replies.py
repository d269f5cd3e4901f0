# ruff: noqa: F811  (the mail fixtures are imported into each module by name)
"""E-mail probes end to end against real Postfix + Dovecot: send, watch, match, time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from adapters.email.store import list_inbound
from probe.results import CheckStatus, utc_now
from probe.scoring.names import Outcome
from storage.checks import list_events
from storage.engine import session_scope
from tests.servers.mail_fixtures import orgs, servers, settings, watcher  # noqa: F401
from tests.servers.mail_orgs import Organisations, load_check, make_check, probe_check, wait_for
from tests.sinks import sweep_email

pytestmark = pytest.mark.integration
FAST = {"email": {"retry_delays": [0.2, 0.2]}}


async def test_human_reply_is_matched_by_in_reply_to_with_its_latency(
    engine: Engine,
    settings,
    orgs: Organisations,
    watcher,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    org = orgs.add("reply", delay=2.0)
    check_id = make_check(engine, address=org.address, spec=FAST)

    result = await probe_check(engine, settings, check_id, tmp_path / "evidence")

    assert result.pending and result.outcome is None
    assert result.details["smtp_reply"].startswith("250")
    assert {"connect", "ehlo", "tls", "auth", "mail", "rcpt", "data"} <= set(result.timings_ms)
    check = await wait_for(
        lambda: (c := load_check(engine, check_id)).status == CheckStatus.DONE.value and c
    )
    assert check.outcome == Outcome.REPLIED
    assert check.details["match_method"] == "in_reply_to"
    assert check.details["weak_match"] is False
    replied_at = orgs.replies(org.address)[0][0]
    accepted_at = datetime.fromisoformat(check.details["accepted_at"])
    # INTERNALDATE has whole seconds: the recorded latency is the org's delay, to a second.
    assert (
        abs(check.details["latency_hours"] * 3600 - (replied_at - accepted_at).total_seconds())
        < 1.5
    )
    assert 1.0 <= check.details["latency_hours"] * 3600 <= 5.0
    assert check.details["working_days"] == 0
    assert check.details["late"] is False
    assert "suggested_grade" not in check.details  # the grade is the operator's
    with session_scope(engine) as session:
        kinds = [e.kind for e in list_events(session=session, check_id=check_id)]
        inbound = list_inbound(session=session, check_id=check_id)
    assert kinds == ["planned", "pending", "result"]
    assert [m.kind for m in inbound] == ["human_reply"]
    stored = inbound[0].evidence_path  # relative to the data folder
    assert stored is not None and not Path(stored).is_absolute()
    assert (settings.data_dir / stored).read_bytes().startswith(b"Return-Path")


def _done(engine: Engine, check_id: int):  # type: ignore[no-untyped-def]
    check = load_check(engine, check_id)
    return check if check.status == CheckStatus.DONE.value else None


async def test_reply_without_threading_headers_is_matched_by_its_token(
    engine: Engine,
    settings,
    orgs: Organisations,
    watcher,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    org = orgs.add("reply_no_headers")
    check_id = make_check(engine, address=org.address, spec=FAST)

    await probe_check(engine, settings, check_id, tmp_path / "evidence")

    check = await wait_for(lambda: _done(engine, check_id))
    assert check.outcome == Outcome.REPLIED
    assert check.details["match_method"] == "token"
    with session_scope(engine) as session:
        (reply,) = list_inbound(session=session, check_id=check_id)
    assert reply.in_reply_to is None
    assert reply.subject.startswith("RE: Вопрос о ежемесячной выплате")  # windows-1251 decoded


async def test_reply_from_another_address_with_a_new_subject_is_matched_by_the_quoted_token(
    engine: Engine,
    settings,
    orgs: Organisations,
    watcher,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    org = orgs.add("reply_other_address")
    check_id = make_check(engine, address=org.address, spec=FAST)

    await probe_check(engine, settings, check_id, tmp_path / "evidence")

    check = await wait_for(lambda: _done(engine, check_id))
    assert check.outcome == Outcome.REPLIED
    assert check.details["match_method"] == "token"
    assert check.details["reply_from"].startswith("specialist.")
    assert check.details["reply_subject"] == "Ответ на Ваш вопрос"  # KOI8-R decoded


async def test_auto_reply_is_recorded_and_the_human_reply_still_ends_the_check(
    engine: Engine,
    settings,
    orgs: Organisations,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from tests.servers.mail_fixtures import running_watcher

    org = orgs.add("reply", delay=2.5, auto_reply=True)  # Sieve vacation answers at once
    check_id = make_check(engine, address=org.address, spec=FAST)
    await probe_check(engine, settings, check_id, tmp_path / "evidence")
    # Watching starts once the check is recorded, so the order of the two messages is the
    # test's subject (a reply that beats the recording is the rematch test's).
    async with running_watcher(engine, settings):
        await _auto_reply_then_reply(engine, check_id)


async def _auto_reply_then_reply(engine: Engine, check_id: int) -> None:

    waiting = await wait_for(
        lambda: (c := load_check(engine, check_id)).details.get("auto_reply_at") and c
    )
    assert waiting.status == CheckStatus.WAITING.value and waiting.outcome is None
    assert waiting.details["auto_reply_reason"] == "Auto-Submitted: auto-replied (vacation)"
    check = await wait_for(lambda: _done(engine, check_id))
    assert check.outcome == Outcome.REPLIED
    with session_scope(engine) as session:
        kinds = [m.kind for m in list_inbound(session=session, check_id=check_id)]
        events = [e.kind for e in list_events(session=session, check_id=check_id)]
    assert kinds == ["auto_reply", "human_reply"]
    assert events == ["planned", "pending", "auto_reply", "result"]


async def test_silence_ends_as_no_reply_only_after_the_reply_window(
    engine: Engine,
    settings,
    orgs: Organisations,
    watcher,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:

    org = orgs.add("never")
    check_id = make_check(engine, address=org.address, spec=FAST)
    await probe_check(engine, settings, check_id, tmp_path / "evidence")
    accepted = datetime.fromisoformat(load_check(engine, check_id).details["accepted_at"])

    assert sweep_email(engine, now=accepted + timedelta(days=1)) == 0
    # Past the 3-working-day norm (3 + a weekend + holidays at most 12 days): still waiting.
    assert sweep_email(engine, now=accepted + timedelta(days=20)) == 0
    assert load_check(engine, check_id).status == CheckStatus.WAITING.value
    # The 30th calendar day after the day of sending has ended.
    assert sweep_email(engine, now=accepted + timedelta(days=31)) == 1

    check = load_check(engine, check_id)
    assert check.outcome == Outcome.NO_REPLY
    deadline = datetime.fromisoformat(check.details["deadline_at"])
    assert accepted + timedelta(days=3) <= deadline <= accepted + timedelta(days=12)
    window = datetime.fromisoformat(check.details["reply_window_ends_at"])
    assert accepted + timedelta(days=30) < window <= accepted + timedelta(days=31)
    assert "suggested_grade" not in check.details


def _norm_deadline(engine: Engine, check_id: int) -> datetime:
    """The end of the third working day after the letter (the organisation has no hours of its
    own, Omsk's zone)."""
    from adapters.email.timing import reply_deadline

    accepted = datetime.fromisoformat(load_check(engine, check_id).details["accepted_at"])
    return reply_deadline(sent_at=accepted, working_days=3, tz="Asia/Omsk", schedule=None)


async def test_a_reply_after_the_norm_inside_the_window_is_replied_and_late(
    engine: Engine,
    settings,
    orgs: Organisations,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """Row 35 of seed 000: the answer came 8 working days after the letter; 2020 counted it.
    The prober's clock is moved past the norm before the answer is read, as if it came then."""
    from tests.servers.mail_fixtures import running_watcher

    org = orgs.add("reply", delay=1.0)
    check_id = make_check(engine, address=org.address, spec=FAST)
    await probe_check(engine, settings, check_id, tmp_path / "evidence")
    deadline = _norm_deadline(engine, check_id)
    later = deadline + timedelta(days=1) - datetime.now(UTC)

    assert sweep_email(engine, now=deadline + timedelta(hours=1)) == 0
    await wait_for(lambda: orgs.replies(org.address))
    async with running_watcher(engine, settings, clock=lambda: utc_now() + later):
        check = await wait_for(lambda: _done(engine, check_id))

    assert check.outcome == Outcome.REPLIED
    assert check.details["late"] is True
    assert check.details["working_days"] >= 4
    assert check.details["latency_hours"] * 3600 >= later.total_seconds()
    assert "suggested_grade" not in check.details


async def test_an_auto_reply_then_the_persons_answer_is_replied_with_the_answers_timing(
    engine: Engine,
    settings,
    orgs: Organisations,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """Row 24 of seed 000: an auto-reply at once, the person's answer 6 working days later.
    The norm passes between the two (the sweeper runs); the answer still ends the check."""
    from tests.servers.mail_fixtures import running_watcher

    org = orgs.add("reply", delay=4.0, auto_reply=True)  # Sieve vacation answers at once
    check_id = make_check(engine, address=org.address, spec=FAST)
    await probe_check(engine, settings, check_id, tmp_path / "evidence")
    async with running_watcher(engine, settings):
        await wait_for(lambda: load_check(engine, check_id).details.get("auto_reply_at"))
    assert not orgs.replies(org.address), "the answer came before the sweep: raise its delay"
    deadline = _norm_deadline(engine, check_id)
    later = deadline + timedelta(days=1) - datetime.now(UTC)

    assert sweep_email(engine, now=deadline + timedelta(hours=1)) == 0
    assert load_check(engine, check_id).status == CheckStatus.WAITING.value
    await wait_for(lambda: orgs.replies(org.address))
    async with running_watcher(engine, settings, clock=lambda: utc_now() + later):
        check = await wait_for(lambda: _done(engine, check_id))

    assert check.outcome == Outcome.REPLIED
    assert check.details["late"] is True
    with session_scope(engine) as session:
        first, answer = list_inbound(session=session, check_id=check_id)
        events = [e.kind for e in list_events(session=session, check_id=check_id)]
    assert (first.kind, answer.kind) == ("auto_reply", "human_reply")
    assert check.details["inbound_id"] == answer.id
    assert check.details["latency_hours"] * 3600 >= later.total_seconds()
    assert {e["sha256"] for e in check.evidence} >= {first.sha256, answer.sha256}
    assert events == ["planned", "pending", "auto_reply", "result"]

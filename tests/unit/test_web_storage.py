"""The review UI's storage functions: accounts, tokens, the queue, contact corrections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.audit import list_audit
from storage.checks import add_review, requeue_check
from storage.corrections import CorrectionError, add_contact, correct_contact
from storage.directory import UpsertStats, upsert_organisation
from storage.engine import session_scope
from storage.models import ApiToken, Campaign, Check, Contact
from storage.review_queue import (
    QueueFilter,
    campaign_progress,
    check_detail,
    review_queue,
    set_campaign_status,
)
from storage.users import (
    UserError,
    create_token,
    create_user,
    get_user_by_username,
    record_failed_login,
    set_active,
    user_for_token,
)
from tests.integration.test_web_support import Seeded, seed


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path / "var")


def _queue(engine: Engine, **filters: object) -> list[int]:
    with session_scope(engine) as db:
        page = review_queue(session=db, filters=QueueFilter(**filters), limit=50)  # type: ignore[arg-type]
        return [row.check.id for row in page.rows if row.check.id is not None]


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [
        ("", "viewer", "empty username"),
        ("ivan petrov", "viewer", "bad username 'ivan petrov': up to 100 characters, no spaces"),
        ("ivan", "boss", "unknown role 'boss'; one of: admin, operator, viewer"),
        ("viewer", "viewer", "user 'viewer' already exists"),
    ],
)
def test_a_bad_account_is_refused_with_the_exact_reason(
    seeded: Seeded, engine: Engine, username: str, role: str, message: str
) -> None:
    with session_scope(engine) as db, pytest.raises(UserError) as error:
        create_user(session=db, username=username, password_hash="x", role=role, actor="t")
    assert str(error.value) == message


def test_the_fifth_wrong_password_locks_the_account_and_is_audited(
    seeded: Seeded, engine: Engine
) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with session_scope(engine) as db:
        user = get_user_by_username(session=db, username="operator")
        assert user is not None
        for _ in range(4):
            record_failed_login(
                session=db, user=user, limit=5, lockout=timedelta(minutes=15), now=now
            )
        assert (user.failed_logins, user.locked_until) == (4, None)
        record_failed_login(session=db, user=user, limit=5, lockout=timedelta(minutes=15), now=now)
        assert (user.failed_logins, user.locked_until) == (0, now + timedelta(minutes=15))
        assert list_audit(session=db, entity="user")[0].action == "lock"


def test_tokens_are_stored_hashed_and_die_with_a_disabled_account(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        user = get_user_by_username(session=db, username="viewer")
        assert user is not None
        clear, token = create_token(session=db, user=user, name="script", actor="t")
        assert clear.startswith("prb_") and clear not in token.token_hash
        assert user_for_token(session=db, token=clear) is user
        set_active(session=db, user=user, active=False, actor="t")
        assert user_for_token(session=db, token=clear) is None
        revoked = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
        assert all(t.revoked for t in revoked)


def test_the_queue_skips_judged_answers_and_failures_with_a_newer_attempt(
    seeded: Seeded, engine: Engine
) -> None:
    assert _queue(engine) == [
        seeded.no_answer_id, seeded.replied_id, seeded.busy_id, seeded.connected_id
    ]  # fmt: skip
    assert seeded.judged_id not in _queue(engine) and seeded.retried_id not in _queue(engine)


def test_a_verdict_or_a_requeue_takes_a_failure_out_of_the_queue(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        add_review(
            session=db, author="op", field="verdict", value="confirmed", check_id=seeded.busy_id
        )
        check = db.get(Check, seeded.no_answer_id)
        assert check is not None
        requeue_check(session=db, check=check, actor="op", reason="again")
    assert _queue(engine) == [seeded.replied_id, seeded.connected_id]


def test_queue_pages_follow_the_check_id_and_refuse_a_silly_size(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        first = review_queue(session=db, filters=QueueFilter(), limit=3)
        assert first.next_after == seeded.busy_id
        rest = review_queue(session=db, filters=QueueFilter(), after=first.next_after, limit=3)
        assert [r.check.id for r in rest.rows] == [seeded.connected_id]
        assert rest.next_after is None
        with pytest.raises(ValueError) as error:
            review_queue(session=db, filters=QueueFilter(), limit=500)
    assert str(error.value) == "page size must be between 1 and 200, not 500"


def test_queue_rows_say_what_the_operator_must_do(seeded: Seeded, engine: Engine) -> None:
    with session_scope(engine) as db:
        rows = review_queue(session=db, filters=QueueFilter(), limit=10).rows
    needs = {row.check.id: row.needs for row in rows}
    assert needs == {
        seeded.no_answer_id: ["verdict"],
        seeded.replied_id: ["grade"],
        seeded.busy_id: ["verdict"],
        seeded.connected_id: ["etiquette", "transfers", "grade"],
    }


def test_a_call_stays_in_the_queue_until_everyone_who_answered_is_judged(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        for field, value in (("transfers", "once"), ("grade", "good"), ("etiquette", "full,")):
            add_review(
                session=db, author="op", field=field, value=value, check_id=seeded.connected_id
            )
    assert seeded.connected_id in _queue(engine)
    with session_scope(engine) as db:
        detail = check_detail(session=db, check_id=seeded.connected_id)
        assert detail is not None and detail.needs == ["etiquette"]
        (row,) = [r for r in review_queue(session=db, filters=QueueFilter()).rows
                  if r.check.id == seeded.connected_id]  # fmt: skip
        assert row.needs == ["etiquette"]
        add_review(
            session=db, author="op", field="etiquette", value="full,none",
            check_id=seeded.connected_id,
        )  # fmt: skip
    assert seeded.connected_id not in _queue(engine)
    with session_scope(engine) as db:
        detail = check_detail(session=db, check_id=seeded.connected_id)
        assert detail is not None and detail.needs == []


def test_campaign_progress_counts_by_status_channel_and_outcome(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        (progress,) = campaign_progress(session=db)
    assert (progress.total, progress.done, progress.failed) == (7, 7, 4)
    assert dict(progress.by_channel["phone"]) == {"done": 6}
    assert progress.by_outcome["busy"] == 2 and progress.by_outcome["connected"] == 2


def test_a_corrected_contact_becomes_a_new_one_and_the_old_one_points_to_it(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        old = db.get(Contact, seeded.phone_contact_id)
        assert old is not None
        new, reactivated = correct_contact(
            session=db, contact=old, kind="wrong", raw="8 3812 35 70 09", value="+73812357009",
            extension=None, actor="op", reason="с сайта",
        )  # fmt: skip
        assert not reactivated
        assert (old.active, old.superseded_by_id) == (False, new.id)
        assert (new.key, new.organisation_id, new.channel) == (
            "+73812357009",
            old.organisation_id,
            "phone",
        )
        audit = list_audit(session=db, entity="contact")[0]
        assert (audit.actor, audit.action, audit.entity_id) == ("op", "correct_wrong", str(old.id))


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("typo", "+73812357009", "unknown correction 'typo'; one of: wrong, outdated"),
        ("wrong", "+73812357000", "the organisation already has this contact: +73812357000 (#1)"),
    ],
)
def test_a_bad_correction_is_refused(
    seeded: Seeded, engine: Engine, kind: str, value: str, message: str
) -> None:
    with session_scope(engine) as db:
        old = db.get(Contact, seeded.phone_contact_id)
        assert old is not None
        with pytest.raises(CorrectionError) as error:
            correct_contact(
                session=db, contact=old, kind=kind, raw=value, value=value, extension=None,
                actor="op",
            )  # fmt: skip
    assert str(error.value) == message


def test_an_added_contact_outlives_a_re_import(seeded: Seeded, engine: Engine) -> None:
    with session_scope(engine) as db:
        added, reactivated = add_contact(
            session=db, organisation_id=seeded.rostov_id, channel="web", raw="Rostov.ru",
            value="https://rostov.ru/", extension=None, actor="op", reason="звонок",
        )  # fmt: skip
        assert not reactivated
        audit = list_audit(session=db, entity="contact")[0]
        assert (audit.action, audit.entity_id) == ("add_contact", str(added.id))
        # The directory file has no website for it: the operator's addition stays.
        _import_rostov_without_contacts(db)
        assert db.get(Contact, added.id).active  # type: ignore[union-attr]


def _import_rostov_without_contacts(db: Session) -> None:
    upsert_organisation(
        session=db,
        values={"key": "rostov:one", "name": "Центр соцобслуживания Ростова",
                "region": "rostov", "timezone": "Europe/Moscow", "short_name": ""},
        contacts=[], actor="import", stats=UpsertStats(),
    )  # fmt: skip


def test_a_replaced_contact_added_again_is_switched_back_on_with_an_audit_row(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        old = db.get(Contact, seeded.phone_contact_id)
        assert old is not None
        replacement, _ = correct_contact(
            session=db, contact=old, kind="outdated", raw="+73812357009", value="+73812357009",
            extension=None, actor="op",
        )  # fmt: skip
        again, reactivated = add_contact(
            session=db, organisation_id=old.organisation_id, channel="phone", raw="35-70-00",
            value=old.key, extension=None, actor="op2", reason="снова отвечает",
        )  # fmt: skip
        assert reactivated and again.id == old.id
        assert (old.active, old.superseded_by_id, old.source) == (
            True, None, "operator addition by op2",
        )  # fmt: skip
        assert old.raw != "35-70-00"  # as published, not as typed again
        assert db.get(Contact, replacement.id).active  # type: ignore[union-attr]
        audit = list_audit(session=db, entity="contact")[0]
        assert (audit.actor, audit.action, audit.entity_id) == (
            "op2",
            "reactivate_contact",
            str(old.id),
        )
        assert audit.before is not None and audit.after is not None
        assert (audit.before["active"], audit.before["superseded_by_id"]) == (False, replacement.id)
        assert (audit.after["active"], audit.after["reason"]) == (True, "снова отвечает")
        # Active again: a second addition is refused as a contact it has.
        with pytest.raises(CorrectionError) as error:
            add_contact(
                session=db, organisation_id=old.organisation_id, channel="phone", raw=old.raw,
                value=old.key, extension=None, actor="op",
            )  # fmt: skip
    assert error.value.reason == "has"


def test_a_contact_a_re_import_switched_off_added_again_outlives_the_next_re_import(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        _import_rostov_without_contacts(db)
        (phone,) = db.exec(select(Contact).where(Contact.organisation_id == seeded.rostov_id)).all()
        assert not phone.active
        again, reactivated = add_contact(
            session=db, organisation_id=seeded.rostov_id, channel="phone", raw=phone.raw,
            value=phone.key, extension=None, actor="op", reason="номер работает",
        )  # fmt: skip
        assert reactivated and again.id == phone.id and phone.active
        _import_rostov_without_contacts(db)
        assert phone.active


def test_a_correction_to_a_value_the_organisation_had_switches_that_contact_back_on(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        first = db.get(Contact, seeded.phone_contact_id)
        assert first is not None
        second, _ = correct_contact(
            session=db, contact=first, kind="wrong", raw="+73812357009", value="+73812357009",
            extension=None, actor="op",
        )  # fmt: skip
        # The first number was right after all: the second is corrected back to it.
        back, reactivated = correct_contact(
            session=db, contact=second, kind="wrong", raw="+73812357000", value=first.key,
            extension=None, actor="op", reason="перепутали",
        )  # fmt: skip
        assert reactivated and back.id == first.id
        assert (first.active, first.superseded_by_id) == (True, None)
        assert (second.active, second.superseded_by_id) == (False, first.id)
        actions = [a.action for a in list_audit(session=db, entity="contact")[:2]]
        assert sorted(actions) == ["correct_wrong", "reactivate_contact"]


def test_an_admin_changes_a_campaigns_status_with_an_audit_row(
    seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as db:
        campaign = db.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        set_campaign_status(session=db, campaign=campaign, status="paused", actor="admin")
        with pytest.raises(ValueError) as error:
            set_campaign_status(session=db, campaign=campaign, status="sleeping", actor="admin")
        audit = list_audit(session=db, entity="campaign")[0]
    assert str(error.value) == (
        "unknown campaign status 'sleeping'; one of: draft, running, paused, done, cancelled"
    )
    assert (audit.before, audit.after) == ({"status": "draft"}, {"status": "paused"})

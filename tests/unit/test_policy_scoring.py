"""R11: the phone channel is "not working" only after every published number had its full set of
attempts by the campaign's policy; until then the organisation is not judged (pending)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from adapters.sip.campaign import CallPolicy
from probe.scoring import score_campaign
from probe.scoring.model import Protocol5Row
from probe.scoring.names import Outcome
from probe.scoring.rules import CALL_POLICY_DEFAULTS
from storage.checks import create_check
from storage.models import Contact
from tests.scoring_helpers import World, world

P5 = "Протокол 5, таблица 1"


def _second_phone(w: World, org: Any) -> Contact:
    contact = Contact(
        organisation_id=org.id,
        channel="phone",
        key=f"+7381229999{org.id}",
        raw=f"8 (3812) 29-99-9{org.id}",
        value=f"+7381229999{org.id}",
        position=1,
    )
    w.session.add(contact)
    w.session.flush()
    return contact


def _scored(w: World) -> tuple[Protocol5Row, list[str]]:
    score = score_campaign(session=w.session, campaign=w.campaign)
    pending = [p.what for p in score.pending if p.table == P5 and p.columns == "4"]
    return score.protocol5[0], pending


def _campaign_calls(w: World, **calls: Any) -> None:
    w.campaign.spec = {"calls": calls}
    w.session.add(w.campaign)
    w.session.flush()


def test_a_dropped_call_not_yet_rung_again_leaves_the_phone_pending(engine: Engine) -> None:
    # Seed 000 row 6 after its first call: «вызов сброшен»; the checker rang again.
    _session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.REJECTED)
    row, pending = _scored(w)
    assert row.phone.working is None
    assert pending == [f"не все номера получили все попытки: {phone.raw}"]


def test_a_dropped_call_then_a_connection_is_working(engine: Engine) -> None:
    _session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.REJECTED)
    w.check(phone, Outcome.CONNECTED, minutes=11)
    assert _scored(w)[0].phone.working is True


def test_with_never_again_for_dropped_calls_one_dropped_call_is_no(engine: Engine) -> None:
    _session, w = world(engine)
    _campaign_calls(w, rejected_retry_minutes=None)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.REJECTED)
    row, pending = _scored(w)
    assert (row.phone.working, pending) == (False, [])


@pytest.mark.parametrize("outcome", [Outcome.BUSY, Outcome.NO_ANSWER, Outcome.ANSWERING_MACHINE])
def test_a_number_is_judged_after_per_contact_failed_calls(
    engine: Engine, outcome: Outcome
) -> None:
    _session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, outcome)
    w.check(phone, outcome, minutes=15)
    assert _scored(w)[0].phone.working is None
    w.check(phone, outcome, minutes=30)  # the third: per_contact by default
    row, pending = _scored(w)
    assert (row.phone.working, pending) == (False, [])


def test_an_unavailable_number_has_had_its_full_set_at_once(engine: Engine) -> None:
    _session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.UNAVAILABLE)
    assert _scored(w)[0].phone.working is False


def test_a_published_number_never_called_keeps_the_organisation_unjudged(engine: Engine) -> None:
    _session, w = world(engine)
    org, (first, *_) = w.organisation()
    second = _second_phone(w, org)
    for minutes in (0, 15, 30):
        w.check(first, Outcome.NO_ANSWER, minutes=minutes)
    row, pending = _scored(w)
    assert row.phone.working is None
    assert pending == [f"не все номера получили все попытки: {second.raw}"]
    w.check(second, Outcome.UNAVAILABLE, minutes=45)
    assert _scored(w)[0].phone.working is False


def test_an_attempt_still_planned_keeps_the_organisation_unjudged(engine: Engine) -> None:
    _session, w = world(engine)
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.UNAVAILABLE)
    assert w.campaign.id is not None
    create_check(session=w.session, contact=phone, campaign_id=w.campaign.id)
    assert _scored(w)[0].phone.working is None


def test_the_organisations_budget_used_up_is_a_full_set(engine: Engine) -> None:
    _session, w = world(engine)
    _campaign_calls(w, per_contact=3, per_organisation=4)
    org, (first, *_) = w.organisation()
    second = _second_phone(w, org)
    for minutes in (0, 15, 30):
        w.check(first, Outcome.BUSY, minutes=minutes)
    w.check(second, Outcome.BUSY, minutes=45)
    assert _scored(w)[0].phone.working is False


def test_a_historical_campaign_keeps_its_checkers_judgement(engine: Engine) -> None:
    _session, w = world(engine)
    w.campaign.historical = True
    _org, (phone, *_) = w.organisation()
    w.check(phone, Outcome.BUSY)
    assert _scored(w)[0].phone.working is False


def test_scoring_reads_the_policys_own_defaults() -> None:
    defaults = CallPolicy()
    for name, value in CALL_POLICY_DEFAULTS.items():
        own = getattr(defaults, name)
        assert (list(own) if isinstance(own, tuple) else own) == value, name

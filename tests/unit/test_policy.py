"""The attempt policy after each outcome of a call, as the 2020 checkers practised it (seed 000)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from probe.channels import UnknownChannelError
from probe.scoring.names import Outcome
from schedules.policy import Decision, Finished, decide
from schedules.spec import CampaignSpec, CampaignSpecError, parse_campaign
from storage.planning import ContactInput, History

T0 = datetime(2026, 4, 6, 9, 36, tzinfo=UTC)
FIRST, SECOND, THIRD = (ContactInput(n, "phone", n) for n in (1, 2, 3))
FAILING = ["busy", "no_answer", "unavailable", "rejected", "answering_machine"]


def _spec(**calls: Any) -> CampaignSpec:
    return parse_campaign(
        {
            "name": "policy",
            "organisations": {"all": True},
            "channels": ["phone"],
            "start": "2026-04-06",
            "end": "2026-04-17",
            "calls": calls,
        }
    )


def _after(
    outcome: Outcome,
    spec: CampaignSpec | None = None,
    *,
    contacts: tuple[ContactInput, ...] = (FIRST, SECOND),
    history: History | None = None,
) -> Decision:
    if history is None:
        history = History(attempts_by_contact={FIRST.id: 1}, tried={FIRST.id})
    finished = Finished(1, 1, FIRST.id, "phone", outcome, T0)
    return decide(spec or _spec(), finished, contacts, history, rng=random.Random(6))


def test_a_dropped_call_is_rung_again_minutes_later_like_busy() -> None:
    # Seed 000 row 6: «вызов сброшен» at 15.36, the same number again at 15.47, connected.
    decision = _after(Outcome.REJECTED, contacts=(FIRST,))
    assert [r.contact_id for r in decision.retries] == [FIRST.id]
    retry = decision.retries[0]
    assert timedelta(minutes=10) <= retry.earliest - T0 <= timedelta(minutes=20)
    assert retry.reason.startswith("rejected (call dropped): retry in ")
    assert retry.counts_against_organisation


def test_the_dropped_call_interval_is_the_campaigns() -> None:
    decision = _after(Outcome.REJECTED, _spec(rejected_retry_minutes=[11, 11]), contacts=(FIRST,))
    assert [r.earliest - T0 for r in decision.retries] == [timedelta(minutes=11)]


def test_a_campaign_may_keep_never_calling_a_dropped_number_again() -> None:
    decision = _after(Outcome.REJECTED, _spec(rejected_retry_minutes=None), contacts=(FIRST,))
    assert decision.retries == []
    assert decision.notes == ["rejected: no retry on this number; other numbers stay"]


def test_a_dropped_number_is_not_rung_more_than_per_contact_times() -> None:
    history = History(attempts_by_contact={FIRST.id: 3}, tried={FIRST.id})
    decision = _after(Outcome.REJECTED, contacts=(FIRST,), history=history)
    assert decision.retries == []
    assert decision.notes == ["rejected: no retry, 3 attempts on this number reached"]


def test_an_unavailable_number_is_never_called_again() -> None:
    decision = _after(Outcome.UNAVAILABLE, contacts=(FIRST,))
    assert decision.retries == []


@pytest.mark.parametrize("outcome", FAILING)
def test_after_any_failed_call_the_organisations_next_number_comes_now(outcome: str) -> None:
    later = T0 + timedelta(hours=3)  # e.g. pushed to the afternoon by the per-day limit
    history = History(
        attempts_by_contact={FIRST.id: 1}, planned={SECOND.id: (22, later)}, tried={1, 2}
    )
    decision = _after(outcome, history=history)
    assert [(a.check_id, a.earliest) for a in decision.advances] == [
        (22, T0 + timedelta(minutes=3))
    ]
    assert decision.advances[0].reason == f"{outcome} on the previous number: try this one"


def test_a_next_number_already_coming_soon_is_left_alone_and_the_one_after_it_too() -> None:
    soon = T0 + timedelta(minutes=1)
    history = History(
        attempts_by_contact={FIRST.id: 1},
        planned={SECOND.id: (22, soon), THIRD.id: (33, T0 + timedelta(hours=3))},
        tried={1, 2, 3},
    )
    decision = _after(Outcome.NO_ANSWER, contacts=(FIRST, SECOND, THIRD), history=history)
    assert decision.advances == []


def test_a_listed_number_never_tried_gets_its_first_attempt_after_a_failure() -> None:
    # Left out of the plan (listed since it began, or no room that day): the organisation is
    # not judged on the numbers that failed alone.
    decision = _after(Outcome.UNAVAILABLE)
    assert [(r.contact_id, r.earliest) for r in decision.retries] == [
        (SECOND.id, T0 + timedelta(minutes=3))
    ]
    assert decision.retries[0].reason.endswith("(first attempt)")


def test_next_number_after_says_which_outcomes_move_on() -> None:
    later = T0 + timedelta(hours=3)
    history = History(
        attempts_by_contact={FIRST.id: 1}, planned={SECOND.id: (22, later)}, tried={1, 2}
    )
    spec = _spec(next_number_after=["no_answer"])
    assert _after(Outcome.BUSY, spec, history=history).advances == []
    assert len(_after(Outcome.NO_ANSWER, spec, history=history).advances) == 1


@pytest.mark.parametrize(
    ("calls", "message"),
    [
        (
            {"rejected_retry_minutes": [20, 10]},
            "calls: rejected_retry_minutes must be [low, high] with 0 < low <= high",
        ),
        ({"next_number_after": ["connected"]}, "calls.next_number_after.0: Input should be"),
    ],
)
def test_bad_attempt_policy_options_are_refused_with_an_exact_message(
    calls: dict[str, Any], message: str
) -> None:
    with pytest.raises(CampaignSpecError) as error:
        _spec(**calls)
    assert error.value.problems[0].startswith(message)


def test_the_defaults_reproduce_the_2020_practice() -> None:
    calls = _spec().calls
    assert calls.rejected_retry_minutes is not None
    low, high = calls.rejected_retry_minutes
    assert low <= 11 <= high  # row 6: rung again 11 minutes later
    assert sorted(calls.next_number_after) == sorted(FAILING)


def test_the_sandbox_expects_row_6_rung_again_after_its_dropped_call() -> None:
    from probe.sandbox.world import expected_phone_outcomes, load_world

    row_6 = next(o for o in load_world().organisations if o.protocol_row == 6)
    assert [expected_phone_outcomes(p, per_contact=3) for p in row_6.phones] == [
        ["rejected", "connected"]
    ]


def test_an_unknown_channel_is_refused_never_taken_for_email() -> None:
    contacts = [ContactInput(1, "fax", 0), ContactInput(2, "fax", 1)]
    finished = Finished(1, 1, 1, "fax", Outcome.BOUNCED, T0)
    with pytest.raises(UnknownChannelError, match=r"unknown channel 'fax'; available: .*email"):
        decide(_spec(), finished, contacts, History(), rng=random.Random(1))

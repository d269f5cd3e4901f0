"""Each channel's campaign section and its concurrency class's policy (probe.policies): the
phone's `calls`, the e-mail's `email`, the web probe's class defaults, and the retry rules a
parallel channel declares."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from probe.policies import OnePerOrganisationPolicy, ParallelPolicy, campaign_sections
from schedules.policy import Decision, Finished, decide
from schedules.spec import CampaignSpec, CampaignSpecError, parse_campaign
from storage.planning import ContactInput, History

T0 = datetime(2026, 4, 6, 9, 36, tzinfo=UTC)


def _spec(**fields: Any) -> CampaignSpec:
    return parse_campaign(
        {
            "name": "policies",
            "organisations": {"all": True},
            "channels": ["phone", "email", "web"],
            "start": "2026-04-06",
            "end": "2026-04-17",
            **fields,
        }
    )


def _after(
    channel: str,
    outcome: str,
    spec: CampaignSpec | None = None,
    *,
    attempts: int = 1,
    failures: int = 0,
    contacts: tuple[int, ...] = (1,),
) -> Decision:
    history = History(
        attempts_by_contact={1: attempts} if attempts else {},
        our_failures_by_contact={1: failures} if failures else {},
        tried={1},
    )
    listed = [ContactInput(n, channel, n) for n in contacts]
    finished = Finished(1, 1, 1, channel, outcome, T0)
    return decide(spec or _spec(), finished, listed, history, rng=random.Random(3))


def test_an_unreachable_website_is_tried_again_60_to_90_minutes_later() -> None:
    # adapters/web declares RetryRule("site_unreachable", minutes=(60, 90)).
    decision = _after("web", "site_unreachable")
    assert [r.contact_id for r in decision.retries] == [1]
    retry = decision.retries[0]
    assert timedelta(minutes=60) <= retry.earliest - T0 <= timedelta(minutes=90)
    assert retry.counts_against_organisation
    assert retry.reason.startswith("site_unreachable: retry in ")


def test_a_website_is_tried_at_most_max_send_attempts_times() -> None:
    decision = _after("web", "site_unreachable", attempts=3)
    assert decision.retries == []
    assert decision.notes == ["site_unreachable: no retry, 3 attempts reached"]
    checked = _after("web", "site_checked")
    assert checked.retries == [] and checked.notes == []


def test_our_failure_on_a_website_is_retried_without_holding_it_against_anyone() -> None:
    decision = _after("web", "failed", attempts=0, failures=1)
    assert [(r.earliest - T0, r.counts_against_organisation) for r in decision.retries] == [
        (timedelta(minutes=10), False)
    ]


def test_a_bounce_moves_to_the_next_address_unless_the_campaign_says_no() -> None:
    decision = _after("email", "bounced", contacts=(1, 2))
    assert [(r.contact_id, r.earliest) for r in decision.retries] == [(2, T0)]
    off = _spec(email={"next_address_on_bounce": False})
    assert _after("email", "bounced", off, contacts=(1, 2)).retries == []
    assert _after("email", "no_reply", contacts=(1, 2)).retries == []


def test_a_failed_send_is_retried_up_to_max_send_attempts() -> None:
    spec = _spec(email={"max_send_attempts": 2, "our_failure_retry_minutes": 7})
    again = _after("email", "send_failed", spec, attempts=0, failures=1)
    assert [r.earliest - T0 for r in again.retries] == [timedelta(minutes=7)]
    stopped = _after("email", "send_failed", spec, attempts=0, failures=2)
    assert stopped.retries == []
    assert stopped.notes == ["send_failed 2 times: stopped, needs an operator"]


def test_each_channel_reads_its_own_section_or_its_class_defaults() -> None:
    spec = _spec(calls={"per_contact": 2}, email={"reply_window_days": 20})
    phone, email, web = (spec.policy(c) for c in ("phone", "email", "web"))
    assert isinstance(phone, OnePerOrganisationPolicy) and phone.per_contact == 2
    assert isinstance(email, ParallelPolicy) and email.model_dump()["reply_window_days"] == 20
    assert type(web) is ParallelPolicy and web == ParallelPolicy()
    # The test channel plays calls: it reads the phone's section.
    assert spec.policy("test") is phone
    assert {"calls", "email"} <= set(campaign_sections())


def test_the_channels_limits_keep_their_keys_and_defaults() -> None:
    spec = _spec(limits={"calls_in_parallel": 2})
    assert spec.limits.in_parallel("phone") == 2
    assert spec.limits.in_parallel("test") == 2  # the same key
    assert spec.limits.per_minute("email") == 30  # the channel's default
    assert spec.limits.in_parallel("web") == 4  # declared, no campaign key
    assert spec.limits.in_parallel("email") is None
    assert spec.model_dump(mode="json")["limits"]["calls_in_parallel"] == 2


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"calls": {"bogus": 1}}, "calls.bogus: unknown field"),
        ({"email": {"per_contact": 3}}, "email.per_contact: unknown field"),
        ({"web": {}}, "web: unknown field"),
        ({"limits": {"calls_in_paralel": 2}}, "limits.calls_in_paralel: unknown field"),
        (
            {"limits": {"emails_per_minute": 0}},
            "limits.emails_per_minute: Input should be greater than or equal to 1",
        ),
    ],
)
def test_an_undeclared_field_or_section_is_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(CampaignSpecError) as error:
        _spec(**fields)
    assert error.value.problems == [problem]

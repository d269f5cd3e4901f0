"""What to do after an attempt: the protocol's manual practice (seed 000) as rules.

Calls (one at a time per organisation): busy or dropped ("rejected", seed 000 row 6) -> the
same number again after 10-20 minutes; no answer or answering machine -> again later or the
next working day; unavailable -> never this number again. After any of these the
organisation's next number is called now (an untried one gets its first attempt), so every
listed number is tried before the organisation is
judged (`next_number_after`). Letters and websites: the channel's rule after the outcome (a
website unreachable -> again 60-90 minutes later; a bounce on an address -> the organisation's
next address). Our own failures are retried without counting against the organisation. The
rules are the channel's (`RetryRule`); the numbers, the campaign's section for the channel
(`CampaignSpec.policy`, probe.policies). Every decision carries the sentence recorded in the
timeline.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from probe.channels import (
    RetryRule,
    UnknownChannelError,
    channel_spec,
    our_failure_outcomes,
    outcome_spec,
)
from probe.policies import ChannelPolicy, OnePerOrganisationPolicy, ParallelPolicy
from schedules.spec import CampaignSpec
from storage.planning import ContactInput, History

MAX_OUR_FAILURE_RETRIES = 5


@dataclass(frozen=True)
class Finished:
    check_id: int
    organisation_id: int
    contact_id: int
    channel: str
    outcome: str
    finished_at: datetime


@dataclass(frozen=True)
class Retry:
    contact_id: int
    earliest: datetime
    reason: str
    counts_against_organisation: bool = True


@dataclass(frozen=True)
class Advance:
    """Bring an already planned attempt forward (the next number after no answer)."""

    check_id: int
    earliest: datetime
    reason: str


@dataclass
class Decision:
    retries: list[Retry] = field(default_factory=list)
    advances: list[Advance] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def decide(
    spec: CampaignSpec,
    finished: Finished,
    contacts: Sequence[ContactInput],
    history: History,
    *,
    rng: random.Random,
) -> Decision:
    """Raises UnknownChannelError for a channel no plugin serves (never taken for another)."""
    channel = channel_spec(finished.channel)
    policy = spec.policy(finished.channel)
    if isinstance(policy, OnePerOrganisationPolicy):
        return _after_call(spec, policy, finished, contacts, history, rng)
    if isinstance(policy, ParallelPolicy):
        return _after_parallel(policy, finished, contacts, history, rng)
    raise UnknownChannelError(f"channel {finished.channel!r}: no policy for {channel.concurrency}")


def _retry_rule(channel: str, outcome: str) -> RetryRule | None:
    """The channel's retry rule after `outcome` (its spec's `retry`), if it declares one."""
    return next((r for r in channel_spec(channel).retry if r.outcome == outcome), None)


def _after_call(
    spec: CampaignSpec,
    policy: OnePerOrganisationPolicy,
    done: Finished,
    contacts: Sequence[ContactInput],
    history: History,
    rng: random.Random,
) -> Decision:
    decision = Decision()
    outcome = done.outcome
    if outcome in our_failure_outcomes():
        return _retry_our_failure(decision, done, history, policy.our_failure_retry_minutes)
    if outcome_spec(done.channel, outcome).success:
        decision.notes.append(f"{outcome}: no further attempt on this number")
        return decision
    wanted = _rule_retry(policy, done, rng)
    if wanted is None:
        decision.notes.append(f"{outcome}: no retry on this number; other numbers stay")
    else:
        earliest, why = wanted
        blocked = _limit_reached(policy, done.contact_id, history)
        if blocked:
            decision.notes.append(f"{outcome}: no retry, {blocked}")
        else:
            decision.retries.append(Retry(done.contact_id, earliest, why))
    if outcome in policy.next_number_after:
        _advance_next_number(decision, spec, done, contacts, history)
    return decision


def _rule_retry(
    policy: ChannelPolicy, done: Finished, rng: random.Random
) -> tuple[datetime, str] | None:
    """The channel's rule says whether to retry; the campaign's section for the channel may
    change when (the field the rule names), or turn it off."""
    rule = _retry_rule(done.channel, done.outcome)
    if rule is None or rule.minutes is None:
        return None  # the channel retries nothing after it
    if rule.campaign_switch is not None and not getattr(policy, rule.campaign_switch, True):
        return None
    wanted = rule.minutes
    if rule.campaign_minutes is not None:
        wanted = getattr(policy, rule.campaign_minutes, rule.minutes)
    if wanted is None:
        return None  # the campaign turned this retry off
    # A [low, high] pair is jittered; a number is exact.
    minutes = rng.uniform(*wanted) if isinstance(wanted, tuple) else wanted
    reason = rule.reason.format(outcome=done.outcome, minutes=minutes)
    return done.finished_at + timedelta(minutes=minutes), reason


def _limit_reached(
    policy: OnePerOrganisationPolicy, contact_id: int, history: History
) -> str | None:
    if history.attempts_by_contact.get(contact_id, 0) >= policy.per_contact:
        return f"{policy.per_contact} attempts on this number reached"
    if history.organisation_attempts + len(history.planned) >= policy.per_organisation:
        return f"{policy.per_organisation} attempts on this organisation reached"
    return None


def _advance_next_number(
    decision: Decision,
    spec: CampaignSpec,
    done: Finished,
    contacts: Sequence[ContactInput],
    history: History,
) -> None:
    """The next listed number now: its planned attempt brought forward, or, when it was never
    tried (left out of the plan, listed since), a first attempt."""
    earliest = done.finished_at + timedelta(minutes=spec.limits.quiet_minutes)
    why = f"{done.outcome} on the previous number: try this one"
    for contact in sorted(contacts, key=lambda c: c.position):
        if contact.channel != done.channel or contact.id == done.contact_id:
            continue
        planned = history.planned.get(contact.id)
        if planned:  # already coming soon enough, or brought forward
            if planned[1] is None or planned[1] > earliest:
                decision.advances.append(Advance(planned[0], earliest, why))
            return
        if contact.id not in history.tried:
            decision.retries.append(Retry(contact.id, earliest, f"{why} (first attempt)"))
            return


def _retry_our_failure(
    decision: Decision, done: Finished, history: History, minutes: int
) -> Decision:
    failures = history.our_failures_by_contact.get(done.contact_id, 0)
    if failures > MAX_OUR_FAILURE_RETRIES:
        decision.notes.append(
            f"{done.outcome} (our side) {failures} times: stopped, needs an operator"
        )
        return decision
    decision.retries.append(
        Retry(
            done.contact_id,
            done.finished_at + timedelta(minutes=minutes * failures),
            f"{done.outcome} on our side: retry in {minutes * failures} min "
            "(not held against the organisation)",
            counts_against_organisation=False,
        )
    )
    return decision


def _after_parallel(
    policy: ParallelPolicy,
    done: Finished,
    contacts: Sequence[ContactInput],
    history: History,
    rng: random.Random,
) -> Decision:
    """Letters, websites: our failure again up to `max_send_attempts`; the channel's rule for
    the outcome: the same contact again after its minutes (up to `max_send_attempts`
    attempts), the organisation's next untried contact now (an e-mail's bounce)."""
    decision = Decision()
    if done.outcome in our_failure_outcomes():
        failures = history.our_failures_by_contact.get(done.contact_id, 0)
        if failures < policy.max_send_attempts:
            return _retry_our_failure(decision, done, history, policy.our_failure_retry_minutes)
        decision.notes.append(f"{done.outcome} {failures} times: stopped, needs an operator")
        return decision
    wanted = _rule_retry(policy, done, rng)
    if wanted is not None:
        earliest, why = wanted
        attempts = history.attempts_by_contact.get(done.contact_id, 0)
        if attempts >= policy.max_send_attempts:
            decision.notes.append(f"{done.outcome}: no retry, {attempts} attempts reached")
        else:
            decision.retries.append(Retry(done.contact_id, earliest, why))
    rule = _retry_rule(done.channel, done.outcome)
    if rule is None or not rule.next_contact:
        return decision
    if rule.next_contact_switch and not getattr(policy, rule.next_contact_switch, True):
        return decision
    for contact in sorted(contacts, key=lambda c: c.position):
        if contact.channel == done.channel and contact.id not in history.tried:
            decision.retries.append(
                Retry(contact.id, done.finished_at, f"{done.outcome}: try the next contact")
            )
            return decision
    decision.notes.append(f"{done.outcome}: no other contact listed")
    return decision

"""The initial plan of a campaign: every organisation's first attempts, spread over its windows.

Pure: plain data in, plain data out, so it can be reviewed (`probe campaign plan --json`),
tested with fixed clocks and benchmarked without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from probe.channels import one_per_organisation
from probe.policies import OnePerOrganisationPolicy
from schedules.skips import Skip, skipped
from schedules.spec import CampaignSpec
from schedules.windows import Windows, always_windows, organisation_windows
from storage.planning import ContactInput, OrganisationInput, PlannedAttempt

_GOLDEN = 0.6180339887498949


@dataclass
class PlanResult:
    attempts: list[PlannedAttempt] = field(default_factory=list)
    # Organisations that cannot be probed, with the reason (no window, no contact).
    skipped: list[tuple[int, Skip]] = field(default_factory=list)


def windows_for(spec: CampaignSpec, org: OrganisationInput) -> Windows:
    if spec.windows == "always":
        return always_windows(spec.start, spec.end)
    return organisation_windows(
        tz=org.timezone,
        hours=org.hours,
        hours_key=org.hours_key,
        first=spec.start,
        last=spec.end,
        after_open_minutes=spec.margins.after_opening_minutes,
        before_close_minutes=spec.margins.before_closing_minutes,
    )


def plan_campaign(
    spec: CampaignSpec, organisations: Iterable[OrganisationInput], *, now: datetime
) -> PlanResult:
    """First attempts: every listed number; the primary address of each organisation.

    Organisations are spread over their windows by a low-discrepancy sequence, so a campaign
    over several days does not fire everything at opening time. An organisation's numbers are
    called one after another, a quiet period apart, at most `per_organisation_per_day` a day.
    """
    result = PlanResult()
    not_before = now.timestamp()
    quiet = max(spec.limits.quiet_minutes * 60.0, 1.0)
    orgs = list(organisations)
    for index, org in enumerate(orgs):
        windows = windows_for(spec, org)
        if not windows.starts or windows.ends[-1] <= not_before:
            result.skipped.append((org.id, skipped("no_window")))
            continue
        chosen = _first_attempt_contacts(spec, org.contacts)
        if not chosen:
            result.skipped.append((org.id, skipped("no_contact")))
            continue
        fraction = ((index + spec.seed) * _GOLDEN) % 1.0 if spec.spread == "even" else 0.0
        # Leave room after the start for the organisation's other numbers.
        room = max(windows.total - 2 * quiet * len(chosen), 0.0)
        start = windows.at_offset(fraction * room)
        start = windows.first_open_at_or_after(max(start, not_before)) or windows.starts[0]
        for channel in spec.channels:
            contacts = [c for c in chosen if c.channel == channel]
            _place_sequence(result, spec, org, windows, contacts, start, quiet)
    return result


def _first_attempt_contacts(
    spec: CampaignSpec, contacts: Sequence[ContactInput]
) -> list[ContactInput]:
    chosen: list[ContactInput] = []
    for channel in spec.channels:
        mine = sorted((c for c in contacts if c.channel == channel), key=lambda c: c.position)
        if one_per_organisation(channel):
            chosen.extend(mine)
        elif mine:
            chosen.append(mine[0])  # letters: the primary address; the next only on a bounce
    return chosen


def _per_day(spec: CampaignSpec, channel: str) -> int | None:
    """Attempts a day on one organisation, for a call-like channel (its campaign section)."""
    policy = spec.policy(channel)
    return policy.per_organisation_per_day if isinstance(policy, OnePerOrganisationPolicy) else None


def _place_sequence(
    result: PlanResult,
    spec: CampaignSpec,
    org: OrganisationInput,
    windows: Windows,
    contacts: list[ContactInput],
    start: float,
    quiet: float,
) -> None:
    instant: float | None = start
    zone = ZoneInfo(org.timezone)
    placed_today, today = 0, None
    for number, contact in enumerate(contacts):
        if instant is None:
            result.skipped.append((org.id, skipped("contact_no_window", contact=contact.id)))
            continue
        day = datetime.fromtimestamp(instant, zone).date()
        if day != today:
            placed_today, today = 0, day
        per_day = _per_day(spec, contact.channel)
        if per_day is not None and placed_today >= per_day:
            instant = windows.next_day_start_after(instant, org.timezone)
            if instant is None:
                result.skipped.append((org.id, skipped("contact_no_window", contact=contact.id)))
                continue
            placed_today, today = 0, datetime.fromtimestamp(instant, zone).date()
        reason = (
            "first attempt: primary contact"
            if number == 0
            else f"first attempt: listed contact {number + 1}, {spec.limits.quiet_minutes:g} "
            "min after the previous one"
        )
        result.attempts.append(
            PlannedAttempt(
                organisation_id=org.id,
                contact_id=contact.id,
                channel=contact.channel,
                planned_at=datetime.fromtimestamp(instant, UTC),
                reason=reason,
            )
        )
        placed_today += 1
        following = windows.first_open_at_or_after(instant + quiet)
        instant = following

"""Which operator judgements a check admits: its outcome after the operator's verdict decides.

Etiquette and transfers need a person who answered; a grade needs a consultation that happened
(a connected call, a replied letter). A note and a verdict fit any check.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from probe.channels import UnknownChannelError, all_specs, channel_spec
from probe.reviews import ReviewField
from storage.models import Check, Review
from storage.published import flagged_checks

ANY_CHECK_JUDGEMENTS: tuple[str, ...] = (ReviewField.NOTE.value, ReviewField.VERDICT.value)


def owned_judgements() -> dict[str, tuple[str, ...]]:
    """Outcome -> the review fields an operator owns after it (Protocol 6 columns: etiquette,
    transfers and grade after a connected call), as the channels declare them. An outcome's
    name means the same in every channel."""
    return {o.name: o.judgements for s in all_specs() for o in s.outcomes if o.judgements}


def applicable_judgements(outcome: str | None) -> tuple[str, ...]:
    """The review fields a check with this (current) outcome may be judged on: who answered and
    how only where a person answered, a grade only for a consultation that happened (the
    channels' declarations), a note and a verdict on any."""
    for spec in all_specs():
        for declared in spec.outcomes:
            if declared.name == outcome:
                return declared.judgements + declared.also_judged + ANY_CHECK_JUDGEMENTS
    return ANY_CHECK_JUDGEMENTS


def current_outcome(check: Check, verdicts: Sequence[Review]) -> str | None:
    """The check's outcome after the newest valid operator verdict (scoring's rule R4)."""
    try:
        allowed = channel_spec(check.channel).outcome_names
    except UnknownChannelError:
        allowed = frozenset()
    valid = [
        v
        for v in verdicts
        if v.field == ReviewField.VERDICT.value and (v.value == "confirmed" or v.value in allowed)
    ]
    if valid:
        newest = max(valid, key=lambda v: (v.created_at, v.id or 0))
        if newest.value != "confirmed":
            return newest.value
    return check.outcome


def refresh_effective_outcome(*, session: Session, check: Check) -> None:
    """Set the check's stored effective outcome from its automatic one and its verdicts: on the
    result path (storage.checks.record_result) and after every verdict (add_review)."""
    verdicts: Sequence[Review] = []
    if check.id is not None:
        verdicts = session.exec(
            select(Review).where(
                Review.check_id == check.id, Review.field == ReviewField.VERDICT.value
            )
        ).all()
    effective = current_outcome(check, verdicts)
    if check.effective_outcome != effective:
        check.effective_outcome = effective
        session.add(check)


def effective_outcomes(*, session: Session, checks: Sequence[Check]) -> dict[int, str | None]:
    """Check id -> its outcome after the operator's verdict (`current_outcome`), for a list."""
    ids = [c.id for c in checks if c.id is not None]
    verdicts: dict[int, list[Review]] = {}
    if ids:
        found = session.exec(
            select(Review).where(
                col(Review.check_id).in_(ids), Review.field == ReviewField.VERDICT.value
            )
        )
        for review in found:
            verdicts.setdefault(review.check_id or 0, []).append(review)
    return {c.id: current_outcome(c, verdicts.get(c.id, [])) for c in checks if c.id is not None}


class JudgementError(ValueError):
    """A judgement that cannot apply to the check's outcome (etiquette on an unanswered call)."""

    def __init__(self, field: str, outcome: str | None) -> None:
        super().__init__(f"{field} does not apply to a check with outcome {outcome!r}")
        self.field = field
        self.outcome = outcome


def refuse_inapplicable(*, session: Session, check: Check, field: str) -> None:
    """Raise JudgementError unless `field` applies to the check's current outcome."""
    verdicts = session.exec(
        select(Review).where(Review.check_id == check.id, Review.field == ReviewField.VERDICT.value)
    ).all()
    outcome = current_outcome(check, verdicts)
    if field == ReviewField.DIRECTORY.value and check.id in flagged_checks(session, [check.id]):
        return  # it found contacts the directory lacks (storage.published)
    if field not in applicable_judgements(outcome):
        raise JudgementError(field, outcome)

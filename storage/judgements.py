"""Which operator judgements a check admits: its outcome after the operator's verdict decides.

Etiquette and transfers need a person who answered; a grade needs a consultation that happened
(a connected call, a replied letter). A note and a verdict fit any check.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from probe.results import OUTCOMES_BY_CHANNEL, Channel, Outcome
from probe.reviews import ReviewField
from storage.models import Check, Review

# The Protocol 6 columns an operator owns, per successful outcome.
PHONE_JUDGEMENTS: tuple[str, ...] = (
    ReviewField.ETIQUETTE.value,
    ReviewField.TRANSFERS.value,
    ReviewField.GRADE.value,
)
EMAIL_JUDGEMENTS: tuple[str, ...] = (ReviewField.GRADE.value,)
# The judgements that can apply to a check, by its outcome after the operator's verdict: who
# answered and how only where a person answered, a grade only for a consultation that happened.
JUDGEMENTS_BY_OUTCOME: dict[str, tuple[str, ...]] = {
    Outcome.CONNECTED.value: (*PHONE_JUDGEMENTS, ReviewField.CALL_NOTE.value),
    Outcome.REPLIED.value: EMAIL_JUDGEMENTS,
}
ANY_CHECK_JUDGEMENTS: tuple[str, ...] = (ReviewField.NOTE.value, ReviewField.VERDICT.value)


def applicable_judgements(outcome: str | None) -> tuple[str, ...]:
    """The review fields a check with this (current) outcome may be judged on."""
    return JUDGEMENTS_BY_OUTCOME.get(outcome or "", ()) + ANY_CHECK_JUDGEMENTS


def current_outcome(check: Check, verdicts: Sequence[Review]) -> str | None:
    """The check's outcome after the newest valid operator verdict (scoring's rule R4)."""
    channel = Channel(check.channel) if check.channel in set(Channel) else None
    allowed = OUTCOMES_BY_CHANNEL[channel] if channel is not None else frozenset()
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
    if field not in applicable_judgements(outcome):
        raise JudgementError(field, outcome)

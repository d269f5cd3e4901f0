"""One organisation's checks and reviews within a campaign, with the R4 outcomes applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from probe.reviews import ReviewField
from probe.scoring.data import CampaignData, CheckRow, ContactRow, OrganisationRow, ReviewRow
from probe.scoring.model import Judged, Pending
from probe.scoring.rules import effective_outcome, newest

_LATEST = datetime.max.replace(tzinfo=UTC)


def _when(check: CheckRow) -> tuple[datetime, int]:
    return (check.started_at or _LATEST, check.id)


class OrganisationView:
    def __init__(self, *, data: CampaignData, organisation: OrganisationRow, number: int) -> None:
        self.data = data
        self.org = organisation
        self.id = organisation.id
        self.number = number
        self.zone = organisation.timezone
        self.checks = sorted(data.checks_by_org.get(self.id, []), key=_when)
        self.org_reviews = data.org_reviews.get(self.id, [])
        self.pending: list[Pending] = []
        self.outcomes: dict[int, str | None] = {
            c.id: effective_outcome(c.channel, c.outcome, self.reviews_of(c, ReviewField.VERDICT))
            for c in self.checks
        }

    @property
    def name(self) -> str:
        """As the campaign's own document wrote it (an imported protocol), else the directory's."""
        spec = self.data.campaign.spec
        written = spec.get("names_as_written") if isinstance(spec, dict) else None
        if isinstance(written, dict):
            name = written.get(str(self.id))
            if isinstance(name, str) and name:
                return name
        return self.org.name

    def contacts(self) -> list[ContactRow]:
        return self.data.contacts_by_org.get(self.id, [])

    def contact(self, check: CheckRow) -> ContactRow | None:
        return self.data.contacts.get(check.contact_id)

    def reviews_of(self, check: CheckRow, field: ReviewField) -> Sequence[ReviewRow]:
        return self.data.check_field_reviews.get((check.id, field), [])

    def of_channel(self, channel: str) -> Iterator[CheckRow]:
        return (c for c in self.checks if c.channel == channel)

    def outcome(self, check: CheckRow) -> str | None:
        return self.outcomes.get(check.id)

    def judged(self, field: ReviewField, channel: str, *, org_level: bool = True) -> Judged:
        """R6: the organisation-level review wins, then the newest on the channel's checks."""
        if org_level:
            review = newest(r for r in self.org_reviews if r.field == field)
            if review is not None:
                return Judged(review.value, f"отметка {review.id} ({review.author}), организация")
        on_checks = (r for c in self.of_channel(channel) for r in self.reviews_of(c, field))
        review = newest(on_checks)
        if review is not None:
            return Judged(
                review.value, f"отметка {review.id} ({review.author}), попытка {review.check_id}"
            )
        return Judged()

    def wait_for(self, *, table: str, columns: str, what: str, rule: str) -> None:
        self.pending.append(Pending(self.number, self.id, self.name, table, columns, what, rule))

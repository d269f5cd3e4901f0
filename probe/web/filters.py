"""The review queue's filters, from a page's query string or the API's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import parse_qs, urlencode

from probe.channels import available_channels
from probe.results import utc_now
from probe.web import labels
from storage.review_queue import QueueFilter, queue_outcomes

MAX_ID = 2**31 - 1  # ids beyond this cannot exist; refusing them keeps the database out of it
MAX_AGE_DAYS = 36500


class FilterError(ValueError):
    """A filter value the queue cannot use; the message is shown to staff as is."""


def _id(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise FilterError(f"Неверный номер {what}: «{text}».")
    return int(text)


def page_position(text: str) -> int | None:
    """A paged list's `after` / `before` (the id of the row it starts beyond); None if empty."""
    text = text.strip()
    if text and (not text.isdigit() or int(text) > MAX_ID):
        raise FilterError(f"Неверная позиция страницы: «{text}».")
    return int(text) if text else None


def _choice(text: str, allowed: set[str], what: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text not in allowed:
        raise FilterError(f"Неизвестное значение фильтра «{what}»: «{text}».")
    return text


@dataclass(frozen=True)
class QueueQuery:
    """The page's filters as submitted (strings), kept to redraw the form and build links."""

    campaign: str = ""
    region: str = ""
    organisation: str = ""
    channel: str = ""
    outcome: str = ""
    age: str = ""
    order: str = "new"

    def to_filter(self) -> QueueFilter:
        order: Literal["new", "old"] = "old" if self.order == "old" else "new"
        age = _choice(self.age, set(labels.AGES), "возраст")
        after = before = None
        if age == "older30":
            before = utc_now() - timedelta(days=30)
        elif age is not None:
            after = utc_now() - timedelta(days=int(age))
        return QueueFilter(
            campaign_id=_id(self.campaign, "кампании"),
            region=self.region.strip() or None,
            organisation_id=_id(self.organisation, "организации"),
            channel=_choice(self.channel, set(available_channels()), "канал"),
            outcome=_choice(self.outcome, set(queue_outcomes()), "исход"),
            finished_after=after,
            finished_before=before,
            order=order,
        )

    @classmethod
    def parse(cls, text: str) -> QueueQuery:
        """The filters from a queue URL's query string (carried through the check pages)."""
        values = {k: v[-1] for k, v in parse_qs(text).items() if k in cls.__dataclass_fields__}
        return cls(**values)

    def encoded(self) -> str:
        """The filters as a query string, empty values left out (the `queue` parameter)."""
        return urlencode(
            {k: v for k, v in self.__dict__.items() if v and (k, v) != ("order", "new")}
        )

    def link(self, **changes: str | int | None) -> str:
        """The queue URL with these filters, some changed; empty values are left out."""
        values = {**self.__dict__, **changes}
        return "/queue?" + urlencode({k: v for k, v in values.items() if v not in (None, "")})


def api_filter(
    *,
    campaign_id: int | None,
    region: str | None,
    organisation_id: int | None,
    channel: str | None,
    outcome: str | None,
    min_age_days: int | None,
    max_age_days: int | None,
    order: Literal["new", "old"],
) -> QueueFilter:
    now = utc_now()
    return QueueFilter(
        campaign_id=campaign_id,
        region=region or None,
        organisation_id=organisation_id,
        channel=channel,
        outcome=outcome,
        finished_before=now - timedelta(days=min_age_days) if min_age_days else None,
        finished_after=now - timedelta(days=max_age_days) if max_age_days is not None else None,
        order=order,
    )

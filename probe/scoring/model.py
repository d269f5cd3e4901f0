"""The per-organisation results of a campaign, as the protocol tables need them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from probe.scoring.rules import DEFAULT_DEADLINE_WORKING_DAYS
from storage.models import Campaign


@dataclass(frozen=True)
class Judged:
    """A judged column: its value (a probe.reviews value) and where it came from."""

    value: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Dial:
    check_id: int
    at: datetime  # in the organisation's time zone
    number: str
    outcome: str | None
    note: str | None


# Protocol No. 6, table 1: the column of each etiquette value.
ETIQUETTE_COLUMNS: dict[str, str] = {"full": "7", "organisation_only": "8", "none": "9"}


@dataclass(frozen=True)
class Call:
    dials: tuple[Dial, ...]
    connected: bool
    # One judgement per person who answered (the one who picked up, then each specialist the
    # call was transferred to); None: not judged yet. Empty when the call did not connect.
    etiquette: tuple[str | None, ...] = ()
    etiquette_source: str = ""


@dataclass(frozen=True)
class EtiquetteMarks:
    """Columns 7-9 of an organisation: the judgement of every person who answered (R14)."""

    persons: tuple[str | None, ...] = ()
    source: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """How many persons each column holds, keyed by the column's number ("7", "8", "9")."""
        counts = dict.fromkeys(ETIQUETTE_COLUMNS.values(), 0)
        for person in self.persons:
            if person in ETIQUETTE_COLUMNS:
                counts[ETIQUETTE_COLUMNS[person]] += 1
        return counts

    @property
    def unjudged(self) -> int:
        return sum(1 for person in self.persons if person is None)


@dataclass
class PhoneRow:
    """Protocol No. 6, table 1."""

    number: int
    organisation_id: int
    protocol_row: int | None
    name: str
    numbers_called: list[str]
    calls: list[Call]
    total_calls: int
    connected_calls: int
    etiquette: EtiquetteMarks
    transfers: Judged
    grade: Judged


@dataclass(frozen=True)
class Letter:
    check_id: int
    addresses: tuple[str, ...]
    sent: date | None
    replied: date | None
    state: str  # "replied", "no_reply", "awaiting"
    grade: str | None
    # Replied after the campaign's working-day norm (R10): still a reply, marked late.
    late: bool = False
    # Working days from the day sent to the day of the reply (R10), when recorded.
    working_days: int | None = None


@dataclass
class MailRow:
    """Protocol No. 6, table 2."""

    number: int
    organisation_id: int
    protocol_row: int | None
    name: str
    letters: list[Letter]
    grade: Judged

    @property
    def addresses(self) -> list[str]:
        seen: dict[str, None] = {}
        for letter in self.letters:
            seen.update(dict.fromkeys(letter.addresses))
        return list(seen)

    @property
    def sent(self) -> date | None:
        return min((x.sent for x in self.letters if x.sent), default=None)

    @property
    def replied(self) -> date | None:
        return min((x.replied for x in self.letters if x.replied), default=None)


@dataclass(frozen=True)
class ChannelState:
    present: bool | None
    working: bool | None


@dataclass
class Protocol5Row:
    """Protocol No. 5, table 1, with indicator 1.2."""

    number: int
    organisation_id: int
    protocol_row: int | None
    name: str
    phone: ChannelState
    email: ChannelState
    web_form: ChannelState
    faq: ChannelState
    survey: ChannelState
    indicator_1_2: int | None

    @property
    def channels(self) -> list[tuple[str, ChannelState]]:
        return [
            ("phone", self.phone),
            ("email", self.email),
            ("web_form", self.web_form),
            ("faq", self.faq),
            ("survey", self.survey),
        ]


@dataclass(frozen=True)
class Pending:
    number: int
    organisation_id: int
    name: str
    table: str
    columns: str
    what: str
    rule: str


@dataclass(frozen=True)
class AuditRow:
    check_id: int
    number: int
    organisation: str
    channel: str
    contact: str
    value: str
    attempt: int
    status: str
    outcome: str
    effective_outcome: str
    started: str
    finished: str
    counted: str
    call_group: str
    historical: bool
    reviews: str
    details: str


@dataclass
class CampaignScore:
    campaign: Campaign
    rules_version: str
    table1: list[PhoneRow] = field(default_factory=list)
    table2: list[MailRow] = field(default_factory=list)
    protocol5: list[Protocol5Row] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    # The addresses letters were sent from (the footnote of table 2), in order of first use.
    senders: list[str] = field(default_factory=list)
    # The campaign's norm for a reply, in working days: a later reply is marked late (R10).
    deadline_working_days: int = DEFAULT_DEADLINE_WORKING_DAYS

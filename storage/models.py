"""The tables. One `Check` table serves every channel: channel specifics live in JSON columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from probe.results import utc_now
from storage.types import JsonType, UTCDateTime


def _instant(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _created() -> Any:
    return Field(default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False))


def _json(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JsonType, nullable=False))


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    # Stable across re-imports: region code + folded name. Re-importing updates in place.
    key: str = Field(sa_column=Column(String(400), unique=True, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    short_name: str = ""
    region: str = Field(index=True)  # region code, e.g. "omsk"
    kind: str = Field(default="", index=True)
    address: str = ""
    website: str = ""
    timezone: str
    hours_raw: str = ""
    # A probe.hours.WeeklySchedule dumped to JSON; null when unknown or unparsable.
    hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    area_code: str = ""
    source: str = ""  # file or bundled directory it was imported from
    source_row: int | None = None
    protocol_row: int | None = None
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("organisation_id", "channel", "key", name="uq_contact_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    channel: str  # a registered channel's name (probe.channels)
    key: str  # value + extension when valid, the folded raw text otherwise
    raw: str
    value: str | None = None  # E.164 or lower-cased address; null when unparsable
    extension: str | None = None
    label: str | None = None
    is_fax: bool = False
    inferred: bool = False
    error: str | None = None
    position: int = 0  # order as published: the first listed is the primary
    source: str = ""  # where it was published
    active: bool = True
    # An operator's correction makes a new contact; the old one points to it and stays.
    superseded_by_id: int | None = Field(default=None, foreign_key="contact.id")
    # Why the contact is not called until an operator confirms it is this organisation's: a
    # code ("shared": the same number or address published by another organisation) and its
    # values (probe/directory/reasons.py HELD words them); null: nothing to confirm.
    held: str | None = None
    held_values: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JsonType, nullable=True)
    )
    # Who confirmed a held contact: a re-import that finds the same sharing does not hold it again.
    confirmed_by: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()

    @property
    def probeable(self) -> bool:
        return self.active and self.value is not None and not self.is_fax and self.held is None


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    title: str = ""
    status: str = Field(default="draft", index=True)  # draft, running, paused, done, cancelled
    channels: list[str] = _json(list)
    spec: dict[str, Any] = _json()
    historical: bool = False  # imported from a past manual protocol
    starts_on: date | None = None
    ends_on: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


# The partial indexes of the checks needing a human, as migration 0012 makes them; the
# queue's condition is written `needs_review = true` (storage.needs_review.flagged).
NEEDS_REVIEW_PG = text("needs_review")
NEEDS_REVIEW_SQLITE = text("needs_review = 1")
NEEDS_REVIEW_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_check_review_id": ("id",),
    "ix_check_review_effective_id": ("effective_outcome", "id"),
    "ix_check_review_campaign_id": ("campaign_id", "id"),
    "ix_check_review_org_id": ("organisation_id", "id"),
    "ix_check_review_finished": ("finished_at",),
}


class Check(SQLModel, table=True):
    __tablename__ = "check_run"  # "check" is a reserved word in SQL
    __table_args__ = (
        Index("ix_check_campaign_status", "campaign_id", "status"),
        Index("ix_check_status_planned", "status", "planned_at"),
        Index("ix_check_org_started", "organisation_id", "started_at"),
        # The review queue pages by id within a filter (keyset pagination).
        Index("ix_check_campaign_id_id", "campaign_id", "id"),
        Index("ix_check_outcome_id", "outcome", "id"),
        # The review queue's filters, on the outcome after operators' verdicts.
        Index("ix_check_effective_id", "effective_outcome", "id"),
        Index(
            "ix_check_campaign_channel_effective_id",
            "campaign_id",
            "channel",
            "effective_outcome",
            "id",
        ),
        Index("ix_check_contact_campaign_id", "contact_id", "campaign_id", "id"),
        # The review queue and its total read only the checks needing a human (needs_review).
        *(
            Index(name, *cols, postgresql_where=NEEDS_REVIEW_PG, sqlite_where=NEEDS_REVIEW_SQLITE)
            for name, cols in NEEDS_REVIEW_INDEXES.items()
        ),
        # The dashboard's "has anything changed" probe.
        Index("ix_check_campaign_updated", "campaign_id", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(index=True)
    status: str = "planned"  # probe.results.CheckStatus value
    outcome: str | None = Field(default=None, index=True)  # one its channel declares
    # The outcome after the newest valid operator verdict (scoring's rule R4), kept with the
    # row: written by storage.checks.record_result and add_review (storage.judgements).
    effective_outcome: str | None = None
    # In the review queue (storage.needs_review.rule), kept by storage.needs_review.
    needs_review: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    attempt: int = 1
    historical: bool = False
    planned_at: datetime | None = _instant()
    started_at: datetime | None = _instant()
    finished_at: datetime | None = _instant()
    timings_ms: dict[str, float] = _json()
    error_class: str | None = None
    error_detail: str | None = None
    details: dict[str, Any] = _json()
    evidence: list[dict[str, Any]] = _json(list)
    claimed_by: str | None = None
    claimed_until: datetime | None = _instant()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class CampaignTally(SQLModel, table=True):
    """A campaign's checks counted by what its dashboard shows (storage.tally): kept in the
    transaction that changes a check, so the dashboard reads a few thousand rows, not a
    million checks. `kind` says what `a` and `b` mean (status, outcome, org, hour, hist)."""

    __tablename__ = "campaign_tally"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    kind: str = Field(sa_column=Column(String(20), primary_key=True))
    channel: str = Field(sa_column=Column(String(40), primary_key=True))
    a: str = Field(sa_column=Column(String(100), primary_key=True))
    b: str = Field(sa_column=Column(String(100), primary_key=True))
    n: int = 0


class CheckEvent(SQLModel, table=True):
    """One line of a check's timeline: a decision, a protocol event, a state change."""

    __tablename__ = "check_event"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="check_run.id", index=True)
    at: datetime = _created()
    kind: str
    message: str = ""
    data: dict[str, Any] = _json()


class Review(SQLModel, table=True):
    """An operator's judgement on a check or an organisation (etiquette, transfers, grade, note)."""

    __tablename__ = "review"
    __table_args__ = (
        Index("ix_review_check_field", "check_id", "field"),
        # The few verdicts that overturned an outcome (most confirm it): the dashboard's.
        Index(
            "ix_review_overturned",
            "check_id",
            postgresql_where=text("field = 'verdict' AND value <> 'confirmed'"),
            sqlite_where=text("field = 'verdict' AND value <> 'confirmed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    check_id: int | None = Field(default=None, foreign_key="check_run.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    author: str
    field: str  # etiquette, transfers, grade, note, verdict, ...
    value: str
    reason: str = ""
    created_at: datetime = _created()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created()
    actor: str
    action: str
    entity: str
    entity_id: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))


class MailboxState(SQLModel, table=True):
    """Where the IMAP watcher stopped, so a restart neither misses nor reprocesses a message."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("account", "mailbox", name="uq_mailbox_state"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str
    mailbox: str
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _created()


class InboundMessage(SQLModel, table=True):
    """Every message read from the prober's mailbox, matched to a check or kept as unmatched."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("account", "mailbox", "uidvalidity", "uid", name="uq_inbound_uid"),
        # The same bytes stored earlier on this account (a duplicate's first copy): each
        # ingestion batch asks for its messages' hashes (adapters/email/store.py).
        Index("ix_inbound_account_sha256", "account", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str
    mailbox: str
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: str | None = Field(default=None, index=True)
    in_reply_to: str | None = None
    from_address: str | None = None
    subject: str = ""
    received_at: datetime | None = _instant()
    kind: str = Field(index=True)  # human_reply, auto_reply, bounce, delay, unrelated
    check_id: int | None = Field(default=None, foreign_key="check_run.id", index=True)
    match_method: str | None = None  # in_reply_to, token, sender_subject; null when unmatched
    weak_match: bool = False
    evidence_path: str | None = None
    sha256: str | None = None
    size: int | None = None
    details: dict[str, Any] = _json()
    created_at: datetime = _created()


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    password_hash: str
    role: str  # admin, operator, viewer
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _instant()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class EndedSession(SQLModel, table=True):
    """A signed-in session ended by logging out: its cookie, though still signed, opens nothing.

    Kept only as long as a cookie lives (probe.web.security.SESSION_MAX_AGE_S)."""

    __tablename__ = "ended_session"

    sid: str = Field(sa_column=Column(String(64), primary_key=True))
    ended_at: datetime = _instant(nullable=False, index=True)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = ""
    token_hash: str = Field(sa_column=Column(String(128), unique=True, nullable=False))
    revoked: bool = False
    created_at: datetime = _created()
    last_used_at: datetime | None = _instant()


class GreetingProposal(SQLModel, table=True):
    """The machine's reading of one person's greeting in a connected call (Protocol 6 columns
    7-9): a job while `status` is `pending` or `running`, then a proposal the operator confirms
    or overturns with an ordinary etiquette review. Written by the phone channel's greeting
    worker (adapters/sip/greetwork), read by the review UI, the export and the status."""

    __tablename__ = "greeting_proposal"
    __table_args__ = (
        UniqueConstraint("check_id", "person", name="uq_greeting_person"),
        Index("ix_greeting_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="check_run.id", index=True)
    person: int  # 1: who picked up; 2: the specialist after the first transfer; ...
    # pending, running, done; failed (retried up to a limit); no_speech (nothing to read)
    status: str = "pending"
    recording: str | None = None  # the recording's path as stored in the check's evidence
    start_s: float | None = None  # the greeting in the recording (seconds)
    until_s: float | None = None
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = _instant()
    etiquette: str | None = None  # full, organisation_only, none, machine
    confidence: float | None = None
    # found, parts (part, words, start, end), words (word, start, end), transcript, model
    proposal: dict[str, Any] = _json()
    error: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ReviewClaim(SQLModel, table=True):
    """An operator working on a check from the review queue: others are steered past it (the
    queue's «следующая», bulk confirm) and may not save judgements on it until the claim is
    released or expires. One row per check; an expired row is simply taken over."""

    __tablename__ = "review_claim"

    check_id: int = Field(foreign_key="check_run.id", primary_key=True)
    username: str = Field(sa_column=Column(String(100), nullable=False, index=True))
    claimed_at: datetime = _created()
    expires_at: datetime = _instant(nullable=False, index=True)

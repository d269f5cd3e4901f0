"""One fetched message through classification, matching and storage, in the caller's session.

The caller commits a whole fetched batch together with the mailbox's new last UID, so after a
crash a batch is either fully recorded or read again; a UID already recorded is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from adapters.email.classify import Classified, Kind, classify
from adapters.email.config import config_from_spec
from adapters.email.evidence import inbound_dir, store_raw
from adapters.email.imap import Fetched
from adapters.email.matching import Candidate, Match, match
from adapters.email.timing import reply_deadline, reply_timing, schedule_of
from probe.results import CheckStatus, Outcome
from storage import mail
from storage.models import Check, InboundMessage


@dataclass(frozen=True)
class Ingested:
    uid: int
    kind: str
    check_id: int | None
    action: str  # replied, bounced, auto_reply, delay, late, unmatched, duplicate


@dataclass(frozen=True)
class Mailbox:
    account: str
    name: str
    uidvalidity: int


def candidates(*, session: Session, now: datetime, days: int = 120) -> list[Candidate]:
    found = []
    for check in mail.email_checks_since(session=session, since=now - timedelta(days=days)):
        details = check.details or {}
        if not details.get("message_id") or check.id is None:
            continue
        found.append(
            Candidate(
                check_id=check.id,
                message_id=details["message_id"],
                token=details.get("token", ""),
                recipient=details.get("recipient", ""),
                subject=details.get("subject", ""),
                sent_at=sent_instant(check),
            )
        )
    return found


def sent_instant(check: Check) -> datetime:
    accepted = (check.details or {}).get("accepted_at")
    if accepted:
        return datetime.fromisoformat(accepted).astimezone(UTC)
    assert check.started_at is not None
    return check.started_at


def ingest(
    *,
    session: Session,
    box: Mailbox,
    fetched: Fetched,
    data_dir: Path,
    pool: Sequence[Candidate],
    now: datetime,
    max_bytes: int,
) -> Ingested:
    if mail.inbound_seen(
        session=session,
        account=box.account,
        mailbox=box.name,
        uidvalidity=box.uidvalidity,
        uid=fetched.uid,
    ):
        return Ingested(fetched.uid, "", None, "duplicate")
    stored = store_raw(
        inbound_dir(data_dir), fetched.raw, max_bytes=max_bytes, full_size=fetched.size
    )
    classified, problem = _classify(fetched.raw)
    received_at = fetched.internaldate or now
    earlier = mail.inbound_with_hash(session=session, account=box.account, sha256=stored.sha256)
    found = None if earlier else match(classified, pool, received_at=received_at)
    row = mail.add_inbound(
        session=session,
        message=InboundMessage(
            account=box.account,
            mailbox=box.name,
            uidvalidity=box.uidvalidity,
            uid=fetched.uid,
            message_id=classified.message_id,
            in_reply_to=classified.in_reply_to,
            from_address=classified.from_address,
            subject=classified.subject[:1000],
            received_at=received_at,
            kind=_effective_kind(classified, found).value,
            check_id=found.check_id if found else None,
            match_method=found.method if found else None,
            weak_match=bool(found and found.weak),
            evidence_path=str(stored.path),
            sha256=stored.sha256,
            size=fetched.size,
            details=_inbound_details(classified, stored.truncated, problem, earlier),
        ),
    )
    assert row.id is not None
    if found is None:
        return Ingested(fetched.uid, row.kind, None, "duplicate" if earlier else "unmatched")
    check = session.get(Check, found.check_id)
    assert check is not None
    mail.attach_evidence(
        session=session, check=check, evidence=stored.ref("eml_inbound").model_dump(mode="json")
    )
    action = _apply(session, check, classified, found, row, received_at)
    return Ingested(fetched.uid, row.kind, check.id, action)


def rematch_recent(
    *, session: Session, pool: Sequence[Candidate], now: datetime, window: timedelta
) -> list[Ingested]:
    """Match again the recent messages no check claimed.

    An auto-reply or a bounce can arrive before the runner has recorded that its probe was
    sent (the result is stored after the server's 250): it is kept unmatched, and claimed here
    once the check is known, before newer messages are applied.
    """
    done = []
    for row in mail.recent_unmatched(session=session, since=now - window):
        details = row.details or {}
        if details.get("duplicate_of") or details.get("parse_error") or row.received_at is None:
            continue
        classified = Classified.from_json(details)
        found = match(classified, pool, received_at=row.received_at)
        if found is None:
            continue
        row.check_id, row.match_method, row.weak_match = found.check_id, found.method, found.weak
        row.kind = _effective_kind(classified, found).value
        session.add(row)
        check = session.get(Check, found.check_id)
        assert check is not None and row.id is not None
        if row.evidence_path and row.sha256:
            evidence = {"kind": "eml_inbound", "path": row.evidence_path, "sha256": row.sha256,
                        "size": row.size, "media_type": "message/rfc822"}  # fmt: skip
            mail.attach_evidence(session=session, check=check, evidence=evidence)
        action = _apply(session, check, classified, found, row, row.received_at)
        done.append(Ingested(row.uid, row.kind, check.id, action))
    return done


def _classify(raw: bytes) -> tuple[Classified, str | None]:
    try:
        return classify(raw), None
    except Exception as error:
        return Classified(kind=Kind.UNRELATED), f"{type(error).__name__}: {error}"


def _effective_kind(classified: Classified, found: Match | None) -> Kind:
    # A message matched by its sender and subject, or carrying the token, is a reply even when
    # nothing in it looks like one (no "Re:", no In-Reply-To).
    if classified.kind is Kind.UNRELATED and found is not None:
        return Kind.HUMAN_REPLY
    return classified.kind


def _inbound_details(
    classified: Classified, truncated: bool, problem: str | None, earlier: InboundMessage | None
) -> dict[str, Any]:
    details = classified.as_json()
    details["truncated"] = truncated
    if problem:
        details["parse_error"] = problem
    if earlier is not None:
        details["duplicate_of"] = earlier.id
    return details


def _apply(
    session: Session,
    check: Check,
    classified: Classified,
    found: Match,
    row: InboundMessage,
    at: datetime,
) -> str:
    assert row.id is not None
    kind = Kind(row.kind)
    if check.status != CheckStatus.WAITING.value:
        mail.record_late_message(
            session=session, check=check, kind=kind.value, inbound_id=row.id, at=at
        )
        return "late"
    if kind is Kind.AUTO_REPLY:
        mail.record_auto_reply(
            session=session, check=check, at=at, inbound_id=row.id,
            reason=classified.auto_reply_reason or "",
        )  # fmt: skip
        return "auto_reply"
    if kind is Kind.DELAY:
        notice = classified.as_json()["bounce"] or {}
        mail.record_delay_notice(
            session=session, check=check, at=at, inbound_id=row.id, notice=notice
        )
        return "delay"
    match_details = {"match_method": found.method, "weak_match": found.weak, "inbound_id": row.id}
    if kind is Kind.BOUNCE:
        bounce = classified.as_json()["bounce"]
        mail.complete_email_check(
            session=session, check=check, outcome=Outcome.BOUNCED, finished_at=at,
            details={"bounced_at": at.isoformat(), "bounce": bounce, **match_details},
            message=(bounce or {}).get("status") or "",
        )  # fmt: skip
        return "bounced"
    details, timings = reply_details(session, check, at)
    details.update(match_details, reply_from=classified.from_address, reply_subject=row.subject)
    mail.complete_email_check(
        session=session, check=check, outcome=Outcome.REPLIED, finished_at=at,
        details=details, timings_ms=timings, message=found.method,
    )  # fmt: skip
    return "replied"


def reply_details(
    session: Session, check: Check, replied_at: datetime
) -> tuple[dict[str, Any], dict[str, float]]:
    organisation, campaign = mail.check_context(session=session, check=check)
    config = config_from_spec(campaign.spec if campaign else None)
    schedule = schedule_of(organisation.hours)
    sent_at = sent_instant(check)
    timing = reply_timing(
        sent_at=sent_at, replied_at=replied_at, tz=organisation.timezone, schedule=schedule
    )
    deadline = reply_deadline(
        sent_at=sent_at,
        working_days=config.deadline_working_days,
        tz=organisation.timezone,
        schedule=schedule,
    )
    details = {
        "replied_at": replied_at.astimezone(UTC).isoformat(),
        **timing.as_json(),
        "deadline_at": deadline.isoformat(),
        "in_time": replied_at <= deadline,
        "suggested_grade": config.suggest_grade(timing.working_days).value,
    }
    return details, {"reply": round((replied_at - sent_at).total_seconds() * 1000, 1)}

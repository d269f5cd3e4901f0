"""Fetched messages through classification, matching and storage, in the caller's session.

The caller commits a whole fetched batch together with the mailbox's new last UID, so after a
crash a batch is either fully recorded or read again; a UID already recorded is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from adapters.email import store
from adapters.email.classify import Classified, Kind, classify
from adapters.email.config import Config, config_from_spec
from adapters.email.evidence import StoredRaw, inbound_dir, name_raw, write_raw
from adapters.email.imap import Fetched
from adapters.email.matching import Candidate, CandidateIndex, Match, match
from adapters.email.names import Outcome
from adapters.email.outcome import deliver_final
from adapters.email.timing import reply_deadline, reply_timing, reply_window_end, schedule_of
from probe.hours import WeeklySchedule
from probe.results import CheckStatus, ResultSink
from storage.models import Check


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
    for check_id, started_at, details in store.email_check_refs(
        session=session, since=now - timedelta(days=days)
    ):
        if details.get("follow_up"):
            # A follow-up (a question asked through a form): matched by its token only; it
            # has no Message-ID, and its recipient was a form, not a sender to compare.
            if details.get("token"):
                found.append(
                    Candidate(
                        check_id, "", details["token"], "", "", _sent_instant(details, started_at)
                    )
                )
            continue
        if not details.get("message_id"):
            continue
        found.append(
            Candidate(
                check_id=check_id,
                message_id=details["message_id"],
                token=details.get("token", ""),
                recipient=details.get("recipient", ""),
                subject=details.get("subject", ""),
                sent_at=_sent_instant(details, started_at),
            )
        )
    return found


def sent_instant(check: Check) -> datetime:
    return _sent_instant(check.details or {}, check.started_at)


def _sent_instant(details: dict[str, Any], started_at: datetime | None) -> datetime:
    accepted = details.get("accepted_at")
    if accepted:
        return datetime.fromisoformat(accepted).astimezone(UTC)
    assert started_at is not None
    return started_at


def on_our_clock(server_instant: datetime | None, now: datetime) -> datetime:
    """The server's arrival instant (INTERNALDATE) on the prober's clock: its age by the wall
    clock, taken back from `now`. Under the system clock this is the server's instant; under
    the sandbox's compressed clock a reply that arrived a moment ago is a moment old, not
    dated on the real calendar."""
    if server_instant is None:
        return now
    age = datetime.now(UTC) - server_instant.astimezone(UTC)
    return now - max(age, timedelta(0))


def ingest_batch(
    *,
    session: Session,
    box: Mailbox,
    batch: Sequence[Fetched],
    data_dir: Path,
    pool: Sequence[Candidate] | CandidateIndex,
    now: datetime,
    max_bytes: int,
    sink: ResultSink,
) -> list[Ingested]:
    """A fetched batch, in order, with a handful of statements for the whole batch.

    A UID already recorded is skipped; bytes read before (in an earlier batch or this one)
    are recorded as a duplicate without touching any check.
    """
    index = pool if isinstance(pool, CandidateIndex) else CandidateIndex(pool)
    seen = store.inbound_uids_seen(
        session=session,
        account=box.account,
        mailbox=box.name,
        uidvalidity=box.uidvalidity,
        uids=[f.uid for f in batch],
    )
    fresh = [f for f in batch if f.uid not in seen]
    directory = inbound_dir(data_dir)
    stored = [
        name_raw(directory, f.raw, max_bytes=max_bytes, full_size=f.size, data_dir=data_dir)
        for f in fresh
    ]
    # The files are written on another thread while the messages are read and recorded, and
    # all written before this returns: a committed row never points to a file that is not there.
    writing = _Writing(stored, [f.raw for f in fresh])
    try:
        done = _ingest(
            session=session, box=box, batch=batch, fresh=fresh, stored=stored, seen=seen,
            index=index, now=now, sink=sink,
        )  # fmt: skip
    except BaseException:
        writing.thread.join()
        raise
    writing.wait()
    return done


class _Writing:
    """Evidence files written on a thread of their own (one per batch: nothing to inherit
    across a fork); `wait` re-raises what the writing raised."""

    def __init__(self, stored: Sequence[StoredRaw], raws: Sequence[bytes]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(stored, raws), name="eml-evidence", daemon=True
        )
        self.thread.start()

    def _run(self, stored: Sequence[StoredRaw], raws: Sequence[bytes]) -> None:
        try:
            for kept, raw in zip(stored, raws, strict=True):
                write_raw(kept, raw)
        except BaseException as error:  # handed to the caller by `wait`
            self.error = error

    def wait(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _ingest(
    *,
    session: Session,
    box: Mailbox,
    batch: Sequence[Fetched],
    fresh: Sequence[Fetched],
    stored: Sequence[StoredRaw],
    seen: set[int],
    index: CandidateIndex,
    now: datetime,
    sink: ResultSink,
) -> list[Ingested]:
    earlier = store.first_inbound_by_hash(
        session=session, account=box.account, hashes={s.sha256 for s in stored}
    )
    first_here: dict[str, int] = {}  # hash -> uid of the first message of this batch with it
    rows: list[tuple[Any, ...]] = []
    recorded: list[_Recorded] = []
    ids: dict[int, int] = {}  # uid -> inbound_message.id
    for fetched, kept in zip(fresh, stored, strict=True):
        classified, problem = _classify(fetched.raw)
        received_at = on_our_clock(fetched.internaldate, now)
        duplicate_of = earlier.get(kept.sha256)
        if duplicate_of is None and kept.sha256 in first_here:
            if first_here[kept.sha256] not in ids:  # rare: the same bytes twice in one batch
                ids.update(store.insert_inbound(session=session, box=box, rows=rows))
                rows = []
            duplicate_of = ids[first_here[kept.sha256]]
        found = None if duplicate_of else match(classified, index, received_at=received_at)
        kind = _effective_kind(classified, found)
        rows.append(  # store.INBOUND_COLUMNS
            (
                fetched.uid, classified.message_id, classified.in_reply_to,
                classified.from_address, classified.subject[:1000], received_at, kind.value,
                found.check_id if found else None, found.method if found else None,
                bool(found and found.weak), kept.recorded, kept.sha256, fetched.size,
                _inbound_details(classified, kept.truncated, problem, duplicate_of),
            )
        )  # fmt: skip
        first_here.setdefault(kept.sha256, fetched.uid)
        recorded.append(
            _Recorded(fetched.uid, kind, received_at, kept, classified, found, bool(duplicate_of))
        )
    ids.update(store.insert_inbound(session=session, box=box, rows=rows))
    done = {uid: Ingested(uid, "", None, "duplicate") for uid in seen}
    done.update(_apply_claimed(session, recorded, ids, sink))
    return [done[f.uid] for f in batch]


def _apply_claimed(
    session: Session, recorded: Sequence[_Recorded], ids: dict[int, int], sink: ResultSink
) -> dict[int, Ingested]:
    """Each recorded message applied to the check it answers, in order; the checks and what
    their timing needs loaded together first."""
    claimed = store.checks_by_id(
        session=session, ids={r.found.check_id for r in recorded if r.found}
    )
    rules = _Rules(session, claimed.values())
    done = {}
    for r in recorded:
        if r.found is None:
            action = "duplicate" if r.duplicate else "unmatched"
            done[r.uid] = Ingested(r.uid, r.kind.value, None, action)
            continue
        check = claimed[r.found.check_id]
        store.attach_evidence(session=session, check=check, evidence=_evidence_json(r.kept))
        action = _apply(
            session, sink, rules, check, r.classified, r.found,
            inbound_id=ids[r.uid], kind=r.kind, subject=r.classified.subject[:1000],
            at=r.received_at,
        )  # fmt: skip
        done[r.uid] = Ingested(r.uid, r.kind.value, check.id, action)
    return done


def _evidence_json(kept: StoredRaw) -> dict[str, Any]:
    """`kept.ref("eml_inbound").model_dump(mode="json")`, without building the model."""
    return {"kind": "eml_inbound", "path": kept.recorded, "sha256": kept.sha256,
            "size": kept.size, "media_type": "message/rfc822"}  # fmt: skip


@dataclass(frozen=True)
class _Recorded:
    uid: int
    kind: Kind
    received_at: datetime
    kept: StoredRaw
    classified: Classified
    found: Match | None
    duplicate: bool


def rematch_recent(
    *,
    session: Session,
    pool: Sequence[Candidate] | CandidateIndex,
    now: datetime,
    window: timedelta,
    sink: ResultSink,
) -> list[Ingested]:
    """Match again the recent messages no check claimed.

    An auto-reply or a bounce can arrive before the runner has recorded that its probe was
    sent (the result is stored after the server's 250): it is kept unmatched, and claimed here
    once the check is known, before newer messages are applied.
    """
    index = pool if isinstance(pool, CandidateIndex) else CandidateIndex(pool)
    done = []
    for row in store.recent_unmatched(session=session, since=now - window):
        details = row.details or {}
        if details.get("duplicate_of") or details.get("parse_error") or row.received_at is None:
            continue
        classified = Classified.from_json(details)
        found = match(classified, index, received_at=row.received_at)
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
            store.attach_evidence(session=session, check=check, evidence=evidence)
        action = _apply(
            session, sink, _Rules(session, [check]), check, classified, found,
            inbound_id=row.id, kind=Kind(row.kind), subject=row.subject, at=row.received_at,
        )  # fmt: skip
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
    classified: Classified, truncated: bool, problem: str | None, duplicate_of: int | None
) -> dict[str, Any]:
    details = classified.as_json()
    details["truncated"] = truncated
    if problem:
        details["parse_error"] = problem
    if duplicate_of is not None:
        details["duplicate_of"] = duplicate_of
    return details


def _apply(
    session: Session,
    sink: ResultSink,
    rules: _Rules,
    check: Check,
    classified: Classified,
    found: Match,
    *,
    inbound_id: int,
    kind: Kind,
    subject: str,
    at: datetime,
) -> str:
    if check.status == CheckStatus.WAITING.value:
        window_end = reply_limits(session, check, rules)[1]
        if at >= window_end:
            # The sweeper had not come round yet: the letter was unanswered when its window
            # ended, and this message is late like any after the sweep.
            close_unanswered(session, check, at=window_end, sink=sink, rules=rules)
    if check.status != CheckStatus.WAITING.value:
        store.record_late_message(
            session=session, check=check, kind=kind.value, inbound_id=inbound_id, at=at
        )
        return "late"
    if kind is Kind.AUTO_REPLY:
        store.record_auto_reply(
            session=session, check=check, at=at, inbound_id=inbound_id,
            reason=classified.auto_reply_reason or "",
        )  # fmt: skip
        return "auto_reply"
    if kind is Kind.DELAY:
        notice = classified.as_json()["bounce"] or {}
        store.record_delay_notice(
            session=session, check=check, at=at, inbound_id=inbound_id, notice=notice
        )
        return "delay"
    match_details = {
        "match_method": found.method,
        "weak_match": found.weak,
        "inbound_id": inbound_id,
    }
    if kind is Kind.BOUNCE:
        bounce = classified.as_json()["bounce"]
        deliver_final(
            sink, session, check, Outcome.BOUNCED, finished_at=at,
            details={"bounced_at": at.isoformat(), "bounce": bounce, **match_details},
            message=(bounce or {}).get("status") or "",
        )  # fmt: skip
        return "bounced"
    details, timings = reply_details(session, check, at, rules)
    details.update(match_details, reply_from=classified.from_address, reply_subject=subject)
    deliver_final(
        sink, session, check, Outcome.REPLIED, finished_at=at,
        details=details, timings_ms=timings, message=found.method,
    )  # fmt: skip
    return "replied"


def reply_limits(
    session: Session, check: Check, rules: _Rules | None = None
) -> tuple[datetime, datetime]:
    """The norm's deadline (a reply after it is late) and the end of the reply window (a letter
    unanswered then is no_reply), both UTC."""
    tz, config, schedule = (rules or _Rules(session, [check])).of(check)
    sent_at = sent_instant(check)
    deadline = reply_deadline(
        sent_at=sent_at, working_days=config.deadline_working_days, tz=tz, schedule=schedule
    )
    return deadline, reply_window_end(sent_at=sent_at, days=config.reply_window_days, tz=tz)


def close_unanswered(
    session: Session,
    check: Check,
    *,
    at: datetime,
    sink: ResultSink,
    rules: _Rules | None = None,
) -> None:
    """End a waiting check whose reply window passed: auto_replied when only an auto-reply came,
    else no_reply."""
    deadline, window = reply_limits(session, check, rules)
    auto_reply = bool((check.details or {}).get("auto_reply_at"))
    deliver_final(
        sink,
        session,
        check,
        Outcome.AUTO_REPLIED if auto_reply else Outcome.NO_REPLY,
        finished_at=at,
        details={"deadline_at": deadline.isoformat(), "reply_window_ends_at": window.isoformat()},
        message="reply window passed",
    )


def reply_details(
    session: Session, check: Check, replied_at: datetime, rules: _Rules | None = None
) -> tuple[dict[str, Any], dict[str, float]]:
    rules = rules or _Rules(session, [check])
    tz, _, schedule = rules.of(check)
    sent_at = sent_instant(check)
    timing = reply_timing(sent_at=sent_at, replied_at=replied_at, tz=tz, schedule=schedule)
    deadline, _ = reply_limits(session, check, rules)
    # The norm marks the reply late; it does not decide whether it counts, nor its grade
    # (the operator's): 2020 counted replies after 6 and 8 working days (seed 000, rows 24, 35).
    details = {
        "replied_at": replied_at.astimezone(UTC).isoformat(),
        **timing.as_json(),
        "deadline_at": deadline.isoformat(),
        "late": replied_at > deadline,
    }
    return details, {"reply": round((replied_at - sent_at).total_seconds() * 1000, 1)}


class _Rules:
    """The organisations' zones and schedules and the campaigns' e-mail options of some checks,
    read together (two queries), the options validated once per campaign: validating them
    cost more than the rest of a reply's timing."""

    def __init__(self, session: Session, checks: Iterable[Check]) -> None:
        self.zones, self.campaigns = store.zones_hours_and_campaigns(session=session, checks=checks)
        self._configs: dict[int | None, Config] = {}

    def of(self, check: Check) -> tuple[str, Config, WeeklySchedule]:
        timezone, hours = self.zones[check.organisation_id]
        config = self._configs.get(check.campaign_id)
        if config is None:
            campaign = self.campaigns.get(check.campaign_id) if check.campaign_id else None
            spec = campaign.spec if campaign is not None else None
            config = self._configs[check.campaign_id] = config_from_spec(spec)
        return timezone, config, schedule_of(hours)

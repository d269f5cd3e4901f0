"""A fetched batch through classification, matching and storage: what is recorded, and that a
batch costs a handful of queries however many messages it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from adapters.email.imap import Fetched
from adapters.email.ingest import Ingested, Mailbox, candidates, ingest_batch
from probe.results import CheckResult
from probe.scoring.names import Channel
from storage.checks import list_events, record_result
from storage.engine import session_scope
from storage.models import Check, InboundMessage
from tests.servers.mail_orgs import make_check
from tests.sinks import engine_sink

BOX = Mailbox("prober@prober.test@127.0.0.1:993", "INBOX", 7)


def waiting_checks(engine: Engine, n: int, *, sent: datetime) -> list[str]:
    """N checks waiting for a reply; their Message-IDs."""
    ids = []
    for i in range(n):
        check_id = make_check(engine, address=f"info{i}@org.ru")
        message_id = f"<p.{check_id}.1@prober.test>"
        result = CheckResult(
            channel=Channel.EMAIL, outcome=None, pending=True, started_at=sent,
            details={"message_id": message_id, "token": "", "recipient": f"info{i}@org.ru",
                     "subject": "Вопрос", "accepted_at": sent.isoformat()},
        )  # fmt: skip
        with session_scope(engine) as session:
            check = session.get(Check, check_id)
            assert check is not None
            record_result(session=session, check=check, result=result)
        ids.append(message_id)
    return ids


def reply(uid: int, message_id: str, *, text: str = "Обратитесь в МФЦ.") -> Fetched:
    raw = (
        f"From: info@org.ru\r\nSubject: Re: Вопрос\r\nIn-Reply-To: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
    ).encode()
    return Fetched(uid=uid, internaldate=datetime.now(UTC), size=len(raw), raw=raw)


def store(engine: Engine, batch: list[Fetched], data_dir: Path) -> list[Ingested]:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        return ingest_batch(
            session=session, box=BOX, batch=batch, data_dir=data_dir,
            pool=candidates(session=session, now=now), now=now, max_bytes=1 << 20,
            sink=engine_sink(engine),
        )  # fmt: skip


def test_every_reply_of_a_batch_completes_its_check_with_its_evidence(
    engine: Engine, tmp_path: Path
) -> None:
    ids = waiting_checks(engine, 3, sent=datetime.now(UTC) - timedelta(hours=2))
    done = store(engine, [reply(i + 1, mid) for i, mid in enumerate(ids)], tmp_path)
    assert [(d.uid, d.action) for d in done] == [(1, "replied"), (2, "replied"), (3, "replied")]
    with session_scope(engine) as session:
        checks = session.exec(select(Check).order_by(col(Check.id))).all()
        assert [c.outcome for c in checks] == ["replied"] * 3
        rows = session.exec(select(InboundMessage).order_by(col(InboundMessage.uid))).all()
        assert [r.check_id for r in rows] == [c.id for c in checks]
        for check, row in zip(checks, rows, strict=True):
            assert check.details["inbound_id"] == row.id
            assert check.evidence[-1]["sha256"] == row.sha256
            stored = check.evidence[-1]["path"]  # relative to the data folder
            assert not Path(stored).is_absolute()
            assert (tmp_path / stored).read_bytes().startswith(b"From: info@org.ru")
            assert check.id is not None
            kinds = [e.kind for e in list_events(session=session, check_id=check.id)]
            assert kinds == ["planned", "pending", "result"]


def test_the_same_bytes_twice_in_one_batch_are_recorded_as_a_duplicate_of_the_first(
    engine: Engine, tmp_path: Path
) -> None:
    [message_id] = waiting_checks(engine, 1, sent=datetime.now(UTC) - timedelta(hours=2))
    first = reply(1, message_id)
    again = Fetched(uid=2, internaldate=first.internaldate, size=first.size, raw=first.raw)
    done = store(engine, [first, again], tmp_path)
    assert [(d.uid, d.action) for d in done] == [(1, "replied"), (2, "duplicate")]
    with session_scope(engine) as session:
        one, two = session.exec(select(InboundMessage).order_by(col(InboundMessage.uid))).all()
        assert two.details["duplicate_of"] == one.id and two.check_id is None


def test_a_uid_already_recorded_is_skipped_and_reported_as_a_duplicate(
    engine: Engine, tmp_path: Path
) -> None:
    ids = waiting_checks(engine, 2, sent=datetime.now(UTC) - timedelta(hours=2))
    store(engine, [reply(1, ids[0])], tmp_path)
    done = store(engine, [reply(1, ids[0]), reply(2, ids[1])], tmp_path)
    assert [(d.uid, d.action) for d in done] == [(1, "duplicate"), (2, "replied")]
    with session_scope(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 2


def test_a_batch_reads_the_database_a_handful_of_times_not_per_message(
    engine: Engine, tmp_path: Path
) -> None:
    ids = waiting_checks(engine, 40, sent=datetime.now(UTC) - timedelta(hours=2))
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        done = store(engine, [reply(i + 1, mid) for i, mid in enumerate(ids)], tmp_path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [d.action for d in done] == ["replied"] * 40
    # Candidates, UIDs seen, hashes seen, the new rows' ids, and the claimed checks with their
    # organisations and campaigns, and the outage watch's open alert (the engine stores each
    # outcome), and the review-queue flag's refresh of the changed checks (storage.needs_review):
    # one SELECT each for the batch. The messages go as one INSERT, the check updates as one
    # UPDATE and the flags that changed as one more (both executemany).
    assert statements.count("SELECT") == 9
    assert statements.count("UPDATE") == 2
    # The messages: one INSERT (executemany). The checks' events go through the ORM like every
    # other check event, which on SQLite inserts them one at a time to learn their ids. The
    # campaigns' counters (storage.tally): one upsert for the batch.
    assert statements.count("INSERT") == 1 + 40 + 1

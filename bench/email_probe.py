"""E-mail probe throughput and latency against a real Postfix + Dovecot
(probe.sandbox.mailservers).

Three figures, each against a reference measured in the same run:
1. send: N probes through our SMTP session (one connection, as in a campaign batch) against
   Postfix's own `smtp-source` sending N messages of the same size over one connection;
   also the full probe path (message building + send + filing the copy in Sent), for scale;
2. ingestion burst, a day's outage: the watcher starts with --burst (10,000) unseen replies to
   as many sent letters and reads, classifies, matches and records them all (rows, check
   events, evidence files); timed against a bare `imaplib` UID FETCH of the same mailbox and a
   fetch + `email.message_from_bytes` + one SQLite row + one file per message reference;
3. delay from delivery (the maildir file Dovecot writes) to the reply being recorded.

Measured once each, the send figures came out anywhere between 0.7x and 1.0x on this shared
machine, and ours always ran first, on servers still settling after their start (at up to half
their later speed). So the servers are warmed up first (mail sent into the send bench's mailbox
and delivered), and ours and `smtp-source` run alternately, --send-rounds times each, every
run starting on an idle server (all mail sent before it delivered); the medians are compared
and every run is printed. One-time costs of the watcher's process (loading the production
calendar, done when it starts) are printed, not counted.

    .venv/bin/python bench/email_probe.py [--messages 300] [--burst 10000] [--burst-only]

Targets: send >= 0.8x smtp-source; the burst of 10,000 in <= 30 s; recorded <= 1 s after
delivery. Figures: docs/email.md.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import hashlib
import imaplib
import os
import shutil
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlmodel import select  # noqa: E402

from adapters.email import imap as ours  # noqa: E402
from adapters.email import plugin  # noqa: E402
from adapters.email.config import SmtpSettings  # noqa: E402
from adapters.email.message import build_message, identity_for  # noqa: E402
from adapters.email.smtp import SmtpSession  # noqa: E402
from adapters.email.timing import load_calendar  # noqa: E402
from adapters.email.watcher import Watcher, WatcherOptions  # noqa: E402
from probe.channels import ProbeContext, ProbeTarget  # noqa: E402
from probe.logs import configure_logging, get_logger  # noqa: E402
from probe.results import utc_now  # noqa: E402
from probe.sandbox.mailservers import Account, MailServers  # noqa: E402
from probe.scoring.names import Channel  # noqa: E402
from probe.settings import Settings  # noqa: E402
from schedules.completion import sink_for  # noqa: E402
from storage.checks import record_result  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Check, InboundMessage  # noqa: E402
from tests.servers.mail_orgs import make_check, prober_settings  # noqa: E402


def _plain(settings: Settings, servers: MailServers) -> Settings:
    """The prober's settings, sending to the plain port like smtp-source does."""
    smtp = SmtpSettings(
        port=servers.ports["mx"], security="none", from_address=settings.smtp.from_address
    )
    return settings.model_copy(update={"smtp": smtp})


async def bench_send(
    settings: Settings, servers: MailServers, sink: Account, n: int, rounds: int
) -> dict:
    """Ours and smtp-source `rounds` times each, alternating, each starting on an idle server
    (everything sent before delivered): a single pair of runs on this shared machine came out
    anywhere between 0.7x and 1.0x."""
    target = ProbeTarget(check_id=1, channel=Channel.EMAIL, value=sink.address)
    message = build_message(
        settings=settings, identity=identity_for(target, settings), recipient=sink.address,
        template="benefits", sender_name="Ирина Петрова", date=utc_now(),
    )  # fmt: skip
    data = message.as_bytes()
    plain = _plain(settings, servers)
    delivered = _count(servers, sink.address, sink.password)
    ours: list[float] = []
    reference: list[float] = []
    for _ in range(rounds):
        _wait_delivered(servers, sink, delivered)
        ours.append(await _send_ours(plain, sink.address, data, n))
        delivered += n
        _wait_delivered(servers, sink, delivered)
        reference.append(_send_smtp_source(plain, servers, sink.address, data, n))
        delivered += n

    context = ProbeContext(settings=plain, evidence_dir=Path(tempfile.mkdtemp()), log=get_logger())
    _wait_delivered(servers, sink, delivered)
    started = time.perf_counter()
    for i in range(n):
        target = ProbeTarget(check_id=i + 1, channel=Channel.EMAIL, value=sink.address)
        await plugin.probe(target, context)
    full = time.perf_counter() - started
    await plugin.close()
    return {"ours": ours, "smtp_source": reference, "full_probe": n / full, "bytes": len(data)}


async def _send_ours(plain: Settings, sink: str, data: bytes, n: int) -> float:
    session = SmtpSession(plain.smtp, network="loopback")
    await session.open()
    started = time.perf_counter()
    for _ in range(n):
        await session.send(sender=plain.smtp.from_address, recipient=sink, data=data)
    elapsed = time.perf_counter() - started
    await session.close()
    return n / elapsed


def _send_smtp_source(
    plain: Settings, servers: MailServers, sink: str, data: bytes, n: int
) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["smtp-source", "-s", "1", "-d", "-m", str(n), "-l", str(len(data)),
         "-f", plain.smtp.from_address, "-t", sink, f"127.0.0.1:{servers.ports['mx']}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return n / (time.perf_counter() - started)


def _wait_delivered(servers: MailServers, account: Account, n: int) -> None:
    while _count(servers, account.address, account.password) < n:
        time.sleep(0.1)


def _warm_up(servers: MailServers, org: str, account: Account, n: int = 30) -> None:
    """Mail through every server process the measurements use (smtpd, cleanup, qmgr, LMTP,
    Dovecot's delivery and IMAP) into the mailbox the send bench fills, delivered, then a
    moment to settle."""
    with smtplib.SMTP("127.0.0.1", servers.ports["mx"]) as smtp:
        for i in range(n):
            smtp.sendmail(org, [account.address], f"Subject: warm-up {i}\r\n\r\nx\r\n".encode())
    _wait_delivered(servers, account, n)
    time.sleep(1.0)


def _waiting_checks(engine, settings: Settings, org: str, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """N checks waiting for a reply, as the runner leaves them after sending."""
    from probe.results import CheckResult

    ids = []
    for i in range(n):
        check_id = make_check(engine, address=f"{i}.{org}")
        target = ProbeTarget(check_id=check_id, channel=Channel.EMAIL, value=org)
        identity = identity_for(target, settings)
        result = CheckResult(
            channel=Channel.EMAIL, outcome=None, pending=True, started_at=utc_now(),
            details={"message_id": identity.message_id, "token": identity.token,
                     "recipient": org, "subject": "Вопрос", "accepted_at": utc_now().isoformat()},
        )  # fmt: skip
        with session_scope(engine) as session:
            record_result(session=session, check=session.get(Check, check_id), result=result)
        ids.append(identity.message_id)
    return ids


def _reply(org: str, to: str, message_id: str, i: int) -> bytes:
    return (
        f"From: {org}\r\nTo: {to}\r\nSubject: Re: Вопрос\r\nIn-Reply-To: {message_id}\r\n"
        f"Message-ID: <r{i}.{time.time_ns()}@org.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Добрый день! Обратитесь в МФЦ с паспортом.\r\n"
        * 20
    ).encode()


def _deliver(servers: MailServers, org: str, to: str, ids: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", servers.ports["mx"]) as smtp:
        for i, message_id in enumerate(ids):
            smtp.sendmail(org, [to], _reply(org, to, message_id, i))


def _count(servers: MailServers, user: str, password: str) -> int:
    imap = imaplib.IMAP4("127.0.0.1", servers.ports["imap"])
    imap.login(user, password)
    _, data = imap.select("INBOX", readonly=True)
    imap.logout()
    return int(data[0])


def _prober(servers: MailServers, root: Path, name: str, data: str):  # type: ignore[no-untyped-def]
    """A prober's account, an organisation's address, and a fresh database with its settings."""
    account = servers.add_account()
    org = servers.add_account(domain="org.test").address
    url = f"sqlite:///{root / f'{name}.db'}"
    upgrade(url)
    engine = make_engine(url)
    return account, org, engine, prober_settings(servers, account, str(root / data), url)


def _plain_fetch(servers: MailServers, account: Account) -> list:  # type: ignore[type-arg]
    """The reference: one UID FETCH of the whole mailbox with `imaplib`, nothing else."""
    imap = imaplib.IMAP4("127.0.0.1", servers.ports["imap"])
    imap.login(account.address, account.password)
    imap.select("INBOX", readonly=True)
    _, fetched = imap.uid("fetch", "1:*", "(UID INTERNALDATE BODY.PEEK[])")
    imap.logout()
    return fetched


def _sent_letters(engine, settings: Settings, org_domain: str, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """N letters of one campaign, each to an organisation of its own, waiting for a reply as
    the runner leaves them after sending (one transaction: this is the setting, not timed)."""
    from probe.results import CheckResult
    from storage.checks import create_campaign, create_check
    from storage.models import Contact, Organisation

    sent = utc_now() - timedelta(hours=24)  # a day's outage: sent yesterday
    ids = []
    with session_scope(engine) as session:
        campaign = create_campaign(session=session, name="burst", channels=["email"])
        organisations = [
            Organisation(key=f"bench:{i}", name=f"КЦСОН {i}", region="omsk", timezone="Asia/Omsk")
            for i in range(n)
        ]
        session.add_all(organisations)
        session.flush()
        contacts = [
            Contact(organisation_id=o.id, channel="email", key=f"{i}@{org_domain}",
                    raw=f"{i}@{org_domain}", value=f"{i}@{org_domain}")
            for i, o in enumerate(organisations)
        ]  # fmt: skip
        session.add_all(contacts)
        session.flush()
        checks = [
            create_check(session=session, contact=contact, campaign_id=campaign.id)
            for contact in contacts
        ]
        session.flush()
        for contact, check in zip(contacts, checks, strict=True):
            assert check.id is not None
            target = ProbeTarget(check_id=check.id, channel=Channel.EMAIL, value=contact.value)
            identity = identity_for(target, settings)
            result = CheckResult(
                channel=Channel.EMAIL, outcome=None, pending=True, started_at=sent,
                details={"message_id": identity.message_id, "token": identity.token,
                         "recipient": contact.value, "subject": "Вопрос",
                         "accepted_at": sent.isoformat()},
            )  # fmt: skip
            record_result(session=session, check=check, result=result)
            ids.append((contact.value, identity.message_id))
    return ids


def _maildir(servers: MailServers, account: Account) -> Path:
    user, domain = account.address.split("@")
    return servers.root / "mail" / domain / user / "Maildir"


def _fill_mailbox(servers: MailServers, account: Account, letters: list[tuple[str, str]]) -> None:
    """The replies to every letter, already in the mailbox when the watcher starts (delivered
    while it was down): written into the maildir as a delivery agent does (tmp/, then new/),
    owned by Dovecot's user."""
    assert _count(servers, account.address, account.password) == 0  # Dovecot makes the maildir
    maildir = _maildir(servers, account)
    now = time.time()
    for i, (sender, message_id) in enumerate(letters):
        name = f"{int(now)}.M{i:06d}P{os.getpid()}.bench"
        partial = maildir / "tmp" / name
        partial.write_bytes(_reply(sender, account.address, message_id, i))
        shutil.chown(partial, "mail", "mail")
        partial.rename(maildir / "new" / name)


async def bench_ingest(servers: MailServers, n: int, root: Path) -> dict:
    """A day's outage: the watcher starts with N unseen replies to N sent letters."""
    account, org, engine, settings = _prober(servers, root, "ingest", "var")
    letters = _sent_letters(engine, settings, org.split("@")[1], n)
    _fill_mailbox(servers, account, letters)
    assert _count(servers, account.address, account.password) == n  # Dovecot indexes them

    started = time.perf_counter()
    fetched = _plain_fetch(servers, account)
    reference = time.perf_counter() - started
    assert sum(1 for part in fetched if isinstance(part, tuple)) == n
    minimum = _fetch_parse_row_file(servers, account, root / "reference")

    started = time.perf_counter()
    load_calendar()  # the watcher does this when it starts (Watcher.run)
    calendar = time.perf_counter() - started

    plain_imap = settings.imap.model_copy(
        update={"port": servers.ports["imap"], "security": "none"}
    )
    plain = settings.model_copy(update={"imap": plain_imap})
    watcher = Watcher(engine=engine, settings=plain, sink=sink_for(engine, plain))
    started = time.perf_counter()
    client = await ours.connect(plain.imap, network="loopback")
    selected = await ours.select(client, "INBOX")
    await watcher.catch_up(client, selected.uidvalidity)
    await ours.close(client)
    elapsed = time.perf_counter() - started
    with session_scope(engine) as session:
        replied = len(session.exec(select(Check).where(Check.outcome == "replied")).all())
        files = sum(1 for _ in (Path(settings.data_dir) / "mail" / "inbound").rglob("*.eml"))
    assert replied == n, replied
    assert files == n, files
    fetch_only = await _our_fetch_only(plain, n)
    return {"ours_s": elapsed, "imaplib_s": reference, "minimum_s": minimum,
            "fetch_only_s": fetch_only, "calendar": calendar}  # fmt: skip


async def _our_fetch_only(settings: Settings, n: int) -> float:
    """Our own IMAP path as the watcher takes it (connect, log in, SELECT, SEARCH, FETCH in the
    watcher's batches), the messages then dropped: where our time goes, not a reference."""
    options = WatcherOptions()
    size = options.batch_size
    started = time.perf_counter()
    client = await ours.connect(settings.imap, network="loopback")
    await ours.select(client, "INBOX")
    uids = await ours.uids_after(client, 0)
    got = 0
    for start in range(0, len(uids), size):
        got += len(
            await ours.fetch(client, uids[start : start + size], max_bytes=options.max_eml_bytes)
        )
    await ours.close(client)
    elapsed = time.perf_counter() - started
    assert got == n, got
    return elapsed


def _fetch_parse_row_file(servers: MailServers, account: Account, folder: Path) -> float:
    """Second reference, the least a recorder must do: the same UID FETCH, each message parsed
    (`email.message_from_bytes`, its sender, subject and threading headers read), stored as one
    row of SQLite (the product's settings: WAL, synchronous=NORMAL) and kept as one file named
    by its SHA-256, committed once. Nothing is classified, matched or applied to a check."""
    started = time.perf_counter()
    fetched = _plain_fetch(servers, account)
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "reference.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS message (uid INTEGER, sender TEXT, subject TEXT, "
               "message_id TEXT, in_reply_to TEXT, size INTEGER, path TEXT)")  # fmt: skip
    for part in fetched:
        if not isinstance(part, tuple):
            continue
        raw = part[1]
        message = email.message_from_bytes(raw)
        uid = int(part[0].split(b"UID ")[1].split()[0])
        path = folder / f"{hashlib.sha256(raw).hexdigest()}.eml"
        path.write_bytes(raw)
        db.execute(
            "INSERT INTO message VALUES (?, ?, ?, ?, ?, ?, ?)",
            (uid, str(message["From"]), str(message["Subject"]), str(message["Message-ID"]),
             str(message["In-Reply-To"]), len(raw), str(path)),
        )  # fmt: skip
    db.commit()
    db.close()
    return time.perf_counter() - started


def _last_delivery(maildir: Path) -> datetime:
    """Dovecot names a maildir file after its delivery instant: `<seconds>.M<microseconds>P...`."""
    instants = []
    for folder in ("new", "cur"):
        for path in (maildir / folder).iterdir():
            seconds, rest = path.name.split(".", 1)
            micros = rest.split("P", 1)[0].lstrip("M")
            instants.append(int(seconds) + int(micros) / 1e6)
    return datetime.fromtimestamp(max(instants), UTC)


async def bench_latency(servers: MailServers, samples: int, root: Path) -> list[float]:
    account, org, engine, settings = _prober(servers, root, "latency", "var2")
    ids = _waiting_checks(engine, settings, org, samples)
    watcher = Watcher(
        engine=engine, settings=settings, sink=sink_for(engine, settings), options=WatcherOptions()
    )
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    while watcher.stats.connections == 0:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    maildir = servers.root / "mail" / "prober.test" / account.address.split("@")[0] / "Maildir"
    delays = []
    for i, message_id in enumerate(ids):
        await asyncio.to_thread(_deliver, servers, org, account.address, [message_id])
        while len(watcher.stats.processed) <= i:
            await asyncio.sleep(0.005)
        with session_scope(engine) as session:
            row = session.exec(select(InboundMessage).where(InboundMessage.uid == i + 1)).one()
            recorded = row.created_at
        delays.append((recorded - _last_delivery(maildir)).total_seconds())
        await asyncio.sleep(0.2)
    stop.set()
    await task
    return delays


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="messages per send run")
    parser.add_argument("--burst", type=int, default=10_000, help="replies waiting at start")
    parser.add_argument("--latency-samples", type=int, default=15)
    parser.add_argument("--send-rounds", type=int, default=3)
    parser.add_argument("--burst-only", action="store_true", help="only the ingestion burst")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    servers = MailServers(accounts=8)
    servers.start()
    root = Path(tempfile.mkdtemp(prefix="bench-email-"))
    send: dict | None = None  # type: ignore[type-arg]
    delays: list[float] = []
    try:
        if not args.burst_only:
            sender = servers.add_account()
            sink = servers.add_account(domain="org.test")
            settings = prober_settings(servers, sender, str(root / "var0"), "sqlite://")
            _warm_up(servers, sender.address, sink)
            send = await bench_send(settings, servers, sink, args.messages, args.send_rounds)
        ingest = await bench_ingest(servers, args.burst, root)
        if not args.burst_only:
            delays = await bench_latency(servers, args.latency_samples, root)
    finally:
        servers.stop()
    if send is not None:
        _print_send(send, args.messages)
    _print_burst(ingest, args.burst)
    if delays:
        print(f"delivery -> recorded ({len(delays)} replies, watcher in IDLE):")
        print(f"  median      {statistics.median(delays):8.3f} s")
        print(f"  max         {max(delays):8.3f} s   (target <= 1 s)")


def _print_send(send: dict, n: int) -> None:  # type: ignore[type-arg]
    ours, reference = statistics.median(send["ours"]), statistics.median(send["smtp_source"])
    runs = len(send["ours"])
    print(f"send ({n} messages of {send['bytes']} bytes, one connection, plain SMTP; "
          f"median of {runs} alternating runs each, every run on an idle server):")  # fmt: skip
    print(f"  ours        {ours:8.1f} msg/s   (runs: {_runs(send['ours'])})")
    print(f"  smtp-source {reference:8.1f} msg/s   (runs: {_runs(send['smtp_source'])})")
    print(f"  ratio       {ours / reference:8.2f}x   (target >= 0.8)")
    print(f"  full probe  {send['full_probe']:8.1f} msg/s   (build + send + copy to Sent)")


def _print_burst(ingest: dict, n: int) -> None:  # type: ignore[type-arg]
    ours, plain, minimum = ingest["ours_s"], ingest["imaplib_s"], ingest["minimum_s"]
    print(f"ingestion burst ({n} replies waiting when the watcher starts: fetch, classify, "
          "match, rows, evidence files):")  # fmt: skip
    print(f"  ours                 {ours:8.2f} s   (target <= 30 s; {n / ours:.0f} msg/s)")
    print(f"  imaplib fetch        {plain:8.2f} s   (one UID FETCH, nothing else; "
          f"ours is {ours / plain:.1f}x)")  # fmt: skip
    print(f"  fetch+parse+row+file {minimum:8.2f} s   (same fetch, email.message_from_bytes, "
          f"one SQLite row and one file each; ours is {ours / minimum:.1f}x)")  # fmt: skip
    print(f"  our fetch alone      {ingest['fetch_only_s']:8.2f} s   (connect, SELECT, SEARCH, "
          "the watcher's batched FETCHes; nothing recorded)")  # fmt: skip
    print(f"  (once per process, not counted: loading the calendar {ingest['calendar']:.2f} s)")


def _runs(rates: list[float]) -> str:
    return ", ".join(f"{rate:.1f}" for rate in rates)


if __name__ == "__main__":
    asyncio.run(main())

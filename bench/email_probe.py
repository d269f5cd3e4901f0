"""E-mail probe throughput and latency against a real Postfix + Dovecot (tests/servers/mail.py).

Three figures, each against a reference measured in the same run:
1. send: N probes through our SMTP session (one connection, as in a campaign batch) against
   Postfix's own `smtp-source` sending N messages of the same size over one connection;
   also the full probe path (message building + send + filing the copy in Sent), for scale;
2. ingestion: N replies read, classified, matched and recorded by the watcher against a plain
   `imaplib` UID FETCH of the same N messages;
3. delay from delivery (the maildir file Dovecot writes) to the reply being recorded.

    .venv/bin/python bench/email_probe.py [--messages 300] [--latency-samples 15]

Targets: send >= 0.8x smtp-source; ingestion >= 0.5x plain fetch; recorded <= 1 s after delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlmodel import select  # noqa: E402

from adapters.email import plugin  # noqa: E402
from adapters.email.message import build_message, identity_for  # noqa: E402
from adapters.email.smtp import SmtpSession  # noqa: E402
from adapters.email.watcher import Watcher, WatcherOptions  # noqa: E402
from probe.channels import ProbeContext, ProbeTarget  # noqa: E402
from probe.logs import configure_logging, get_logger  # noqa: E402
from probe.results import Channel, utc_now  # noqa: E402
from probe.settings import Settings, SmtpSettings  # noqa: E402
from storage.checks import record_result  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Check, InboundMessage  # noqa: E402
from tests.servers.mail import MailServers  # noqa: E402
from tests.servers.mail_orgs import make_check, prober_settings  # noqa: E402


def _plain(settings: Settings, servers: MailServers) -> Settings:
    """The prober's settings, sending to the plain port like smtp-source does."""
    smtp = SmtpSettings(
        port=servers.ports["mx"], security="none", from_address=settings.smtp.from_address
    )
    return settings.model_copy(update={"smtp": smtp})


async def bench_send(settings: Settings, servers: MailServers, sink: str, n: int) -> dict:
    target = ProbeTarget(check_id=1, channel=Channel.EMAIL, value=sink)
    message = build_message(
        settings=settings, identity=identity_for(target, settings), recipient=sink,
        template="benefits", sender_name="Ирина Петрова", date=utc_now(),
    )  # fmt: skip
    data = message.as_bytes()
    plain = _plain(settings, servers)
    session = SmtpSession(plain.smtp, network="loopback")
    await session.open()
    started = time.perf_counter()
    for _ in range(n):
        await session.send(sender=plain.smtp.from_address, recipient=sink, data=data)
    ours = time.perf_counter() - started
    await session.close()

    started = time.perf_counter()
    subprocess.run(
        ["smtp-source", "-s", "1", "-d", "-m", str(n), "-l", str(len(data)),
         "-f", plain.smtp.from_address, "-t", sink, f"127.0.0.1:{servers.ports['mx']}"],
        check=True, capture_output=True,
    )  # fmt: skip
    reference = time.perf_counter() - started

    context = ProbeContext(settings=plain, evidence_dir=Path(tempfile.mkdtemp()), log=get_logger())
    started = time.perf_counter()
    for i in range(n):
        await plugin.probe(ProbeTarget(check_id=i + 1, channel=Channel.EMAIL, value=sink), context)
    full = time.perf_counter() - started
    await plugin.close()
    return {"ours": n / ours, "smtp_source": n / reference, "full_probe": n / full,
            "bytes": len(data)}  # fmt: skip


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


async def bench_ingest(servers: MailServers, n: int, root: Path) -> dict:
    account = servers.add_account()
    org = servers.add_account(domain="org.test").address
    url = f"sqlite:///{root / 'ingest.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = prober_settings(servers, account, str(root / "var"), url)
    ids = _waiting_checks(engine, settings, org, n)
    _deliver(servers, org, account.address, ids)
    while _count(servers, account.address, account.password) < n:
        time.sleep(0.1)

    started = time.perf_counter()
    imap = imaplib.IMAP4("127.0.0.1", servers.ports["imap"])
    imap.login(account.address, account.password)
    imap.select("INBOX", readonly=True)
    _, fetched = imap.uid("fetch", "1:*", "(UID INTERNALDATE BODY.PEEK[])")
    imap.logout()
    reference = time.perf_counter() - started
    assert sum(1 for part in fetched if isinstance(part, tuple)) == n

    plain_imap = settings.imap.model_copy(
        update={"port": servers.ports["imap"], "security": "none"}
    )
    plain = settings.model_copy(update={"imap": plain_imap})
    watcher = Watcher(engine=engine, settings=plain)
    started = time.perf_counter()
    from adapters.email import imap as ours

    client = await ours.connect(plain.imap, network="loopback")
    selected = await ours.select(client, "INBOX")
    await watcher.catch_up(client, selected.uidvalidity)
    await ours.close(client)
    elapsed = time.perf_counter() - started
    with session_scope(engine) as session:
        replied = len(session.exec(select(Check).where(Check.outcome == "replied")).all())
    assert replied == n, replied
    return {"ours": n / elapsed, "imaplib": n / reference}


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
    account = servers.add_account()
    org = servers.add_account(domain="org.test").address
    url = f"sqlite:///{root / 'latency.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = prober_settings(servers, account, str(root / "var2"), url)
    ids = _waiting_checks(engine, settings, org, samples)
    watcher = Watcher(engine=engine, settings=settings, options=WatcherOptions())
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
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--latency-samples", type=int, default=15)
    args = parser.parse_args()
    configure_logging(level="WARNING")
    servers = MailServers(accounts=8)
    servers.start()
    root = Path(tempfile.mkdtemp(prefix="bench-email-"))
    try:
        sender = servers.add_account()
        sink = servers.add_account(domain="org.test").address
        settings = prober_settings(servers, sender, str(root / "var0"), "sqlite://")
        send = await bench_send(settings, servers, sink, args.messages)
        ingest = await bench_ingest(servers, args.messages, root)
        delays = await bench_latency(servers, args.latency_samples, root)
    finally:
        servers.stop()
    n = args.messages
    print(f"send ({n} messages of {send['bytes']} bytes, one connection, plain SMTP):")
    print(f"  ours        {send['ours']:8.1f} msg/s")
    print(f"  smtp-source {send['smtp_source']:8.1f} msg/s")
    print(f"  ratio       {send['ours'] / send['smtp_source']:8.2f}x   (target >= 0.8)")
    print(f"  full probe  {send['full_probe']:8.1f} msg/s   (build + send + copy to Sent)")
    print(f"ingestion ({n} replies: fetch + classify + match + record):")
    print(f"  ours        {ingest['ours']:8.1f} msg/s")
    print(f"  imaplib     {ingest['imaplib']:8.1f} msg/s   (plain UID FETCH, nothing else)")
    print(f"  ratio       {ingest['ours'] / ingest['imaplib']:8.2f}x   (target >= 0.5)")
    print(f"delivery -> recorded ({len(delays)} replies, watcher in IDLE):")
    print(f"  median      {statistics.median(delays):8.3f} s")
    print(f"  max         {max(delays):8.3f} s   (target <= 1 s)")


if __name__ == "__main__":
    asyncio.run(main())

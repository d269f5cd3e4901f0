"""Simulated organisations for the e-mail tests: each reads its own mailbox over IMAP and
answers the way real ones do: after a delay, without In-Reply-To, from another address, in
windows-1251 or KOI8-R, or never. Auto-replies come from Dovecot's Sieve `vacation` itself.
"""

from __future__ import annotations

import email
import imaplib
import smtplib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from probe.sandbox.mailservers import ORG_DOMAIN, Account, MailServers
from probe.sandbox.staff import MODES, VACATION, compose_reply


@dataclass
class Org:
    account: Account
    mode: str
    delay: float
    pending: list[tuple[float, EmailMessage]] = field(default_factory=list)
    replies: list[tuple[datetime, EmailMessage]] = field(default_factory=list)
    imap: imaplib.IMAP4 | None = None


class Organisations:
    """A thread that plays every organisation's staff."""

    def __init__(self, servers: MailServers) -> None:
        self.servers = servers
        self.orgs: dict[str, Org] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.errors: list[str] = []

    def add(self, mode: str, *, delay: float = 0.0, auto_reply: bool = False) -> Account:
        assert mode in MODES, mode
        account = self.servers.add_account(
            domain=ORG_DOMAIN, sieve=VACATION if auto_reply else None
        )
        with self._lock:
            self.orgs[account.address] = Org(account, mode, delay)
        return account

    def replies(self, address: str) -> list[tuple[datetime, EmailMessage]]:
        with self._lock:
            return list(self.orgs[address].replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                orgs = [o for o in self.orgs.values() if o.mode != "never"]
            for org in orgs:
                try:
                    self._read(org)
                    self._send_due(org)
                except Exception as error:
                    self.errors.append(f"{org.account.address}: {error!r}")
                    org.imap = None
            self._stop.wait(0.05)

    def _read(self, org: Org) -> None:
        if org.imap is None:
            org.imap = imaplib.IMAP4("127.0.0.1", self.servers.ports["imap"])
            org.imap.login(org.account.address, org.account.password)
        org.imap.select("INBOX")
        _, data = org.imap.uid("search", None, "UNSEEN")
        for uid in data[0].split():
            _, parts = org.imap.uid("fetch", uid, "(BODY.PEEK[])")
            raw = parts[0][1]
            org.imap.uid("store", uid, "+FLAGS", "(\\Seen)")
            question = email.message_from_bytes(raw)
            org.pending.append((time.monotonic() + org.delay, self._answer(org, question)))

    def _send_due(self, org: Org) -> None:
        now = time.monotonic()
        due = [m for at, m in org.pending if at <= now]
        org.pending = [(at, m) for at, m in org.pending if at > now]
        for message in due:
            with smtplib.SMTP("127.0.0.1", self.servers.ports["mx"]) as smtp:
                smtp.send_message(message)
            with self._lock:
                org.replies.append((datetime.now(UTC), message))

    def _answer(self, org: Org, question: Message) -> EmailMessage:
        return compose_reply(
            question, mode=org.mode, address=org.account.address, now=datetime.now(UTC)
        )


# -- the prober's side of a test: settings, directory rows, one probe -----------------------


def prober_settings(servers: MailServers, account: Account, data_dir: str, database_url: str):  # type: ignore[no-untyped-def]
    from adapters.email.config import ImapSettings, SmtpSettings
    from probe.settings import Settings

    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        smtp=SmtpSettings(
            port=servers.ports["submission"],
            username=account.address,
            password=account.password,
            security="starttls",
            ca_file=servers.ca_file,
            from_address=account.address,
        ),
        imap=ImapSettings(
            port=servers.ports["imaps"],
            username=account.address,
            password=account.password,
            security="tls",
            ca_file=servers.ca_file,
        ),
    )


def make_check(
    engine,  # type: ignore[no-untyped-def]
    *,
    address: str,
    spec: dict | None = None,  # type: ignore[type-arg]
    timezone: str = "Asia/Omsk",
    hours: dict | None = None,  # type: ignore[type-arg]
) -> int:
    """An organisation with one e-mail contact, a campaign, and a planned check on it."""
    from storage.checks import create_campaign, create_check
    from storage.engine import session_scope
    from storage.models import Contact, Organisation

    with session_scope(engine) as session:
        organisation = Organisation(
            key=f"test:{address}", name=f"КЦСОН {address}", region="omsk",
            timezone=timezone, hours=hours,
        )  # fmt: skip
        session.add(organisation)
        session.flush()
        contact = Contact(
            organisation_id=organisation.id, channel="email", key=address, raw=address,
            value=address,
        )  # fmt: skip
        session.add(contact)
        session.flush()
        campaign = create_campaign(
            session=session, name=f"campaign {address}", channels=["email"], spec=spec or {}
        )
        check = create_check(session=session, contact=contact, campaign_id=campaign.id)
        assert check.id is not None
        return check.id


async def probe_check(engine, settings, check_id: int, evidence_dir):  # type: ignore[no-untyped-def]
    """What the campaign runner does for one check: build the target, probe, record."""
    from adapters.email import plugin
    from probe.channels import ProbeContext, ProbeTarget
    from probe.logs import get_logger
    from probe.scoring.names import Channel
    from storage.checks import record_result
    from storage.engine import session_scope
    from storage.models import Campaign, Check, Contact

    with session_scope(engine) as session:
        check = session.get(Check, check_id)
        contact = session.get(Contact, check.contact_id)
        campaign = session.get(Campaign, check.campaign_id)
        target = ProbeTarget(
            check_id=check_id, channel=Channel.EMAIL, value=contact.value,
            campaign_id=campaign.id, options=(campaign.spec or {}).get("email", {}),
        )  # fmt: skip
    context = ProbeContext(settings=settings, evidence_dir=evidence_dir, log=get_logger())
    result = await plugin.probe(target, context)
    with session_scope(engine) as session:
        record_result(session=session, check=session.get(Check, check_id), result=result)
    return result


def load_check(engine, check_id: int):  # type: ignore[no-untyped-def]
    from storage.engine import session_scope
    from storage.models import Check

    with session_scope(engine) as session:
        return session.get(Check, check_id)


async def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout} s")

"""`probe sandbox`: the whole job end to end in a local region that cannot reach the outside.

1. Start the organisations' side on loopback: Postfix + Dovecot holding every directory
   address (a dead one has no mailbox and bounces; mail for any other domain bounces too), the
   staff answering after the seed's number of working days, and one SIPp instance per phone
   behaviour (ring then answer, busy, never answering, an answering machine, a REFER or a hold
   to another party, a refusal), with every directory number routed to its behaviour, attempt
   by attempt.
2. Import the bundled directory (38 Omsk centres) into a fresh SQLite database.
3. Run a phone + e-mail campaign through the ordinary runner on a compressed clock: time runs
   `speed` times faster, and when nothing is in flight it jumps to the next planned attempt or
   reply (nights, weekends and the days of waiting for replies pass in seconds).
4. Print the summary (what each organisation did against what the sandbox told it to do),
   write the protocol XLSX and a JSON summary, and serve the review UI.

Every process started here is stopped on exit, Ctrl-C included; a run killed with SIGKILL
leaves a pid file the next run uses to stop its leftovers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from probe.clock import WarpClock, set_clock
from probe.logs import get_logger
from probe.results import CheckStatus
from probe.sandbox.mailservers import MailServers, mail_servers_installed
from probe.sandbox.sipp import Audio, Sipp, make_audio
from probe.sandbox.staff import MODES, VACATION, Employee, Staff
from probe.sandbox.world import (
    Phone,
    SandboxError,
    World,
    expected_email_late,
    expected_email_outcome,
    expected_phone_outcomes,
    load_world,
)
from probe.settings import ImapSettings, Settings, SipSettings, SmtpSettings
from storage.models import Check

log = get_logger(component="sandbox")

CAMPAIGN = "sandbox"
ZONE = "Asia/Omsk"
# A Monday of the 2026 production calendar; the clock starts before the centres open.
DEFAULT_START = datetime(2026, 4, 6, 8, 40, tzinfo=ZoneInfo(ZONE))
PER_CONTACT = 3
DEADLINE_WORKING_DAYS = 3
RING_TIMEOUT_SECONDS = 8
LISTEN_SECONDS = 12  # the answering machine beeps after 9 s of monologue
REQUIRED_TOOLS = ("sipp", "espeak-ng", "sox", "postfix", "dovecot", "openssl")


@dataclass
class Options:
    data_dir: Path = Path("var/sandbox")
    world: str = "omsk-kcson"
    speed: float = 30.0  # campaign seconds per real second while anything is in flight
    start: datetime = DEFAULT_START
    workers: int = 6  # call-worker processes: 12 calls, 2 each, leave a slot per REFER leg
    web_port: int | None = 8080  # None: no review UI
    timeout: float = 1200.0  # real seconds before the run is declared stuck


@dataclass
class SandboxReport:
    """What the sandbox found: the table, the counts and whether everything matched."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    expected: Counter[str] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)
    xlsx: Path | None = None
    summary: Path | None = None
    campaign_days: float = 0.0
    real_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches


# -- the pid file: leftovers of a killed run -----------------------------------------------------


def _pid_file(data_dir: Path) -> Path:
    return data_dir / "sandbox.pids"


def stop_leftovers(data_dir: Path) -> list[int]:
    """Stop the processes a killed earlier run left (checked by name: pids are reused)."""
    path = _pid_file(data_dir)
    if not path.is_file():
        return []
    stopped = []
    for line in path.read_text().split():
        with contextlib.suppress(ValueError, OSError):
            pid = int(line)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if any(name in cmdline for name in (b"sipp", b"dovecot", b"postfix", b"master")):
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
    path.unlink(missing_ok=True)
    for root in data_dir.glob("mail-root-*"):
        shutil.rmtree(root, ignore_errors=True)
    return stopped


def _record_pids(data_dir: Path, pids: list[int]) -> None:
    _pid_file(data_dir).write_text("\n".join(str(p) for p in pids) + "\n")


# -- the organisations' side ---------------------------------------------------------------------


class Exchange:
    """SIPp instances, one per phone behaviour, and the route of every number to them."""

    def __init__(self, audio: Audio) -> None:
        self.audio = audio
        self.instances: dict[tuple[str, int, int], Sipp] = {}
        self.routes: dict[str, list[str]] = {}
        self._specialists: dict[int, Sipp] = {}

    def _specialist(self, transfers: int) -> Sipp:
        """Where a REFER leads: one who answers (once), one who holds and passes the call on
        again more than five seconds later (several)."""
        if transfers not in self._specialists:
            if transfers == 1:
                sipp = Sipp("answer_wait.xml", pause_ms=1000, audio=self.audio["speech"])
            else:
                sipp = Sipp("hold_update.xml", pause_ms=6500, audio=self.audio["speech"])
            sipp.calls = 1_000_000
            self._specialists[transfers] = sipp.start()
        return self._specialists[transfers]

    def instance(self, behaviour: str, phone: Phone) -> Sipp:
        ring = phone.ring_ms
        transfers = phone.transfers if behaviour == "connected" else 0
        key = (behaviour, ring if behaviour not in ("busy", "no_answer") else 0, transfers)
        if key in self.instances:
            return self.instances[key]
        many = 1_000_000
        if behaviour == "connected" and transfers:
            target = self._specialist(transfers)
            sipp = Sipp(
                "refer.xml",
                pause_ms=ring,
                keys={"target": target.uri},
                audio=self.audio["speech"],
                calls=many,
                extra=["-aa"],
            )
        elif behaviour == "connected":
            sipp = Sipp("answer_wait.xml", pause_ms=ring, audio=self.audio["speech"], calls=many)
        elif behaviour == "answering_machine":
            sipp = Sipp("answer_wait.xml", pause_ms=ring, audio=self.audio["machine"], calls=many)
        elif behaviour == "busy":
            sipp = Sipp("reject.xml", fill={"code": "486", "reason": "Busy Here"}, calls=many)
        elif behaviour == "rejected":
            sipp = Sipp(
                "reject.xml", pause_ms=ring, fill={"code": "603", "reason": "Decline"}, calls=many
            )
        elif behaviour == "no_answer":
            sipp = Sipp("ring_forever.xml", calls=many)
        else:  # unavailable: a special information tone, then 404
            sipp = Sipp(
                "early_reject.xml",
                pause_ms=1500,
                audio=self.audio["sit"],
                fill={"code": "404", "reason": "Not Found"},
                calls=many,
            )
        self.instances[key] = sipp.start()
        return sipp

    def route(self, phone: Phone) -> None:
        digits = phone.value.lstrip("+")
        uris = []
        for attempt in range(1, len(phone.outcomes) + 1):
            sipp = self.instance(phone.behaviour(attempt), phone)
            uris.append(f"sip:{digits}@{sipp.hostport}")
        self.routes[phone.number] = uris

    def unknown_numbers(self) -> Sipp:
        """Numbers the sandbox does not know: 404, like a number that does not exist."""
        key = ("unknown", 0, 0)
        if key not in self.instances:
            sipp = Sipp("reject.xml", fill={"code": "404", "reason": "Not Found"}, calls=1_000_000)
            self.instances[key] = sipp.start()
        return self.instances[key]

    @property
    def all(self) -> list[Sipp]:
        return [*self.instances.values(), *self._specialists.values()]

    def describe(self) -> dict[str, str]:
        """Which SIPp instance plays which behaviour (for the summary and for debugging)."""
        found = {f"{b}/ring {r} ms/transfers {t}": s.uri for (b, r, t), s in self.instances.items()}
        for transfers, sipp in self._specialists.items():
            found[f"specialist after REFER/transfers {transfers}"] = sipp.uri
        return found

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.all if s.proc is not None]

    def stop(self) -> None:
        for sipp in self.all:
            with contextlib.suppress(Exception):
                sipp.stop()


def _reply_mode(row: int) -> str:
    """Real replies come in several shapes; the sandbox varies them by protocol row."""
    return MODES[row % 3]


class Region:
    """Everything the organisations run, started and stopped together."""

    def __init__(self, world: World, options: Options) -> None:
        self.world = world
        self.options = options
        self.mail: MailServers | None = None
        self.staff: Staff | None = None
        self.exchange: Exchange | None = None
        self.prober_password = secrets.token_urlsafe(12)

    def start(self, say: Callable[[str], None]) -> None:
        data_dir = self.options.data_dir
        boxes = [m for m in self.world.mailboxes if not m.bounce]
        domains = {m.address.rpartition("@")[2] for m in self.world.mailboxes}
        self.mail = MailServers(accounts=0, mailboxes=[m.address for m in boxes], domains=domains)
        self.mail.start()
        self._pids()
        say(
            f"mail: Postfix on 127.0.0.1:{self.mail.ports['submission']} (submission), Dovecot "
            f"on 127.0.0.1:{self.mail.ports['imaps']} (IMAPS); {len(boxes)} mailboxes, "
            f"{len(self.world.mailboxes) - len(boxes)} dead addresses"
        )
        self.staff = Staff(mx_port=self.mail.ports["mx"])
        for organisation in self.world.organisations:
            for mailbox in organisation.emails:
                if mailbox.bounce:
                    continue
                local, _, domain = mailbox.address.lower().rpartition("@")
                self.mail.add_account(
                    local, domain=domain, sieve=VACATION if mailbox.auto_reply else None
                )
                self.staff.add(
                    Employee(
                        address=mailbox.address.lower(),
                        maildir=self.mail.root / "mail" / domain / local / "Maildir",
                        mode=_reply_mode(organisation.protocol_row) if mailbox.replies else "never",
                        working_days=mailbox.reply_after_working_days or 0,
                        timezone=ZONE,
                    )
                )
        self.staff.start()
        audio = make_audio(data_dir / "audio")
        self.exchange = Exchange(audio)
        for phone in self.world.phones:
            self.exchange.route(phone)
        self.exchange.unknown_numbers()
        self._pids()
        say(
            f"telephony: {len(self.exchange.all)} SIPp instances on 127.0.0.1 play "
            f"{len(self.world.phones)} numbers"
        )

    def _pids(self) -> None:
        pids = self.exchange.pids() if self.exchange else []
        if self.mail is not None:
            pids += self.mail.pids()
        _record_pids(self.options.data_dir, pids)

    def prober_settings(self, database_url: str) -> Settings:
        assert self.mail is not None and self.exchange is not None
        account = self.mail.add_account("prober")
        sip = SipSettings(
            workers=self.options.workers,
            routes=self.exchange.routes,
            dial_plan=f"sip:{{digits}}@{self.exchange.unknown_numbers().hostport}",
            caller_id="prober",
        )
        return Settings(
            environment="sandbox",
            network="loopback",
            database_url=database_url,
            data_dir=self.options.data_dir,
            smtp=SmtpSettings(
                port=self.mail.ports["submission"],
                username=account.address,
                password=account.password,
                security="starttls",
                ca_file=self.mail.ca_file,
                from_address=account.address,
            ),
            imap=ImapSettings(
                port=self.mail.ports["imaps"],
                username=account.address,
                password=account.password,
                security="tls",
                ca_file=self.mail.ca_file,
            ),
            sip=sip,
        )

    def stop(self) -> None:
        if self.exchange is not None:
            self.exchange.stop()
        if self.staff is not None:
            self.staff.stop()
        if self.mail is not None:
            self.mail.stop()
        _pid_file(self.options.data_dir).unlink(missing_ok=True)


# -- the campaign --------------------------------------------------------------------------------


def campaign_spec(start: datetime, world: World) -> dict[str, Any]:
    return {
        "name": CAMPAIGN,
        "title": "Песочница: КЦСОН Омской области",
        "organisations": {"names": [o.name for o in world.organisations]},
        "channels": ["phone", "email"],
        "start": start.date().isoformat(),
        "end": (start + timedelta(days=25)).date().isoformat(),
        "windows": "hours",
        "spread": "asap",
        "calls": {"per_contact": PER_CONTACT, "per_organisation": 9},
        "email": {"deadline_working_days": DEADLINE_WORKING_DAYS},
        "limits": {"calls_in_parallel": 12, "checks_in_parallel": 16, "emails_per_minute": 30},
        "options": {
            "phone": {
                "ring_timeout_seconds": RING_TIMEOUT_SECONDS,
                "listen_seconds": LISTEN_SECONDS,
                "prompt": "default",
            },
            "email": {},
        },
    }


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(col(Check.status), func.count()).group_by(col(Check.status))
        ).all()
    return {status: count for status, count in rows}


class TimeWarp:
    """Jumps the clock to the next thing that will happen when nothing is in flight."""

    QUIET_SECONDS = 1.0  # real seconds of calm before a jump (mail in transit settles)
    MAX_JUMP = timedelta(hours=12)

    def __init__(self, clock: WarpClock, engine: Engine, staff: Staff) -> None:
        self.clock = clock
        self.engine = engine
        self.staff = staff

    def next_event(self, counts: dict[str, int]) -> datetime | None:
        """None while something is in flight or due; else the next planned instant."""
        if counts.get(CheckStatus.RUNNING.value):
            return None
        now = self.clock.now()
        with Session(self.engine) as session:
            next_planned = session.exec(
                select(func.min(Check.planned_at)).where(
                    col(Check.status) == CheckStatus.PLANNED.value
                )
            ).one()
        if next_planned is not None:
            next_planned = next_planned.replace(tzinfo=next_planned.tzinfo or UTC)
            if next_planned <= now:
                return None
        # Reply deadlines end at local midnight: never jump past one unseen.
        local = now.astimezone(ZoneInfo(ZONE))
        midnight = datetime.combine(
            local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo
        ) + timedelta(seconds=1)
        candidates = [t for t in (next_planned, self.staff.next_due()) if t is not None]
        return min([*candidates, midnight, now + self.MAX_JUMP])

    async def run(self, stop: asyncio.Event, on_jump: Callable[[], Any]) -> None:
        state: dict[str, int] = {}
        changed = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.25)
            counts = await asyncio.to_thread(_counts, self.engine)
            if counts != state:  # a check started, ended or began waiting: let mail settle
                state, changed = counts, time.monotonic()
            target = await asyncio.to_thread(self.next_event, counts)
            last = max(self.staff.last_activity, changed)
            quiet = time.monotonic() - last >= self.QUIET_SECONDS
            if target is None or not quiet:
                continue
            self.clock.jump_to(target)
            await on_jump()


# -- the summary ---------------------------------------------------------------------------------


def compare(engine: Engine, world: World) -> SandboxReport:
    """Each organisation's recorded outcomes against the behaviour the sandbox gave it."""
    from storage.models import Contact, Organisation

    result = SandboxReport()
    with Session(engine) as session:
        rows = session.exec(
            select(Organisation.protocol_row, Contact, Check)
            .join(Contact, col(Contact.id) == col(Check.contact_id))
            .join(Organisation, col(Organisation.id) == col(Check.organisation_id))
            .order_by(col(Check.id))
        ).all()
        # Published contacts the prober cannot use as written (a look-alike letter): while one is
        # left uncorrected, a channel that did not work waits for the operator (R11, R12).
        to_correct = {
            (row, channel)
            for row, channel in session.exec(
                select(Organisation.protocol_row, Contact.channel)
                .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
                .where(col(Contact.active).is_(True), col(Contact.value).is_(None))
                .where(col(Contact.is_fax).is_(False))
            ).all()
        }
    seen: dict[tuple[int | None, str], list[str]] = defaultdict(list)
    transfers: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    unfollowed: set[tuple[int | None, str]] = set()
    late: set[tuple[int | None, str]] = set()  # addresses whose reply was marked late
    for protocol_row, contact, check in rows:
        key = contact.value or contact.raw
        if contact.channel == "phone" and contact.extension:
            key += f";ext={contact.extension}"
        if contact.channel == "email":
            key = key.lower()  # the directory keeps a local part as published (BYKCSO@...)
        seen[(protocol_row, key)].append(check.outcome or check.status)
        transfers[(protocol_row, key)].append(int((check.details or {}).get("transfers") or 0))
        if (check.details or {}).get("transfers_unfollowed"):
            unfollowed.add((protocol_row, key))
        if contact.channel == "email" and (check.details or {}).get("late") is True:
            late.add((protocol_row, key))
    scored = _protocol5(engine)
    for organisation in world.organisations:
        row = organisation.protocol_row
        mismatched_before = len(result.mismatches)
        phones = []
        for phone in organisation.phones:
            expected = expected_phone_outcomes(phone, per_contact=PER_CONTACT)
            observed = seen.get((row, phone.number), [])
            result.expected.update(f"phone:{o}" for o in expected)
            result.observed.update(f"phone:{o}" for o in observed)
            moved = max(transfers.get((row, phone.number), [0]), default=0)
            if observed != expected:
                result.mismatches.append(f"row {row} {phone.number}: {observed} != {expected}")
            elif expected[-1] == "connected" and min(moved, 2) != phone.transfers:
                lost = (
                    " (a transfer the prober could not follow)"
                    if (row, phone.number) in unfollowed
                    else ""
                )
                result.mismatches.append(
                    f"row {row} {phone.number}: {moved} transfers != {phone.transfers}{lost}"
                )
            phones.append({"number": phone.number, "expected": expected, "observed": observed,
                           "transfers": moved, "expected_transfers": phone.transfers})  # fmt: skip
        emails = []
        written = True  # the primary address is written to; the next one after a bounce
        for mailbox in organisation.emails:
            expected_mail = expected_email_outcome(mailbox) if written else None
            written = expected_mail == "bounced"
            observed_mail = seen.get((row, mailbox.address.lower()), [])
            # A reply after the 3-working-day norm counts, marked late (seed 000 rows 24, 35).
            expected_late = expected_mail == "replied" and expected_email_late(
                mailbox, deadline_working_days=DEADLINE_WORKING_DAYS
            )
            observed_late = (row, mailbox.address.lower()) in late
            if expected_mail is not None:
                result.expected[f"email:{expected_mail}"] += 1
            result.expected["email:late"] += expected_late
            result.observed.update(f"email:{o}" for o in observed_mail)
            result.observed["email:late"] += observed_late
            if observed_mail != ([expected_mail] if expected_mail else []):
                result.mismatches.append(
                    f"row {row} {mailbox.address}: {observed_mail} != [{expected_mail}]"
                )
            elif observed_late != expected_late:
                result.mismatches.append(
                    f"row {row} {mailbox.address}: late {observed_late} != {expected_late}"
                )
            emails.append({"address": mailbox.address, "expected": expected_mail,
                           "observed": observed_mail, "late": observed_late,
                           "expected_late": expected_late})  # fmt: skip
        # Protocol 5 column 4 as 2020 scored it: «да» when one of its numbers connected.
        expectations = [
            expected_phone_outcomes(p, per_contact=PER_CONTACT) for p in organisation.phones
        ]
        working = any(e[-1:] == ["connected"] for e in expectations) if expectations else None
        if working is False and (row, "phone") in to_correct:
            working = None
        phone_working, email_working = scored.get(row, (None, None))
        if phone_working is not working:
            result.mismatches.append(
                f"row {row}: phone working {phone_working} != {working} (Protocol 5 column 4)"
            )
        # Protocol 5's e-mail working as 2020 scored it: «да» when a letter was answered, late
        # or not (rows 24 and 35 after 6 and 8 working days).
        mail_works = any(e["expected"] == "replied" for e in emails) if emails else None
        if mail_works is False and (row, "email") in to_correct:
            mail_works = None  # row 12: the second address has a Cyrillic «р»
        if email_working is not mail_works:
            result.mismatches.append(
                f"row {row}: e-mail working {email_working} != {mail_works} (Protocol 5)"
            )
        result.rows.append({"row": row, "name": organisation.name, "phones": phones,
                            "emails": emails, "phone_working": phone_working,
                            "expected_phone_working": working, "email_working": email_working,
                            "expected_email_working": mail_works,
                            "match": len(result.mismatches) == mismatched_before})  # fmt: skip
    return result


def _protocol5(engine: Engine) -> dict[int | None, tuple[bool | None, bool | None]]:
    """Protocol 5's phone (column 4) and e-mail working of each protocol row, as the campaign's
    export scores them (rules R11, R12)."""
    from probe.scoring import score_campaign
    from storage.checks import get_campaign_by_name

    with Session(engine) as session:
        campaign = get_campaign_by_name(session=session, name=CAMPAIGN)
        if campaign is None:
            return {}
        score = score_campaign(session=session, campaign=campaign, audit=False)
    return {row.protocol_row: (row.phone.working, row.email.working) for row in score.protocol5}


def print_summary(outcome: SandboxReport, console: Any) -> None:
    from rich.table import Table

    table = Table(title="Sandbox: what each centre did, and what it was told to do")
    for name in ("№", "organisation", "phone outcomes", "transfers", "phone works", "e-mail",
                 "e-mail works", "match"):  # fmt: skip
        table.add_column(name, overflow="fold")
    for row in outcome.rows:
        phones = "; ".join("→".join(p["observed"]) or "—" for p in row["phones"]) or "—"
        moved = ", ".join(str(p["transfers"]) for p in row["phones"]) or "—"
        mail = (
            "; ".join(
                (",".join(e["observed"]) or "—") + (" (late)" if e["late"] else "")
                for e in row["emails"]
            )
            or "—"
        )
        match = "yes" if row["match"] else "[red]no[/red]"
        works = {True: "да", False: "нет", None: "—"}[row.get("phone_working")]
        mail_works = {True: "да", False: "нет", None: "—"}[row.get("email_working")]
        table.add_row(
            str(row["row"]), row["name"][:60], phones, moved, works, mail, mail_works, match
        )
    console.print(table)
    counts = Table(title="Outcomes: expected from the sandbox's behaviours, and recorded")
    for name in ("outcome", "expected", "recorded"):
        counts.add_column(name)
    for key in sorted(set(outcome.expected) | set(outcome.observed)):
        counts.add_row(key, str(outcome.expected[key]), str(outcome.observed[key]))
    console.print(counts)


# -- the whole run -------------------------------------------------------------------------------


@contextlib.contextmanager
def _clock(clock: WarpClock) -> Iterator[None]:
    previous = set_clock(clock)
    try:
        yield
    finally:
        set_clock(previous)


def check_tools() -> None:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing or not mail_servers_installed():
        raise SandboxError(
            f"missing {', '.join(missing) or 'Dovecot LMTP'}: run `scripts/setup.sh --sandbox` "
            "(Debian packages sip-tester, espeak-ng, sox, postfix, dovecot-imapd, dovecot-lmtpd, "
            "dovecot-sieve)"
        )
    if os.geteuid() != 0:
        raise SandboxError("the sandbox runs Postfix and Dovecot from its own config: run as root")


async def run_sandbox(
    options: Options,
    *,
    say: Callable[[str], None],
    progress: Callable[[dict[str, int], datetime], None] | None = None,
    serve_after: bool = False,
    stop: asyncio.Event | None = None,
) -> SandboxReport:
    from probe.directory.importer import bundled_path, import_directory
    from probe.export import export_campaign
    from schedules import campaigns as service
    from schedules.daemon import CampaignRunner
    from schedules.spec import parse_campaign
    from storage.engine import make_engine
    from storage.migrate import upgrade

    check_tools()
    world = load_world(options.world)
    data_dir = options.data_dir.resolve()
    options.data_dir = data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    leftovers = stop_leftovers(data_dir)
    if leftovers:
        say(f"stopped {len(leftovers)} processes a previous sandbox run left behind")
    database = data_dir / "sandbox.db"
    for stale in (database, data_dir / "evidence"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    stop = stop or asyncio.Event()
    region = Region(world, options)
    started_real = time.monotonic()
    try:
        await asyncio.to_thread(region.start, say)
        url = f"sqlite:///{database}"
        settings = await asyncio.to_thread(region.prober_settings, url)
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        report = await asyncio.to_thread(
            import_directory, bundled_path(world.directory), engine=engine, actor="sandbox"
        )
        say(
            f"directory: {len(report.organisations)} organisations imported from "
            f"{world.directory}; {len(world.organisations)} play their 2020 selves"
        )
        password = _operator(engine)
        clock = WarpClock(options.start, options.speed)
        with _clock(clock):
            spec = parse_campaign(campaign_spec(options.start, world))
            service.create(engine=engine, spec=spec, actor="sandbox")
            service.transition(
                engine=engine, name=CAMPAIGN, action="start", actor="sandbox", now=clock.now()
            )
            runner = CampaignRunner(
                engine=engine, settings=settings, clock=clock, tick_seconds=0.2, sweep_seconds=1
            )
            assert region.staff is not None
            warp = TimeWarp(clock, engine, region.staff)
            runner_stop = asyncio.Event()
            tasks = [asyncio.create_task(runner.run_forever(runner_stop))]

            async def after_jump() -> None:
                # Deadlines passed in the jump end now, not at the sweepers' next real-time turn.
                from adapters.email.sweep import sweep_no_reply

                await asyncio.to_thread(sweep_no_reply, engine=engine, now=clock.now())
                await runner.sweep()

            tasks.append(asyncio.create_task(warp.run(runner_stop, after_jump)))
            web = None
            if options.web_port is not None:
                from probe.web.app import serve

                web_stop = asyncio.Event()
                web = asyncio.create_task(
                    serve(
                        settings=settings,
                        engine=engine,
                        host="127.0.0.1",
                        port=options.web_port,
                        stop=web_stop,
                    )
                )
                say(
                    f"review UI: http://127.0.0.1:{options.web_port}/ "
                    f"(user operator, password {password})"
                )
            try:
                deadline = time.monotonic() + options.timeout
                while service.get(engine=engine, name=CAMPAIGN).status != "done":
                    if stop.is_set():
                        raise KeyboardInterrupt
                    if time.monotonic() > deadline:
                        raise SandboxError(
                            f"the campaign did not finish in {options.timeout:.0f} s: "
                            f"{_counts(engine)}"
                        )
                    for task in tasks:
                        if task.done() and task.exception() is not None:
                            raise task.exception()  # type: ignore[misc]
                    if progress is not None:
                        progress(_counts(engine), clock.now())
                    await asyncio.sleep(0.5)
                if progress is not None:
                    progress(_counts(engine), clock.now())
            finally:
                runner_stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
            outcome = compare(engine, world)
            outcome.campaign_days = (clock.now() - options.start).total_seconds() / 86400
            outcome.real_seconds = time.monotonic() - started_real
            outcome.xlsx = await asyncio.to_thread(
                export_campaign,
                engine=engine,
                campaign=CAMPAIGN,
                fmt="xlsx",
                out=data_dir / "sandbox-protocols.xlsx",
            )
            outcome.summary = data_dir / "sandbox-summary.json"
            outcome.summary.write_text(
                json.dumps(
                    {
                        "ok": outcome.ok,
                        "organisations": len(outcome.rows),
                        "expected": dict(outcome.expected),
                        "recorded": dict(outcome.observed),
                        "mismatches": outcome.mismatches,
                        "rows": outcome.rows,
                        "xlsx": str(outcome.xlsx),
                        "campaign_days": round(outcome.campaign_days, 2),
                        "real_seconds": round(outcome.real_seconds, 1),
                        "staff_errors": region.staff.errors,
                        "telephony": region.exchange.describe() if region.exchange else {},
                    },
                    ensure_ascii=False,
                    indent=2,
                ),
                encoding="utf-8",
            )
            if web is not None:
                if serve_after:
                    say("the review UI stays up: Ctrl-C to stop")
                    await stop.wait()
                web_stop.set()
                await asyncio.gather(web, return_exceptions=True)
        return outcome
    finally:
        await asyncio.to_thread(region.stop)


def _operator(engine: Engine) -> str:
    """An operator account for the review UI, with a fresh password each run."""
    from probe.web.security import hash_password
    from storage.engine import session_scope
    from storage.users import create_user

    password = secrets.token_urlsafe(9)
    with session_scope(engine) as session:
        create_user(
            session=session,
            username="operator",
            password_hash=hash_password(password),
            role="admin",
            actor="sandbox",
        )
    return password

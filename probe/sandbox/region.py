"""The organisations' side of the sandbox: Postfix + Dovecot with the staff answering, one
SIPp instance per phone behaviour with every directory number routed to its behaviour, and
nginx serving every centre's website.

Every process started here is recorded in a pid file, so a run killed with SIGKILL leaves
nothing the next run cannot stop."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.sandbox.campaign import ZONE, Options
from probe.sandbox.greetings import Greeting, make_greetings, variant
from probe.sandbox.mailservers import MailServers
from probe.sandbox.sipp import Audio, Sipp, make_audio
from probe.sandbox.sites import start_sites
from probe.sandbox.staff import MODES, VACATION, Employee, Staff
from probe.sandbox.world import (
    Phone,
    World,
)
from probe.settings import Settings

if TYPE_CHECKING:
    from probe.sandbox.websites import ServedSites

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
            if any(n in cmdline for n in (b"sipp", b"dovecot", b"postfix", b"master", b"nginx")):
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

    def __init__(self, audio: Audio, greetings: dict[str, Greeting]) -> None:
        self.audio = audio
        self.greetings = greetings  # "kind-variant" -> its clips: probe/sandbox/greetings.py
        self.instances: dict[tuple[str, int, int, str, str], Sipp] = {}
        self.routes: dict[str, list[str]] = {}
        self._specialists: dict[tuple[int, str], Sipp] = {}

    def _specialist(self, transfers: int, greeting: str) -> Sipp:
        """Where a REFER leads: one who answers (once), one who holds and passes the call on
        again more than five seconds later (several); each greets as its centre's specialist."""
        key = (transfers, greeting)
        if key not in self._specialists:
            clip = self.greetings[greeting].clip
            if transfers == 1:
                sipp = Sipp("answer_wait.xml", pause_ms=1000, audio=clip)
            else:
                sipp = Sipp("hold_update.xml", pause_ms=6500, audio=clip)
            sipp.calls = 1_000_000
            self._specialists[key] = sipp.start()
        return self._specialists[key]

    def instance(self, behaviour: str, phone: Phone, person: int = 0) -> Sipp:
        """The SIPp instance playing `behaviour` for `phone`; `person` (the phone's place in
        the world) picks the wording and voice of its greetings, the specialist's the next."""
        ring = phone.ring_ms
        transfers = phone.transfers if behaviour == "connected" else 0
        first, then = "", ""
        if behaviour == "connected":
            kinds = phone.greeting(0), phone.greeting(1)
            first = f"{kinds[0]}-{variant(kinds[0], person)}"
            then = f"{kinds[1]}-{variant(kinds[1], person + 1)}"
        key = (
            behaviour,
            ring if behaviour not in ("busy", "no_answer") else 0,
            transfers,
            first,
            then,
        )
        if key in self.instances:
            return self.instances[key]
        many = 1_000_000
        if behaviour == "connected" and transfers:
            target = self._specialist(transfers, then)
            clip, seconds = self.greetings[first].clip, self.greetings[first].seconds
            sipp = Sipp(
                "refer_greeting.xml",
                pause_ms=ring,
                # The reception greets, then hands the call on.
                keys={"target": target.uri, "refer_ms": f"{int(seconds * 1000) + 300}"},
                audio=clip,
                calls=many,
                extra=["-aa"],
            )
        elif behaviour == "connected":
            # Keeps the line: greets, then answers our question.
            clip = self.greetings[first].answering
            sipp = Sipp("answer_wait.xml", pause_ms=ring, audio=clip, calls=many)
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

    def route(self, phone: Phone, person: int = 0) -> None:
        digits = phone.value.lstrip("+")
        uris = []
        for attempt in range(1, len(phone.outcomes) + 1):
            sipp = self.instance(phone.behaviour(attempt), phone, person)
            uris.append(f"sip:{digits}@{sipp.hostport}")
        self.routes[phone.number] = uris

    def unknown_numbers(self) -> Sipp:
        """Numbers the sandbox does not know: 404, like a number that does not exist."""
        key = ("unknown", 0, 0, "", "")
        if key not in self.instances:
            sipp = Sipp("reject.xml", fill={"code": "404", "reason": "Not Found"}, calls=1_000_000)
            self.instances[key] = sipp.start()
        return self.instances[key]

    @property
    def all(self) -> list[Sipp]:
        return [*self.instances.values(), *self._specialists.values()]

    def describe(self) -> dict[str, str]:
        """Which SIPp instance plays which behaviour (for the summary and for debugging)."""
        found = {
            f"{b}/ring {r} ms/transfers {t}" + (f"/greets {g}, {h}" if g else ""): s.uri
            for (b, r, t, g, h), s in self.instances.items()
        }
        for (transfers, greeting), sipp in self._specialists.items():
            found[f"specialist after REFER/transfers {transfers}/greets {greeting}"] = sipp.uri
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
        self.sites: ServedSites | None = None
        self.site_urls: dict[int, str] = {}  # protocol row -> its website's home page
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
        greetings = {
            f"{kind}-{index}": clips
            for (kind, index), clips in make_greetings(data_dir / "audio" / "greetings").items()
        }
        self.exchange = Exchange(audio, greetings)
        for person, phone in enumerate(self.world.phones):
            self.exchange.route(phone, person)
        self.exchange.unknown_numbers()
        self._pids()
        say(
            f"telephony: {len(self.exchange.all)} SIPp instances on 127.0.0.1 play "
            f"{len(self.world.phones)} numbers"
        )
        self.sites, self.site_urls = start_sites(self.world, data_dir / "websites")
        self._pids()
        if self.sites is not None:
            kinds = len({site.kind for _, site in self.world.websites})
            say(
                f"websites: nginx on 127.0.0.1 serves {len(self.site_urls)} centres' sites "
                f"({kinds} kinds)"
            )

    def _pids(self) -> None:
        pids = self.exchange.pids() if self.exchange else []
        if self.mail is not None:
            pids += self.mail.pids()
        if self.sites is not None and self.sites.process is not None:
            pids.append(self.sites.process.pid)
        _record_pids(self.options.data_dir, pids)

    def prober_settings(self, database_url: str) -> Settings:
        assert self.mail is not None and self.exchange is not None
        account = self.mail.add_account("prober")
        # The channels' own sections, validated by their models (probe.channels).
        sip = {
            "workers": self.options.workers,
            # Two processes read the greetings (at nice +10): the last calls are read sooner.
            "greeting_workers": 2,
            "routes": self.exchange.routes,
            "dial_plan": f"sip:{{digits}}@{self.exchange.unknown_numbers().hostport}",
            "caller_id": "prober",
        }
        return Settings(
            environment="sandbox",
            network="loopback",
            database_url=database_url,
            data_dir=self.options.data_dir,
            smtp={
                "port": self.mail.ports["submission"],
                "username": account.address,
                "password": account.password,
                "security": "starttls",
                "ca_file": self.mail.ca_file,
                "from_address": account.address,
            },
            imap={
                "port": self.mail.ports["imaps"],
                "username": account.address,
                "password": account.password,
                "security": "tls",
                "ca_file": self.mail.ca_file,
            },
            sip=sip,
            **self._web_settings(account.address),
        )

    def _web_settings(self, contact: str) -> dict[str, Any]:
        """The web channel's section: the sandbox CA trusted, a short pause (the sites are
        ours, on loopback; still one request at a time per site), and a page's rendering given
        a minute: the run's calls, mail and browsers share the machine (at 20 s a loaded CI
        machine timed out rendering a script-inserted form, which then read as absent)."""
        if self.sites is None:
            return {}
        return {
            "web": {
                "ca_bundle": self.sites.ca_bundle,
                "contact": contact,
                "pause_seconds": 0.1,
                "render_timeout_seconds": 60.0,
                "time_budget_seconds": 600.0,
            }
        }

    def stop(self) -> None:
        if self.sites is not None:
            self.sites.stop()
        if self.exchange is not None:
            self.exchange.stop()
        if self.staff is not None:
            self.staff.stop()
        if self.mail is not None:
            self.mail.stop()
        _pid_file(self.options.data_dir).unlink(missing_ok=True)

"""Real mail servers for the sandbox and the tests: Postfix (SMTP, queue, DSN bounces)
delivering over LMTP to Dovecot (IMAP with IDLE, maildir, Sieve vacation), both from Debian's
packages, run as root from config files in a temp dir on free loopback ports.

Layout of the fake world:
- `prober.test`: the prober's own mailboxes (one fresh account per test, so tests sharing the
  servers never see each other's mail);
- `org.test`: simulated organisations (see tests/servers/mail_orgs.py);
- an address Dovecot does not know is accepted by Postfix and refused by Dovecot at LMTP time, so
  Postfix sends a real RFC 3464 bounce to the sender;
- addresses in `rejected` are refused at RCPT on the submission port (550 5.1.1);
- addresses in `greylisted` get one 450 per sender on the submission port (a policy server, like
  postgrey), then pass.

Ports: `submission` (STARTTLS required, AUTH through Dovecot), `mx` (plain, loopback clients
relay freely: the simulated organisations and the bench use it), `imap` (plain), `imaps`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from probe.sandbox.mailconf import DOVECOT_CONF, POSTFIX_MAIN_CF, POSTFIX_MASTER_CF
from probe.sandbox.net import free_port, wait_for_port

PROBER_DOMAIN = "prober.test"
ORG_DOMAIN = "org.test"
POSTFIX_LIBEXEC = Path("/usr/lib/postfix/sbin")


def mail_servers_installed() -> bool:
    return (
        bool(shutil.which("postfix") and shutil.which("dovecot"))
        and Path("/usr/lib/dovecot/lmtp").exists()
    )


@dataclass(frozen=True)
class Account:
    address: str
    password: str


class _GreylistHandler(socketserver.StreamRequestHandler):
    """Postfix's policy delegation protocol: name=value lines, a blank line, one action back."""

    def handle(self) -> None:
        server: _PolicyServer = self.server  # type: ignore[assignment]
        while True:
            request: dict[str, str] = {}
            for raw in self.rfile:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    break
                name, _, value = line.partition("=")
                request[name] = value
            if not request:
                return
            self.wfile.write(f"action={server.decide(request)}\n\n".encode())


class _PolicyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _GreylistHandler)
        self.greylisted: set[str] = set()
        self.seen: set[tuple[str, str]] = set()
        self.deferred = 0
        self.lock = threading.Lock()

    def decide(self, request: dict[str, str]) -> str:
        recipient = request.get("recipient", "").lower()
        sender = request.get("sender", "").lower()
        with self.lock:
            if recipient not in self.greylisted or (sender, recipient) in self.seen:
                return "DUNNO"
            self.seen.add((sender, recipient))
            self.deferred += 1
        return "450 4.7.1 Greylisted, please try again later"


class MailServers:
    """Postfix + Dovecot in one temp dir. `start()`, then `add_account()` per mailbox; `stop()`."""

    def __init__(
        self,
        *,
        accounts: int = 60,
        mailboxes: Iterable[str] = (),
        domains: Iterable[str] = (),
    ) -> None:
        """`accounts` numbered mailboxes in each test domain; `mailboxes`: more addresses that
        exist (the sandbox's organisations); `domains`: more domains delivered here (an address
        of theirs without a mailbox bounces). Mail to any other domain bounces too: it never
        leaves these servers."""
        # Not under pytest's tmp dir: as root that is mode 700, closed to Dovecot's mail user.
        self.root = Path(tempfile.mkdtemp(prefix="probe-mail-"))
        self.root.chmod(0o755)
        self.ports = {
            name: free_port()
            for name in ("submission", "mx", "imap", "imaps", "lmtp", "auth", "policy")
        }
        self.tls_dir = self.root / "tls"
        self.ca_file = self.tls_dir / "ca.crt"
        self.users_file = self.root / "users"
        self.rejected: set[str] = set()
        self._accounts = {
            PROBER_DOMAIN: ["prober", *(f"prober{n}" for n in range(1, accounts + 1))],
            ORG_DOMAIN: [f"org{n}" for n in range(1, accounts + 1)],
        }
        for address in mailboxes:
            local, _, domain = address.lower().rpartition("@")
            if not local or not domain:
                raise ValueError(f"not an e-mail address: {address!r}")
            names = self._accounts.setdefault(domain, [])
            if local not in names:
                names.append(local)
        self.domains = sorted({*self._accounts, *(d.lower() for d in domains)})
        self._used: set[str] = set()
        self._dovecot: subprocess.Popen[bytes] | None = None
        self._policy: _PolicyServer | None = None
        self._postfix_started = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._make_tls()
        (self.root / "mail").mkdir()
        shutil.chown(self.root / "mail", "mail", "mail")
        self._make_accounts()
        self._start_policy()
        self._start_dovecot()
        self._start_postfix()
        for name in ("submission", "mx", "imap", "imaps", "lmtp", "auth"):
            wait_for_port(self.ports[name])

    def stop(self) -> None:
        if self._postfix_started:
            subprocess.run(
                ["postfix", "-c", str(self.postfix_dir), "stop"], capture_output=True, check=False
            )
            self._postfix_started = False
        self.stop_dovecot()
        if self._policy is not None:
            self._policy.shutdown()
            self._policy.server_close()
            self._policy = None
        shutil.rmtree(self.root, ignore_errors=True)

    def pids(self) -> list[int]:
        """Dovecot's and Postfix's master process ids (for a clean-up after a SIGKILL)."""
        found = [self._dovecot.pid] if self._dovecot is not None else []
        master = self.root / "spool" / "pid" / "master.pid"
        with contextlib.suppress(OSError, ValueError):
            found.append(int(master.read_text().split()[0]))
        return found

    def stop_dovecot(self) -> None:
        if self._dovecot is not None:
            self._dovecot.terminate()
            try:
                self._dovecot.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._dovecot.kill()
                self._dovecot.wait()
            self._dovecot = None

    def restart_dovecot(self) -> None:
        self.stop_dovecot()
        self._start_dovecot()
        wait_for_port(self.ports["imaps"])

    # -- accounts --------------------------------------------------------------------------
    def add_account(
        self, local: str | None = None, *, domain: str = PROBER_DOMAIN, sieve: str | None = None
    ) -> Account:
        """A mailbox no one has used yet. The accounts exist from the start: Dovecot re-reads its
        passwd-file only lazily, and a user it does not know yet would make mail bounce."""
        if local is None:
            local = next(name for name in self._accounts[domain] if name not in self._used)
        elif local not in self._accounts[domain]:
            raise ValueError(f"{local}@{domain} is not one of the pre-made accounts")
        self._used.add(local)
        home = self.root / "mail" / domain / local
        if sieve is not None:
            (home / ".dovecot.sieve").write_text(sieve, encoding="utf-8")
            shutil.chown(home / ".dovecot.sieve", "mail", "mail")
        return Account(f"{local}@{domain}", f"pw-{local}")

    def _make_accounts(self) -> None:
        lines = []
        for domain, names in self._accounts.items():
            for local in names:
                home = self.root / "mail" / domain / local
                home.mkdir(parents=True)
                shutil.chown(home.parent, "mail", "mail")
                shutil.chown(home, "mail", "mail")
                lines.append(f"{local}@{domain}:{{PLAIN}}pw-{local}::::{home}::\n")
        self.users_file.write_text("".join(lines))

    def reject(self, address: str) -> None:
        """Refuse `address` at RCPT on the submission port with 550 5.1.1."""
        self.rejected.add(address.lower())
        lines = "".join(
            f"{a} 550 5.1.1 <{a}>: Recipient address rejected: User unknown\n"
            for a in sorted(self.rejected)
        )
        (self.postfix_dir / "recipient_access").write_text(lines)
        self._postfix_reload()

    def greylist(self, address: str) -> None:
        assert self._policy is not None
        self._policy.greylisted.add(address.lower())

    @property
    def greylist_deferred(self) -> int:
        assert self._policy is not None
        return self._policy.deferred

    def kick(self, address: str) -> None:
        """Drop every IMAP connection of `address` from the server side ("BYE" then close)."""
        subprocess.run(
            ["doveadm", "-c", str(self.dovecot_conf), "kick", address],
            check=True,
            capture_output=True,
        )

    def postfix_log(self) -> str:
        path = self.root / "postfix.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def dovecot_log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- TLS -------------------------------------------------------------------------------
    def _make_tls(self) -> None:
        """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""
        self.tls_dir.mkdir()
        d = self.tls_dir

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

        openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=probe test CA", "-keyout", "ca.key", "-out", "ca.crt",
        )  # fmt: skip
        openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr",
        )  # fmt: skip
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl(
            "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt",
        )  # fmt: skip
        for name in ("server.key", "ca.key"):
            (d / name).chmod(0o600)

    # -- policy ----------------------------------------------------------------------------
    def _start_policy(self) -> None:
        self._policy = _PolicyServer(self.ports["policy"])
        threading.Thread(target=self._policy.serve_forever, daemon=True).start()

    # -- Dovecot ---------------------------------------------------------------------------
    @property
    def dovecot_conf(self) -> Path:
        return self.root / "dovecot.conf"

    def _start_dovecot(self) -> None:
        if not self.dovecot_conf.exists():
            self._write_dovecot_conf()
        self._dovecot = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.dovecot_conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "dovecot.stderr", "ab"),  # noqa: SIM115
        )

    def _write_dovecot_conf(self) -> None:
        r = self.root
        for name in ("dovecot-run", "dovecot-state"):
            (r / name).mkdir()
        self.dovecot_conf.write_text(
            DOVECOT_CONF.format(
                root=r,
                tls_dir=self.tls_dir,
                users_file=self.users_file,
                prober_domain=PROBER_DOMAIN,
                **self.ports,
            ),
            encoding="utf-8",
        )

    # -- Postfix ---------------------------------------------------------------------------
    @property
    def postfix_dir(self) -> Path:
        return self.root / "postfix"

    def _start_postfix(self) -> None:
        r = self.root
        conf = self.postfix_dir
        conf.mkdir()
        (r / "spool").mkdir()
        (r / "pfdata").mkdir()
        shutil.chown(r / "pfdata", "postfix", "postfix")
        (conf / "recipient_access").write_text("")
        (conf / "main.cf").write_text(
            POSTFIX_MAIN_CF.format(
                root=r,
                conf=conf,
                tls_dir=self.tls_dir,
                prober_domain=PROBER_DOMAIN,
                domains=" ".join(self.domains),
                **self.ports,
            ),
        )
        (conf / "master.cf").write_text(POSTFIX_MASTER_CF.format(**self.ports))
        self._age_config()
        started = subprocess.run(
            ["postfix", "-c", str(conf), "start"], check=False, capture_output=True, timeout=60
        )
        if started.returncode != 0:
            raise RuntimeError(
                "postfix did not start: "
                + (started.stderr + started.stdout).decode(errors="replace")
                + self.postfix_log()
            )
        self._postfix_started = True

    def _age_config(self) -> None:
        # The master waits until main.cf is about a second old before it trusts it.
        old = time.time() - 5
        for name in ("main.cf", "master.cf", "recipient_access"):
            os.utime(self.postfix_dir / name, (old, old))

    def _postfix_reload(self) -> None:
        self._age_config()
        subprocess.run(["postfix", "-c", str(self.postfix_dir), "reload"], check=True)
        # A reload restarts smtpd processes lazily; give the master a moment to re-read.
        time.sleep(0.3)

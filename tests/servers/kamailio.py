"""kamailio as the trunk of the phone tests: registrar and proxy with digest authentication.

Started on a free loopback port with a configuration written here (no database: usrloc keeps
registrations in memory, the auth module checks each digest against a password chosen by the
authentication user in the script). What the trunk does with each number:

- NORMAL: to the centre's registered phone (user `centre`);
- FORWARDED: 302 Moved Temporarily to `sip:centre@<trunk>` (the centre's phone, registered);
- BUSY: 486 Busy Here, from the trunk itself;
- anything else: 404 Not Found.

Initial requests need the digest (REGISTER: 401, others: 407) and a call needs the caller
registered (else 403 Not Registered); the proxy does not stay in the
dialog (no Record-Route), so ACK and BYE go from end to end, as with many trunks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from probe.sandbox.net import free_udp_port, port_bound

REALM = "trunk.test"
PROBE_USER, PROBE_PASSWORD = "probe", "probe-s3cret"
PHONE_USER, PHONE_PASSWORD = "centre", "centre-s3cret"
NORMAL, FORWARDED, BUSY, UNKNOWN = "+73816920001", "+73816920002", "+73816920003", "+73816920009"
MODULES = ("tm", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "usrloc", "registrar", "auth")
REGISTER_PHONE = Path(__file__).resolve().parent / "scenarios" / "register_phone.xml"


def require_kamailio() -> None:
    if shutil.which("kamailio") is None:
        pytest.fail("missing kamailio: run `scripts/setup.sh --test`")


def _module_dir() -> str:
    for candidate in Path("/usr/lib").glob("*/kamailio/modules"):
        if (candidate / "auth.so").is_file():
            return str(candidate)
    raise RuntimeError("kamailio's modules (auth.so) not found under /usr/lib/*/kamailio")


def config(port: int) -> str:
    trunk = f"127.0.0.1:{port}"
    loads = "\n".join(f'loadmodule "{m}.so"' for m in MODULES)
    return f"""#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:{trunk}
auto_aliases=no
disable_tcp=yes
alias="{trunk}"
dns=no
rev_dns=no
mpath="{_module_dir()}"
{loads}
modparam("usrloc", "db_mode", 0)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (has_totag()) {{
        if (is_method("ACK") && !t_check_trans()) exit;
        t_relay();
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) t_relay();
        exit;
    }}
    route(PASSWORD);
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("{REALM}", "$var(password)", "0")) {{
            www_challenge("{REALM}", "0");
            exit;
        }}
        if ($au != $tU) {{
            sl_send_reply("403", "Forbidden");
            exit;
        }}
        if (!save("location")) sl_reply_error();
        exit;
    }}
    if (!pv_proxy_authenticate("{REALM}", "$var(password)", "0")) {{
        proxy_challenge("{REALM}", "0");
        exit;
    }}
    consume_credentials();
    # Only a registered account may call out (proves the probe's REGISTER was accepted).
    if (!registered("location", "$fu")) {{
        sl_send_reply("403", "Not Registered");
        exit;
    }}
    if ($rU == "{FORWARDED}") {{
        append_to_reply("Contact: <sip:{PHONE_USER}@{trunk}>\\r\\n");
        sl_send_reply("302", "Moved Temporarily");
        exit;
    }}
    if ($rU == "{BUSY}") {{
        sl_send_reply("486", "Busy Here");
        exit;
    }}
    if ($rU == "{NORMAL}") $rU = "{PHONE_USER}";
    if ($rU != "{PHONE_USER}") {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    if (!lookup("location")) {{
        sl_send_reply("480", "Temporarily Unavailable");
        exit;
    }}
    t_relay();
}}

route[PASSWORD] {{
    $var(password) = "";
    if ($au == "{PROBE_USER}") $var(password) = "{PROBE_PASSWORD}";
    if ($au == "{PHONE_USER}") $var(password) = "{PHONE_PASSWORD}";
}}
"""


class Kamailio:
    """One kamailio on a free loopback UDP port, in the foreground, stopped by PID."""

    def __init__(self) -> None:
        self.port = free_udp_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="probe-kamailio-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Kamailio:
        cfg = self.workdir / "kamailio.cfg"
        cfg.write_text(config(self.port))
        command = ["kamailio", "-f", str(cfg), "-DD", "-E", "-m", "32", "-M", "8"]
        command += ["-Y", str(self.workdir), "-P", str(self.workdir / "kamailio.pid")]
        self.proc = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "kamailio.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not port_bound(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"kamailio did not start: {self.log()[-3000:]}")
            time.sleep(0.05)
        return self

    def register_phone(self, contact: str) -> None:
        """Registers the centre's phone (user `centre`, digest) with this Contact host:port."""
        command = ["sipp", "-sf", str(REGISTER_PHONE), self.hostport, "-i", "127.0.0.1"]
        command += ["-p", str(free_udp_port()), "-m", "1", "-nostdin", "-timeout", "10"]
        command += ["-s", PHONE_USER, "-au", PHONE_USER, "-ap", PHONE_PASSWORD]
        command += ["-key", "contact", contact, "-timeout_error"]
        done = subprocess.run(
            command, cwd=self.workdir, capture_output=True, timeout=20, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"the phone's REGISTER failed ({done.returncode}): {done.stderr[-2000:]!r}; "
                f"kamailio: {self.log()[-2000:]}"
            )

    def log(self) -> str:
        path = self.workdir / "kamailio.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

"""The PJSUA2 endpoint of one worker: library on this thread, one transport, one account."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pjsua2 as pj

from adapters.sip.worker.legs import locate_call_id
from adapters.sip.worker.media import PortPool
from adapters.sip.worker.trace import Tracer

# PJSUA is compiled for 4 calls per process; one slot is kept for a REFER leg.
MAX_CALLS = 4
_TRANSPORTS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


class RegistrationError(Exception):
    pass


# Refusals PJSUA retries by itself after retryIntervalSec (besides 6xx and transport failures);
# any other refusal of a refresh (401, 403, 404...) the worker retries itself.
PJSUA_RETRIES = frozenset({408, 480, 500, 502, 503, 504})


# PJSUA's SIP threads (named by PJLIB) receive and process the messages. On a busy machine they
# can wait several ms for a CPU: they ask for a better nice value when allowed. A received
# message is dated by its arrival, which no such wait delays (see rxstamp), but what we send is
# stamped as it goes, and each datagram waits for the one before it to be processed. (Nice 0,
# like SIPp, was measured too: SIPp's own stamps were no better, and messages waited longer for
# processing. A real-time policy was tried and is worse: the thread then waits on the Python GIL
# held by a normal-priority thread that cannot run, a priority inversion of up to a second.)
SIP_THREAD_PREFIX = "pjsua_"
SIP_THREAD_NICE = -10


def boost_sip_thread() -> str:
    """Raise the SIP thread's priority if allowed; returns "nice" or "normal"."""
    tids = [
        int(task.name)
        for task in Path("/proc/self/task").iterdir()
        if _thread_name(task).startswith(SIP_THREAD_PREFIX)
    ]
    if not tids:
        return "normal"
    try:
        for tid in tids:
            os.setpriority(os.PRIO_PROCESS, tid, SIP_THREAD_NICE)
        return "nice"
    except OSError:
        return "normal"


def _thread_name(task: Path) -> str:
    try:
        return (task / "comm").read_text().strip()
    except OSError:
        return ""


def _endpoint_config(tracer: Tracer) -> Any:
    cfg = pj.EpConfig()
    # One PJSIP thread polls the sockets and runs the SIP callbacks, where messages are stamped:
    # it is never held up by this process's own work (call set-up, audio analysis), which a
    # single polling thread was (measured: 180s stamped up to 10 ms late with 3 calls at once).
    # Objects (calls, players, recorders, ports) are still created and dropped on the main thread.
    cfg.uaConfig.threadCnt = 2
    cfg.uaConfig.mainThreadOnly = False
    cfg.uaConfig.maxCalls = MAX_CALLS
    cfg.uaConfig.userAgent = "contact-prober"
    cfg.logConfig.writer = tracer
    # PJSUA hands the writer only what passes consoleLevel; message logs are level 4.
    cfg.logConfig.level = 4
    cfg.logConfig.consoleLevel = 4
    cfg.logConfig.msgLogging = 1
    cfg.logConfig.decor = 0
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.channelCount = 1
    cfg.medConfig.audioFramePtime = 20
    cfg.medConfig.noVad = True  # silence suppression would hide the far end's quiet audio
    cfg.medConfig.ecTailLen = 0
    # With the null sound device the bridge must never auto-close, or recorders never finalise.
    cfg.medConfig.sndAutoCloseTime = -1
    return cfg


class Endpoint:
    def __init__(self, settings: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> None:
        self.settings = settings
        self.emit = emit
        self.ep = pj.Endpoint()
        self.tracer = Tracer(emit)
        self.account: Account | None = None
        self.priority = "normal"
        self.ports = PortPool()

    def start(self) -> None:
        self.ep.libCreate()
        self.ep.libInit(_endpoint_config(self.tracer))
        transport = pj.TransportConfig()
        transport.port = 0
        transport.boundAddress = self.settings.get("bind", "127.0.0.1")
        kind = self.settings.get("transport", "udp")
        transport_id = self.ep.transportCreate(_TRANSPORTS[kind], transport)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()
        self.priority = boost_sip_thread()
        if kind == "udp":
            # Received messages are stamped with their arrival once datagrams to ourselves show
            # the stamps are where and what rxstamp expects.
            host, _, port = str(self.ep.transportGetInfo(transport_id).localName).rpartition(":")
            self.tracer.rx_clock.self_test(host.strip("[]"), int(port))
        else:
            self.tracer.rx_clock.status = f"callback ({kind} transport)"
        self.account = Account(self)
        self.account.create(self._account_config(), True)
        if not locate_call_id(self.account):
            self.emit(
                {
                    "ev": "log",
                    "level": "error",
                    "text": "pj::Call layout unknown: finished calls are kept, not destroyed",
                }
            )

    def _account_config(self) -> Any:
        s = self.settings
        cfg = pj.AccountConfig()
        domain = s.get("registrar") or s.get("bind", "127.0.0.1")
        user = s.get("caller_id") or s.get("username") or "prober"
        cfg.idUri = f"sip:{user}@{domain}"
        param = "" if s.get("transport", "udp") == "udp" else f";transport={s['transport']}"
        if s.get("registrar"):
            cfg.regConfig.registrarUri = f"sip:{s['registrar']}{param}"
            expires = int(s.get("registration_seconds") or 300)
            retry = int(s.get("registration_retry_seconds") or 30)
            cfg.regConfig.timeoutSec = expires
            # Refresh ahead of the expiry (PJSUA's 5 s, less for a short test registration).
            cfg.regConfig.delayBeforeRefreshSec = min(5, max(1, expires // 4))
            # A refresh refused (408, 5xx, 6xx) or a registration that could not be regained is
            # tried again after `retry` s, jittered by up to a fifth of it so that many workers
            # do not all hit the registrar at once. The pool stops giving the worker calls
            # meanwhile (registration lost). A worker that fails its first registration exits.
            cfg.regConfig.retryIntervalSec = retry
            cfg.regConfig.firstRetryIntervalSec = retry
            cfg.regConfig.randomRetryIntervalSec = retry // 5
        if s.get("username"):
            cred = pj.AuthCredInfo("digest", "*", s["username"], 0, s.get("password") or "")
            cfg.sipConfig.authCreds.append(cred)
        if s.get("outbound_proxy"):
            cfg.sipConfig.proxies.append(f"sip:{s['outbound_proxy']}{param};lr")
        cfg.natConfig.sipOutboundUse = 0
        cfg.natConfig.contactRewriteUse = 0
        cfg.natConfig.viaRewriteUse = 0
        cfg.natConfig.sdpNatRewriteUse = 0
        cfg.mediaConfig.transportConfig.boundAddress = s.get("bind", "127.0.0.1")
        # No SRTP: telephone trunks carry plain RTP, and creating an SRTP transport per call
        # costs CPU at call set-up, when the SIP thread must stamp messages on time.
        cfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED
        return cfg

    def wait_registered(self, timeout: float = 10.0) -> tuple[int, str]:
        """Poll until the registrar answers; (code, reason). No registrar: (0, "")."""
        assert self.account is not None
        if not self.settings.get("registrar"):
            return 0, ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.account.reg_result is None:
            time.sleep(0.01)
        result = self.account.reg_result
        if result is None:
            raise RegistrationError(f"no answer from registrar in {timeout:g} s")
        code, reason = result
        if code // 100 != 2:
            raise RegistrationError(f"registrar refused: {code} {reason}")
        return code, reason

    def retry_registration(self, now: float) -> None:
        """Register again after a refusal PJSUA does not retry, once per retry interval."""
        account = self.account
        result = account.reg_result if account is not None else None
        if account is None or result is None or not self.settings.get("registrar"):
            return
        code = result[0]
        if code // 100 == 2 or code in PJSUA_RETRIES or code // 100 == 6:
            return
        if now - account.reg_at < int(self.settings.get("registration_retry_seconds") or 30):
            return
        account.reg_at = now
        try:
            account.setRegistration(True)
        except Exception as error:
            detail = getattr(error, "reason", None) or repr(error)
            self.emit({"ev": "log", "level": "error", "text": f"re-register: {detail}"})

    def destroy(self) -> None:
        """Every Call and media object must already be unreferenced (else PJSUA aborts)."""
        if self.account is not None:
            with contextlib.suppress(Exception):
                self.account.shutdown()
            self.account = None
        self.ep.hangupAllCalls()
        # Stop the bridge's clock (no sound device, not even the null one), then free the ports.
        self.ep.audDevManager().setNoDev()
        time.sleep(0.05)
        self.ports.destroy()
        self.ep.libDestroy()


class Account(pj.Account):
    def __init__(self, owner: Endpoint) -> None:
        super().__init__()
        self.owner = owner
        self.reg_result: tuple[int, str] | None = None
        self.reg_at = 0.0  # monotonic instant of the last answer (or of our last retry)

    def onRegState(self, prm: Any) -> None:
        try:
            self.reg_result = (int(prm.code), str(prm.reason))
            self.reg_at = time.monotonic()
            self.owner.emit(
                {
                    "ev": "reg",
                    "t": time.monotonic(),
                    "code": int(prm.code),
                    "reason": prm.reason,
                    "expires": int(prm.expiration),
                }
            )
        except Exception as error:
            self.owner.emit({"ev": "log", "level": "error", "text": f"onRegState: {error!r}"})

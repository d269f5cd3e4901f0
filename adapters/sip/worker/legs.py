"""One SIP call leg: a PJSUA2 Call whose callbacks stamp the instant and hand over to its job.

Every callback is guarded: an exception escaping into PJSIP would corrupt its state, so it is
reported as an event instead. Callbacks only record and decide; anything that can re-enter the
library heavily (hanging up, playing) happens in the job's tick, outside callbacks.

A PJSUA call id is a slot number (0..3), reused by the next call once a call is over. pjsua2's
Call keeps its id after the call is over, and its destructor (run when the job drops the leg)
clears that slot's callbacks and hangs up whatever call is in the slot by then: another check's
call, cancelled while it rings. So a leg forgets its id the moment its call is over
(`Leg.release_slot`), while PJSUA still holds the slot for it.
"""

from __future__ import annotations

import ctypes
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pjsua2 as pj

if TYPE_CHECKING:
    from adapters.sip.worker.job import Job

F = TypeVar("F", bound=Callable[..., Any])

PJSUA_INVALID_ID = -1
# Where pj::Call keeps its PJSUA id in the C++ object (after the vtable pointer and the Account
# reference), found and checked at start-up by `locate_call_id`; None: unknown.
_id_offset: int | None = None


def locate_call_id(account: Any) -> bool:
    """Find the C++ `id` field of pj::Call on a probe call that is never placed: the field that
    reads PJSUA_INVALID_ID and that Call.getId() reads back when written. False if not found."""
    global _id_offset
    probe = _Probe(account)
    base = int(probe.this)
    for offset in range(ctypes.sizeof(ctypes.c_void_p), 64, ctypes.sizeof(ctypes.c_int)):
        field = ctypes.c_int.from_address(base + offset)
        if field.value != PJSUA_INVALID_ID:
            continue
        field.value = 2
        found = probe.getId() == 2
        field.value = PJSUA_INVALID_ID
        if found and probe.getId() == PJSUA_INVALID_ID:
            _id_offset = offset
            return True
    return False


class _Probe(pj.Call):
    """A director subclass, laid out as Leg is."""


def guarded(default: Any = None) -> Callable[[F], F]:
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def run(self: Leg, *args: Any) -> Any:
            try:
                return method(self, *args)
            except Exception as error:
                self.job.emit_error(f"{method.__name__}: {error!r}")
                return default

        return run  # type: ignore[return-value]

    return wrap


class Leg(pj.Call):
    def __init__(self, job: Job, index: int, account: Any) -> None:
        super().__init__(account)
        self.job = job
        self.index = index
        self.created = time.monotonic()
        self.started = False
        self.disconnected = False
        self.disconnected_at: float | None = None
        self.call_id = ""
        self.media_index: int | None = None
        self.first_rtp = False

    def release_slot(self) -> None:
        """Forget the PJSUA id: the call is over and its slot goes to the next call.

        Called in the DISCONNECTED callback, before PJSUA frees the slot (or after a makeCall
        that failed). From then on the destructor touches no call, and a late method call fails
        instead of addressing the slot's next call. If the id field could not be located, the
        C++ object is handed to C++ and never destroyed (a small leak, never a wrong hang-up).
        """
        if _id_offset is not None:
            ctypes.c_int.from_address(int(self.this) + _id_offset).value = PJSUA_INVALID_ID
        elif self.getId() != PJSUA_INVALID_ID and self.thisown:
            self.__disown__()

    @guarded()
    def onCallState(self, prm: Any) -> None:
        stamp = time.monotonic()
        info = self.getInfo()
        self.started = True
        if not self.call_id and info.callIdString:
            self.call_id = info.callIdString
            self.job.claim(self)
        try:
            self.job.on_state(self, info, stamp)
        finally:
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self.release_slot()

    @guarded()
    def onCallMediaState(self, prm: Any) -> None:
        self.job.on_media(self, self.getInfo(), time.monotonic())

    @guarded()
    def onCallTransferRequest(self, prm: Any) -> None:
        self.job.on_refer(self, prm, time.monotonic())

    @guarded()
    def onCallTransferStatus(self, prm: Any) -> None:
        self.job.emit(
            {"ev": "transfer_status", "leg": self.index, "code": int(prm.statusCode)},
        )

    @guarded(default=pj.PJSIP_REDIRECT_REJECT)
    def onCallRedirected(self, prm: Any) -> int:
        return self.job.on_redirect(self, prm, time.monotonic())

"""One SIP call leg: a PJSUA2 Call whose callbacks stamp the instant and hand over to its job.

Every callback is guarded: an exception escaping into PJSIP would corrupt its state, so it is
reported as an event instead. Callbacks only record and decide; anything that can re-enter the
library heavily (hanging up, playing) happens in the job's tick, outside callbacks.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pjsua2 as pj

if TYPE_CHECKING:
    from adapters.sip.worker.job import Job

F = TypeVar("F", bound=Callable[..., Any])


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

    @guarded()
    def onCallState(self, prm: Any) -> None:
        stamp = time.monotonic()
        info = self.getInfo()
        self.started = True
        if not self.call_id and info.callIdString:
            self.call_id = info.callIdString
            self.job.claim(self)
        self.job.on_state(self, info, stamp)

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

"""The pool of call-worker processes, supervised from the parent.

Each worker is a process with one PJSUA2 endpoint (adapters.sip.worker) running at most
CHECKS_PER_WORKER calls. The pool starts workers on demand and sends each call to the least busy
one (starting another before giving any worker a second call). It reads every worker's events
on a thread of its own, so it serves any asyncio loop (the CLI's, the campaign runner's, a
test's). When a worker dies, each of its calls is resolved at once as crashed (the caller
records worker_crashed and retries), and the worker is replaced.

Each worker's trunk registration is followed from its "reg" events (PJSUA's refreshes and
retries): while it is lost (a refresh refused or unanswered, or the binding past its expiry
with no answer yet), a call given to that worker is not placed but fails at once as ours
(sip_registration, retried); workers still registered are chosen first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from adapters.sip.record import CallRecord
from adapters.sip.worker import CHECKS_PER_WORKER

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 12.0


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs; sent as its first stdin line (so the password is never in argv)."""

    transport: str = "udp"
    bind: str = "127.0.0.1"
    network: str = "loopback"
    registrar: str | None = None
    username: str | None = None
    password: str | None = None
    caller_id: str | None = None
    outbound_proxy: str | None = None
    registration_seconds: int = 300
    registration_retry_seconds: int = 30

    def to_json(self) -> str:
        return json.dumps(self.__dict__)


@dataclass
class PendingCall:
    record: CallRecord
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[CallRecord]
    on_event: Callable[[dict[str, Any]], None] | None = None

    def resolve(self) -> None:
        def done() -> None:
            if not self.future.done():
                self.future.set_result(self.record)

        # A closed loop raises RuntimeError: nobody waits for this call any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(done)


@dataclass(frozen=True)
class Registration:
    """A worker's trunk registration as its last REGISTER answer left it."""

    ok: bool = True  # no registrar at all: nothing to lose
    code: int = 0
    reason: str = ""
    until: float | None = None  # monotonic instant the registrar's binding lapses

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Registration:
        code = int(event.get("code") or 0)
        reason = str(event.get("reason") or "")
        if code // 100 != 2:
            return cls(False, code, reason)
        expires = int(event.get("expires") or 0)
        # An un-REGISTER answers 2xx with 0; PJSIP's "not specified" is 2**32 - 1.
        until = float(event.get("t") or time.monotonic()) + expires if 0 < expires < 2**31 else None
        return cls(True, code, reason, until)

    def lost(self, now: float | None = None) -> str | None:
        """Why calls cannot go out through this registration, or None."""
        if not self.ok:
            return f"{self.code} {self.reason}".strip()
        if self.until is not None and (time.monotonic() if now is None else now) > self.until:
            return "expired, its refresh unanswered"
        return None


class WorkerFailed(Exception):
    def __init__(self, error_class: str, detail: str) -> None:
        super().__init__(detail)
        self.error_class = error_class
        self.trace: list[dict[str, Any]] = []  # the worker's REGISTER exchange, as evidence


@dataclass
class Worker:
    index: int
    settings: WorkerSettings
    log_path: Path | None
    on_gone: Callable[[Worker], None]
    proc: subprocess.Popen[str] | None = None
    calls: dict[str, PendingCall] = field(default_factory=dict)
    reserved: int = 0
    ready: threading.Event = field(default_factory=threading.Event)
    failure: WorkerFailed | None = None
    was_ready: bool = False
    registration: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=20))
    reg_state: Registration = field(default_factory=Registration)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        stderr: IO[Any] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stderr = open(self.log_path, "ab")  # noqa: SIM115 (handed to the child)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.sip.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
            start_new_session=True,  # a Ctrl-C for the parent must not kill calls mid-way
        )
        if not isinstance(stderr, int):
            stderr.close()
        self.send_line(self.settings.to_json())
        threading.Thread(target=self._read, name=f"sip-worker-{self.index}", daemon=True).start()

    def send_line(self, line: str) -> bool:
        with self._send_lock:
            try:
                assert self.proc is not None and self.proc.stdin is not None
                self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()
                return True
            except (BrokenPipeError, OSError, ValueError):
                return False

    def send(self, command: dict[str, Any]) -> bool:
        return self.send_line(json.dumps(command, ensure_ascii=False))

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self._dispatch(event)
        self.proc.wait()
        self.on_gone(self)

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("ev")
        if kind == "ready":
            self.was_ready = True
            self.ready.set()
            return
        if kind == "not_ready":
            self.failure = WorkerFailed(event["error_class"], event.get("detail", ""))
            self.ready.set()
            return
        if kind == "reg":
            self.reg_state = Registration.from_event(event)
        pending = self.calls.get(event.get("id") or "")
        if pending is None:
            if kind in ("sip", "reg"):
                self.registration.append(event)
            return
        pending.record.add(event)
        if pending.on_event is not None:
            pending.on_event(event)
        if kind == "end":
            self.calls.pop(pending.record.job_id, None)
            pending.resolve()


class CallPool:
    def __init__(
        self, settings: WorkerSettings, *, workers: int = 2, log_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.size = workers
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._workers: list[Worker | None] = [None] * workers
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._ids = itertools.count(1)
        self.closed = False
        self.restarts = 0

    # -- workers ---------------------------------------------------------------------------

    def _spawn(self, index: int) -> Worker:
        log = self.log_dir / f"sip-worker-{index}.log" if self.log_dir else None
        worker = Worker(index, self.settings, log, self._gone)
        self._workers[index] = worker
        worker.start()
        return worker

    def _gone(self, worker: Worker) -> None:
        """A worker's pipe closed: it exited (shutdown) or died. Resolve its calls at once."""
        code = worker.proc.returncode if worker.proc is not None else None
        with self._lock:
            calls = list(worker.calls.values())
            worker.calls.clear()
            replace = not self.closed and worker.was_ready and self._workers[worker.index] is worker
            if self._workers[worker.index] is worker:
                self._workers[worker.index] = None
            if replace:
                self.restarts += 1
                self._spawn(worker.index)
        worker.ready.set()
        for pending in calls:
            if pending.record.end is None:
                pending.record.crashed = True
                pending.record.crash_detail = f"call worker {worker.pid} exited with code {code}"
            pending.resolve()
        self._wake()

    def start_all(self, timeout: float = READY_TIMEOUT) -> None:
        """Start every worker now and wait until each is ready (benchmarks, long runs)."""
        with self._lock:
            started = [w or self._spawn(i) for i, w in enumerate(self._workers)]
        deadline = time.monotonic() + timeout
        for worker in started:
            worker.ready.wait(max(0.0, deadline - time.monotonic()))
            if worker.failure is not None:
                raise worker.failure

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._workers if w is not None and w.pid is not None]

    def busy_workers(self) -> list[tuple[int, list[str]]]:
        """(pid, job ids) of each worker with calls in flight."""
        with self._lock:
            return [
                (w.pid, list(w.calls))
                for w in self._workers
                if w is not None and w.pid is not None and w.calls
            ]

    def registrations(self) -> list[tuple[int, Registration]]:
        """(pid, registration) of each live worker that is ready."""
        with self._lock:
            workers = [w for w in self._workers if w is not None and w.was_ready]
        return [(w.pid, w.reg_state) for w in workers if w.pid is not None]

    def worker_of(self, job_id: str) -> Worker | None:
        with self._lock:
            for worker in self._workers:
                if worker is not None and job_id in worker.calls:
                    return worker
        return None

    # -- calls -----------------------------------------------------------------------------

    def _reserve(self) -> Worker | None:
        with self._lock:
            if self.closed:
                raise WorkerFailed("pool_closed", "the call pool is shut down")
            live = [w for w in self._workers if w is not None and w.failure is None]
            free = [w for w in live if w.reserved < CHECKS_PER_WORKER]
            now = time.monotonic()
            # A worker still registered first; one whose registration is lost fails the call.
            chosen = (
                min(free, key=lambda w: (w.reg_state.lost(now) is not None, w.reserved))
                if free
                else None
            )
            # Spread calls over the whole pool before doubling up: every call a worker takes
            # uses one of its slots, and a REFER's new leg needs a free one in the same worker.
            if chosen is None or chosen.reserved > 0:
                empty = [i for i, w in enumerate(self._workers) if w is None]
                if empty:
                    chosen = self._spawn(empty[0])
            if chosen is None:
                return None
            chosen.reserved += 1
            return chosen

    def _release(self, worker: Worker) -> None:
        with self._lock:
            worker.reserved -= 1
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            waiters, self._waiters = list(self._waiters), deque()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_done, future)

    async def _acquire(self) -> Worker:
        loop = asyncio.get_running_loop()
        while True:
            worker = self._reserve()
            if worker is not None:
                break
            waiter: asyncio.Future[None] = loop.create_future()
            with self._lock:
                self._waiters.append((loop, waiter))
            await _wait(waiter, 1.0)
        ready = worker.ready.is_set() or await asyncio.to_thread(worker.ready.wait, READY_TIMEOUT)
        failure = worker.failure or (
            None if ready else WorkerFailed("worker_start", "call worker not ready in time")
        )
        if failure is None and worker.proc is not None and worker.proc.poll() is not None:
            failure = WorkerFailed("worker_start", "call worker exited at start-up")
        lost = worker.reg_state.lost() if failure is None else None
        if lost is not None:
            # PJSUA retries the registration by itself: the worker stays, the call does not go.
            failure = WorkerFailed("sip_registration", f"registration lost: {lost}")
            failure.trace = list(worker.registration)
            self._release(worker)
            raise failure
        if failure is not None:
            failure.trace = list(worker.registration)
            self._release(worker)
            with self._lock:
                if self._workers[worker.index] is worker:
                    self._workers[worker.index] = None  # the next call tries a fresh one
            raise failure
        return worker

    async def call(
        self,
        spec: dict[str, Any],
        *,
        limit: float,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> CallRecord:
        """Place one call; returns its record when the call is over (or its worker died).

        `limit` bounds the whole call: past it we hang up, and 15 s later we give up on it.
        Cancelling the awaiting task hangs the call up too.
        """
        worker = await self._acquire()
        job_id = f"{os.getpid()}-{next(self._ids)}"
        loop = asyncio.get_running_loop()
        record = CallRecord(job_id=job_id, uri=spec["uri"])
        pending = PendingCall(record, loop, loop.create_future(), on_event)
        with self._lock:
            worker.calls[job_id] = pending
        try:
            if not worker.send({"op": "call", **spec, "id": job_id}):
                self._gone_call(worker, pending, "call worker pipe closed")
            return await self._await(worker, pending, limit)
        except asyncio.CancelledError:
            worker.send({"op": "hangup", "id": job_id, "reason": "cancelled"})
            raise
        finally:
            with self._lock:
                worker.calls.pop(job_id, None)
            self._release(worker)

    async def _await(self, worker: Worker, pending: PendingCall, limit: float) -> CallRecord:
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout=limit)
        except TimeoutError:
            worker.send({"op": "hangup", "id": pending.record.job_id, "reason": "deadline"})
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout=15.0)
        except TimeoutError:
            pending.record.crashed = True
            pending.record.crash_detail = f"no end of call from worker {worker.pid} in time"
            return pending.record

    def _gone_call(self, worker: Worker, pending: PendingCall, detail: str) -> None:
        pending.record.crashed = True
        pending.record.crash_detail = detail
        pending.resolve()

    # -- shutdown ----------------------------------------------------------------------------

    def close(self, timeout: float = STOP_TIMEOUT) -> dict[int, int | None]:
        """Hang up every call, let each worker destroy its library, wait; kill only stragglers.

        Returns each worker's exit code by pid (0 is a clean exit)."""
        with self._lock:
            self.closed = True
            workers = [w for w in self._workers if w is not None]
        for worker in workers:
            worker.send({"op": "shutdown", "reason": "pool_closed"})
        codes: dict[int, int | None] = {}
        deadline = time.monotonic() + timeout
        for worker in workers:
            assert worker.proc is not None
            try:
                codes[worker.proc.pid] = worker.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                codes[worker.proc.pid] = worker.proc.wait()
            if worker.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    worker.proc.stdin.close()
        self._wake()
        return codes

    async def aclose(self, timeout: float = STOP_TIMEOUT) -> dict[int, int | None]:
        return await asyncio.to_thread(self.close, timeout)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(future, timeout)

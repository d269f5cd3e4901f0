"""Entry point of a call-worker process (see the package docstring)."""

from __future__ import annotations

import faulthandler
import os
import queue
import signal
import sys
import time
from typing import Any

# numpy's OpenBLAS would start a helper thread per core in every worker, spinning while it waits
# for work: with 16 workers on 2 cores that starved the calls (48 calls took 38 s, not 3 s).
# Each frame is a tiny product anyway; one thread is faster. Set before numpy is imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from adapters.sip.worker import CHECKS_PER_WORKER  # noqa: E402
from adapters.sip.worker.wire import Wire  # noqa: E402

SHUTDOWN_GRACE = 8.0
TICK = 0.02  # seconds between two passes over the calls (timers, audio analysis)


class Engine:
    def __init__(self, wire: Wire, settings: dict[str, Any]) -> None:
        from adapters.sip.worker.endpoint import Endpoint

        self.wire = wire
        self.settings = settings
        self.endpoint = Endpoint(settings, self._emit)
        self.endpoint.tracer.observer = self._observe
        self.jobs: dict[str, Any] = {}
        self.stopping: str | None = None
        self.stop_at = 0.0

    def _emit(self, event: dict[str, Any]) -> None:
        self.wire.emit(event)

    def _observe(self, job_id: str, event: dict[str, Any]) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.observe_sip(event)

    def start(self) -> bool:
        from adapters.sip.worker.endpoint import RegistrationError

        try:
            self.endpoint.start()
            code, reason = self.endpoint.wait_registered()
        except RegistrationError as error:
            self._emit({"ev": "not_ready", "error_class": "sip_registration", "detail": str(error)})
            return False
        except Exception as error:
            detail = getattr(error, "reason", None) or repr(error)
            self._emit({"ev": "not_ready", "error_class": "sip_endpoint", "detail": str(detail)})
            return False
        self._emit(
            {
                "ev": "ready",
                "pid": os.getpid(),
                "reg_code": code,
                "reg_reason": reason,
                "priority": self.endpoint.priority,
                "rx_stamps": self.endpoint.tracer.rx_clock.status,
            }
        )
        return True

    def run(self) -> None:
        while True:
            self._commands(wait=TICK)
            now = time.monotonic()
            if not self.stopping:
                self.endpoint.retry_registration(now)
            for job in list(self.jobs.values()):
                job.tick(now)
                if job.finished:
                    self.endpoint.tracer.release(job.id)
                    del self.jobs[job.id]
            if self.stopping and (not self.jobs or now >= self.stop_at):
                return

    def _commands(self, wait: float) -> None:
        while True:
            try:
                command = self.wire.commands.get(timeout=wait)
            except queue.Empty:
                return
            wait = 0.0
            op = command.get("op")
            if op == "call":
                self._call(command)
            elif op == "hangup":
                job = self.jobs.get(command.get("id", ""))
                if job is not None:
                    job.hangup(command.get("reason", "cancelled"))
            elif op == "shutdown":
                self._shutdown(command.get("reason", "shutdown"))

    def _call(self, spec: dict[str, Any]) -> None:
        from adapters.sip.worker.job import Job

        refusal = None
        if self.stopping:
            refusal = ("worker_stopping", "the worker is shutting down")
        elif len(self.jobs) >= CHECKS_PER_WORKER:
            refusal = ("worker_full", f"{CHECKS_PER_WORKER} calls already in flight")
        if refusal is not None:
            self._emit(
                {"ev": "end", "id": spec["id"], "t": time.monotonic(), "legs": []}
                | {"error_class": refusal[0], "error_detail": refusal[1]}
            )
            return
        job = Job(
            spec,
            account=self.endpoint.account,
            emit=self._emit,
            claim=self.endpoint.tracer.claim,
            network=self.settings.get("network", "loopback"),
            ports=self.endpoint.ports,
        )
        self.jobs[job.id] = job
        job.start()

    def _shutdown(self, reason: str) -> None:
        if self.stopping:
            return
        self.stopping = reason
        self.stop_at = time.monotonic() + SHUTDOWN_GRACE
        for job in self.jobs.values():
            job.hangup("shutdown")

    def destroy(self) -> None:
        self.jobs.clear()
        self.endpoint.destroy()


def main() -> int:
    faulthandler.enable()  # a crash leaves every thread's Python stack in the worker's log
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1`: where is it stuck?
    sys.setswitchinterval(0.001)  # callbacks on the media thread wait less for the GIL
    wire = Wire()
    settings = wire.read_settings()
    wire.start_reader()
    engine = Engine(wire, settings)
    if engine.start():
        engine.run()
    engine.destroy()
    wire.emit({"ev": "bye"})
    return 0


if __name__ == "__main__":
    sys.exit(main())

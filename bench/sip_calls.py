"""Phone probe benchmark: timing accuracy and call set-up rate against SIPp, on loopback.

    .venv/bin/python bench/sip_calls.py [--calls 48] [--parallel 4,16,48]

Scenario: the organisation (a SIPp UAS) rings 1 s, answers and streams audio; the caller hangs
up after 2 s. For each parallelism, N calls are placed through the phone channel (a pool of
call-worker processes, 3 calls each), then the same N calls by SIPp itself as the caller
(`sipp -sn uac`, its built-in scenario, -d 2000) against a second, identical UAS.

Printed per parallelism:
- timing error: our measured ring time (180 -> 200) and call duration (200 -> BYE) minus the
  truth, which is the instants SIPp logged for the same messages (same Call-ID); percentiles
  of the absolute error, in ms (with 48 calls, p99 is the largest). Also SIPp's own lateness
  against its nominal 1000 ms pause.
- how our 180s and 200s were dated (adapters/sip/worker/rxstamp.py: "kernel" arrival stamps,
  else PJSIP's "read" stamp, else the logging callback), read from each call's sip-trace.txt:
  the lag from arrival to the logging callback, the ring error had that callback dated them
  (as before rxstamp), and how long after the arrival SIPp took its own stamp (the wall clock
  is shared; SIPp stamps a message after its sendto returns, the kernel dates it inside).
- rate: completed calls per second, ours and SIPp's as the caller, and their ratio.
Targets (issue 4): p99 ring error <= 5 ms at 48 parallel calls; rate ratio >= 1/1.5.

Measured on the 2-core development machine, shared with other work (three runs, load averages
3.4 / 4.4 / 6.7; docs/phone.md has them all): p99 ring error 2.0-2.8 ms (4 parallel), 1.7-3.0
(16), 2.1-4.1 (48); rate ratio 0.96 / 0.91-0.93 / 0.71-0.75. Dated by the logging callback, as
before rxstamp, the same 48-parallel runs would have shown 20.5-24.2 ms. What remains is SIPp's
own stamping (taken when its sendto returns): at 48 parallel its p99 "stamp after their arrival"
equals our p99 ring error in each run. At load averages of 10-16 that reached 5-14 ms in some
runs.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.sip.plugin import PhonePlugin  # noqa: E402
from probe.logs import configure_logging  # noqa: E402
from probe.results import CheckResult  # noqa: E402
from probe.scoring.names import Outcome  # noqa: E402
from tests.servers.sipp import Sipp, free_udp_port, make_audio, phone_settings, place  # noqa: E402

RING_MS = 1000
LISTEN_S = 2.0


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    return (
        f"p50 {pick(0.50):5.2f}  p90 {pick(0.90):5.2f}  p99 {pick(0.99):5.2f}  "
        f"max {ordered[-1]:5.2f}"
    )


@dataclass
class Run:
    connected: int
    elapsed: float
    ring_err: list[float]
    dur_err: list[float]
    lateness: list[float]
    outcomes: list[str]
    # Diagnostics, from each call's trace (180s and 200s):
    ring_err_callback: list[float] = field(default_factory=list)  # had the callbacks stamped
    sipp_after: list[float] = field(default_factory=list)  # SIPp's stamp - our arrival, ms
    callback_lag: list[float] = field(default_factory=list)  # our arrival -> callback, ms
    sources: Counter[str] = field(default_factory=Counter)  # kernel / read / callback


_TRACE_HEAD = re.compile(
    r"^== (\S+) \+\S+ ms leg \d+ RX received from [^\n]*?"
    r"(?:\((\w+); callback \+([\d.]+) ms\))?\n(.*)$",
    re.M,
)


@dataclass(frozen=True)
class Received:
    wall: float  # the instant we dated it, epoch seconds (SIPp's clock too)
    lag: float  # seconds from that instant to the logging callback (0: dated by the callback)
    source: str  # "kernel", "read" or "callback"


def received(trace: Path) -> dict[str, Received]:
    """First line of each message received on leg 0 or 1 (the first of each) -> when."""
    found: dict[str, Received] = {}
    for stamp, source, lag, first in _TRACE_HEAD.findall(trace.read_text(encoding="utf-8")):
        wall = datetime.fromisoformat(stamp).timestamp()
        found.setdefault(
            first.strip(), Received(wall, float(lag or 0.0) / 1000.0, source or "callback")
        )
    return found


async def ours(calls: int, parallel: int, audio: Path, data: Path) -> Run:
    org = Sipp("answer_wait.xml", pause_ms=RING_MS, calls=calls, audio=audio).start()
    plugin = PhonePlugin()
    settings = phone_settings(data / f"p{parallel}", workers=math.ceil(parallel / 3))
    pool = plugin.pool(settings)
    await asyncio.to_thread(pool.start_all)
    gate = asyncio.Semaphore(parallel)

    async def one(n: int) -> CheckResult:
        async with gate:
            return await place(
                plugin,
                settings,
                data / f"p{parallel}" / f"call{n}",
                sip_uri=org.uri,
                listen_seconds=LISTEN_S,
                record=False,
            )

    started = time.monotonic()
    results = await asyncio.gather(*(one(n) for n in range(calls)))
    elapsed = time.monotonic() - started
    await pool.aclose()
    ring_err: list[float] = []
    dur_err: list[float] = []
    lateness: list[float] = []
    ring_err_cb: list[float] = []
    sipp_after: list[float] = []
    callback_lag: list[float] = []
    sources: Counter[str] = Counter()
    log = org.log()
    for result in results:
        if result.outcome != Outcome.CONNECTED:
            continue
        call_id = result.details["call_ids"][0]
        mine = [m for m in log if f"Call-ID: {call_id}" in m.text and m.direction == "sent"]
        ringing = next(m.wall for m in mine if m.first_line.startswith("SIP/2.0 180"))
        answer = next(m.wall for m in mine if m.first_line.startswith("SIP/2.0 200"))
        bye = next(
            m.wall
            for m in log
            if f"Call-ID: {call_id}" in m.text and m.first_line.startswith("BYE")
        )
        ring_err.append(abs(result.timings_ms["ring"] - (answer - ringing) * 1000))
        dur_err.append(abs(result.timings_ms["duration"] - (bye - answer) * 1000))
        lateness.append((answer - ringing) * 1000 - RING_MS)
        # Diagnostics from the call's trace: when we dated our 180 and 200 (wall clock, as
        # SIPp's), and how long each then waited for the logging callback that used to date it.
        trace = next(e.path for e in result.evidence if e.kind == "sip_trace")
        rx = received(Path(trace))
        got_180 = next(v for k, v in rx.items() if k.startswith("SIP/2.0 180"))
        got_200 = next(v for k, v in rx.items() if k.startswith("SIP/2.0 200"))
        callback_ring = (got_200.wall + got_200.lag) - (got_180.wall + got_180.lag)
        ring_err_cb.append(abs(callback_ring - (answer - ringing)) * 1000)
        sipp_after += [(ringing - got_180.wall) * 1000, (answer - got_200.wall) * 1000]
        callback_lag += [got_180.lag * 1000, got_200.lag * 1000]
        sources.update([got_180.source, got_200.source])
    org.stop()
    connected = sum(1 for r in results if r.outcome == Outcome.CONNECTED)
    outcomes = {
        f"{r.outcome}" + (f"/{r.error_class}: {r.error_detail}" if r.error_class else "")
        for r in results
    }
    return Run(
        connected,
        elapsed,
        ring_err,
        dur_err,
        lateness,
        sorted(outcomes),
        ring_err_cb,
        sipp_after,
        callback_lag,
        sources,
    )


def reference(calls: int, parallel: int, audio: Path) -> float:
    """Seconds SIPp, as the caller, takes for the same calls at the same parallelism."""
    org = Sipp("answer_wait.xml", pause_ms=RING_MS, calls=calls, audio=audio).start()
    workdir = Path(tempfile.mkdtemp(prefix="probe-bench-uac-"))
    command = ["sipp", "-sn", "uac", org.hostport, "-i", "127.0.0.1", "-mi", "127.0.0.1"]
    command += ["-p", str(free_udp_port()), "-mp", str(free_udp_port(span=4))]
    command += [
        "-m",
        str(calls),
        "-l",
        str(parallel),
        "-r",
        "1000",
        "-d",
        str(int(LISTEN_S * 1000)),
    ]
    command += ["-timer_resol", "1", "-nostdin", "-trace_err"]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600
    )
    elapsed = time.monotonic() - started
    org.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"sipp uac failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=48)
    parser.add_argument("--parallel", default="4,16,48")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    levels = [int(p) for p in args.parallel.split(",")]
    data = Path(tempfile.mkdtemp(prefix="probe-bench-sip-"))
    audio = make_audio(data / "audio")["speech"]
    print(
        f"phone probe vs SIPp: {args.calls} calls per level, ring {RING_MS} ms, "
        f"talk {LISTEN_S:g} s, 3 calls per worker process"
    )
    for parallel in levels:
        mine = await ours(args.calls, parallel, audio, data)
        sipp_s = reference(args.calls, parallel, audio)
        our_rate = args.calls / float(mine.elapsed)
        sipp_rate = args.calls / sipp_s
        print(
            f"\n== {parallel} parallel calls ({math.ceil(parallel / 3)} workers): "
            f"{mine.connected}/{args.calls} connected {mine.outcomes}"
        )
        print(f"  ring error (ms)      {percentiles(mine.ring_err)}")
        print(f"  duration error (ms)  {percentiles(mine.dur_err)}")
        stamps = ", ".join(f"{n} {source}" for source, n in sorted(mine.sources.items()))
        lag, had, sipp = mine.callback_lag, mine.ring_err_callback, mine.sipp_after
        print(f"  180/200 dated by: {stamps}")
        print(f"    their arrival -> our logging callback (ms)    {percentiles(lag)}")
        print(f"    ring error, had that callback dated them (ms) {percentiles(had)}")
        print(f"    SIPp's own stamp after their arrival (ms)     {percentiles(sipp)}")
        print(
            f"  SIPp's own lateness vs its 1000 ms pause (ms): "
            f"{percentiles([abs(x) for x in mine.lateness])}"
        )
        print(
            f"  rate: ours {our_rate:6.2f} calls/s, SIPp uac {sipp_rate:6.2f} calls/s, "
            f"ratio {our_rate / sipp_rate:4.2f} (target >= 0.67)"
        )
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

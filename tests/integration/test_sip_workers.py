"""The call-worker pool: parallel calls, a worker killed mid-call, shutdown with calls up."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.scoring.names import Outcome
from tests.servers.sipp import Sipp, phone_settings, place

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: phone, sipp_audio, sipp_servers, ...


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def worker_children() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.split(")")[-1].split()[1])
        if ppid == os.getpid() and b"adapters.sip.worker" in cmdline:
            found.append(int(entry.name))
    return found


async def test_six_parallel_calls_over_two_workers_are_each_timed_against_sipps_own_instants(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=400, calls=6).start()
    sipp_servers.append(org)
    settings = phone_settings(phone_data_dir / "six", workers=2)
    await asyncio.to_thread(phone.pool(settings).start_all)
    results = await asyncio.gather(
        *(
            place(phone, settings, tmp_path / str(n), sip_uri=org.uri, listen_seconds=0.5)
            for n in range(6)
        )
    )
    assert [r.outcome for r in results] == [Outcome.CONNECTED] * 6
    errors = []
    for result in results:
        call_id = result.details["call_ids"][0]
        truth = org.sent_at("SIP/2.0 200", call_id) - org.sent_at("SIP/2.0 180", call_id)
        errors.append(abs(result.timings_ms["ring"] - truth * 1000))
    # Received messages are dated by their arrival (worker/rxstamp.py), but SIPp, busy with six
    # calls on two cores, can stamp a message late after sending it: the bound is looser than a
    # lone call's 5 ms (bench/sip_calls.py has percentiles).
    assert sorted(errors)[len(errors) // 2] <= 3.0 and max(errors) <= 10.0, errors
    assert len(phone.pool(settings).pids()) == 2


async def test_a_worker_killed_mid_call_resolves_its_call_only_and_is_replaced(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=100, calls=3).start()
    sipp_servers.append(org)
    settings = phone_settings(phone_data_dir / "crash", workers=2)
    pool = phone.pool(settings)
    await asyncio.to_thread(pool.start_all)
    first, second = (
        asyncio.create_task(
            place(phone, settings, tmp_path / name, sip_uri=org.uri, listen_seconds=2.5)
        )
        for name in ("victim", "bystander")
    )
    await asyncio.sleep(0.8)  # both answered and talking
    busy = pool.busy_workers()
    assert len(busy) == 2, busy  # one call on each worker
    victim_pid = busy[0][0]
    os.kill(victim_pid, signal.SIGKILL)
    done, _ = await asyncio.wait({first, second}, return_when=asyncio.FIRST_COMPLETED, timeout=2)
    assert len(done) == 1, "the killed worker's call was not resolved at once"
    crashed = done.pop().result()
    assert crashed.outcome == Outcome.FAILED
    assert crashed.error_class == "worker_crashed"
    assert crashed.details["retry"] is True
    assert f"call worker {victim_pid} exited with code -9" in (crashed.error_detail or "")
    assert any(e.kind == "sip_trace" for e in crashed.evidence)  # the trace up to the crash
    survivor = await (second if first.done() else first)
    assert survivor.outcome == Outcome.CONNECTED
    assert survivor.details["hangup"] == {"by": "us", "reason": "listen_time"}
    assert pool.restarts == 1
    assert victim_pid not in pool.pids() and len(pool.pids()) == 2
    after = await place(phone, settings, tmp_path / "after", sip_uri=org.uri, listen_seconds=0.2)
    assert after.outcome == Outcome.CONNECTED


async def test_shutdown_with_calls_in_flight_hangs_up_and_leaves_no_process(
    phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=100, calls=3).start()
    sipp_servers.append(org)
    before = set(worker_children())  # other modules' pools may still run
    plugin = PhonePlugin()
    settings = phone_settings(phone_data_dir / "shutdown", workers=2)
    pool = plugin.pool(settings)
    await asyncio.to_thread(pool.start_all)
    pids = pool.pids()
    calls = [
        asyncio.create_task(
            place(plugin, settings, tmp_path / str(n), sip_uri=org.uri, listen_seconds=60)
        )
        for n in range(3)
    ]
    await asyncio.sleep(0.8)
    codes = await pool.aclose()
    assert codes == {pid: 0 for pid in pids}  # a clean exit: no abort (-6) and no kill (-9)
    results = await asyncio.wait_for(asyncio.gather(*calls), timeout=5)
    for result in results:
        assert result.outcome == Outcome.CONNECTED
        assert result.details["hangup"] == {"by": "us", "reason": "shutdown"}
    byes = [m for m in org.log() if m.direction == "received" and m.first_line.startswith("BYE")]
    assert len(byes) == 3
    assert not any(alive(pid) for pid in pids)
    # Nothing replaced them: no worker of this pool is left, not even a zombie.
    assert pool.pids() == [] and not set(worker_children()) - before

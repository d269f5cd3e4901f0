"""`probe sandbox`, end to end on a few of the 38 centres: the run matches the configured
behaviours, an interrupted or killed run leaves nothing behind, and nothing can leave loopback."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from adapters.sip.plugin import PhonePlugin
from probe.sandbox.run import Options, Region
from probe.sandbox.world import SANDBOX_DATA, load_world
from probe.settings import SipSettings
from tests.servers.sipp import place, require_tools

pytestmark = pytest.mark.integration

# Connected without a transfer and a same-day reply; busy then free, transferred once; a dead
# primary address then a second one; an answering machine; transferred several times and an
# address that never answers.
ROWS = [3, 5, 20, 27, 35]
PROBE = str(Path(sys.executable).parent / "probe")


def small_world(folder: Path) -> Path:
    data = yaml.safe_load((SANDBOX_DATA / "omsk-kcson.yaml").read_text(encoding="utf-8"))
    data["organisations"] = [o for o in data["organisations"] if o["protocol_row"] in ROWS]
    path = folder / "world.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def servers_running() -> set[int]:
    """PIDs of SIPp, Dovecot and Postfix master processes on this machine."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = Path(argv[0].decode(errors="replace")).name if argv and argv[0] else ""
        if name in ("sipp", "dovecot", "master"):
            found.add(int(proc.name))
    return found


def sandbox(data_dir: Path, world: Path, *extra: str) -> subprocess.Popen[str]:
    command = [PROBE, "sandbox", "--data-dir", str(data_dir), "--world", str(world)]
    command += ["--web-port", "0", "--no-serve", "--timeout", "400", *extra]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 120) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"no {needle!r} in the output:\n{''.join(seen)}")


def gone(before: set[int], timeout: float = 15) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = servers_running() - before
        if not left:
            return set()
        time.sleep(0.2)
    return servers_running() - before


def test_a_sandbox_run_records_what_each_centre_was_told_to_do(tmp_path: Path) -> None:
    require_tools()
    before = servers_running()
    proc = sandbox(tmp_path / "run", small_world(tmp_path))
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output
    assert "every organisation's recorded outcome matches its sandbox behaviour" in output
    summary = json.loads((tmp_path / "run" / "sandbox-summary.json").read_text())
    assert summary["ok"] and summary["organisations"] == len(ROWS)
    assert summary["expected"] == summary["recorded"]
    # The behaviours cover what the protocol distinguishes.
    assert {"phone:busy", "phone:connected", "phone:answering_machine"} <= set(summary["recorded"])
    assert {"email:replied", "email:bounced", "email:no_reply"} <= set(summary["recorded"])
    book = load_workbook(summary["xlsx"], read_only=True)
    text = {c for sheet in book.worksheets for r in sheet.iter_rows(values_only=True) for c in r}
    assert {row["name"] for row in summary["rows"]} <= text
    assert not gone(before), "the sandbox left processes behind"


def test_ctrl_c_stops_everything_and_a_killed_run_is_cleaned_up_by_the_next(
    tmp_path: Path,
) -> None:
    require_tools()
    world = small_world(tmp_path)
    before = servers_running()
    proc = sandbox(tmp_path / "run", world)
    wait_for_line(proc, "directory:")
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert "interrupted: every sandbox process was stopped" in output
    assert not gone(before), "Ctrl-C left processes behind"

    killed = sandbox(tmp_path / "run", world)
    wait_for_line(killed, "directory:")
    killed.kill()  # SIGKILL: nothing of ours runs; SIPp, Dovecot and Postfix stay
    killed.wait(10)
    assert servers_running() - before, "expected leftovers after SIGKILL"
    again = sandbox(tmp_path / "run", world)
    text = wait_for_line(again, "directory:")
    assert "processes a previous sandbox run left behind" in text
    again.send_signal(signal.SIGINT)
    again.communicate(timeout=60)
    assert not gone(before), "the second run did not clean up the first one's leftovers"


async def test_nothing_leaves_loopback_from_the_sandbox(tmp_path: Path) -> None:
    require_tools()
    world = load_world(small_world(tmp_path))
    region = Region(world, Options(data_dir=tmp_path))
    region.start(lambda _: None)
    plugin = PhonePlugin()
    try:
        settings = region.prober_settings(f"sqlite:///{tmp_path / 'db.sqlite'}")
        # A real Moscow number no sandbox centre has: the sandbox's exchange says 404.
        unknown = await place(plugin, settings, tmp_path / "a", value="+74951234567")
        assert unknown.outcome.value == "unavailable", unknown.details
        assert unknown.details["request_uri"].endswith(
            f"@{region.exchange.unknown_numbers().hostport}"  # type: ignore[union-attr]
        )
        # A trunk outside loopback is refused before anything is sent.
        outside = settings.model_copy(
            update={"sip": SipSettings(registrar="sip.example.ru", dial_plan="sip:{e164}@{trunk}")}
        )
        refused = await place(plugin, outside, tmp_path / "b", value="+74951234567")
        assert refused.error_class == "destination_refused", refused.details
        # Mail for a real domain that is not the sandbox's bounces on the sandbox's Postfix.
        assert region.mail is not None
        message = EmailMessage()
        message["From"] = "prober@prober.test"
        message["To"] = "info@mintrud.gov.ru"
        message["Subject"] = "проверка"
        message.set_content("тест")
        with smtplib.SMTP("127.0.0.1", region.mail.ports["mx"]) as smtp:
            smtp.send_message(message)
        deadline = time.monotonic() + 20
        while "to=<info@mintrud.gov.ru>" not in region.mail.postfix_log():
            assert time.monotonic() < deadline, region.mail.postfix_log()
            time.sleep(0.2)
        time.sleep(0.5)
        log = region.mail.postfix_log()
        line = next(x for x in log.splitlines() if "to=<info@mintrud.gov.ru>" in x)
        assert "status=bounced" in line and "relay=none" in line, line
        assert "only delivers locally" in line
    finally:
        plugin.close_all()
        region.stop()

"""`probe run --web`: the runner and the review UI in one process, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from probe.sandbox.net import free_port

pytestmark = pytest.mark.integration


def test_run_with_the_web_ui_serves_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "probe.cli.main", "run", "--web", "--web-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:
            assert process.poll() is None, process.communicate()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as reply:
                    status = reply.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert f"review UI at http://127.0.0.1:{port}/" in out

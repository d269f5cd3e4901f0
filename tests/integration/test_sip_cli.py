"""`probe check phone`: one call from the command line, one JSON object out."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from probe.cli.main import app
from tests.servers.sipp import Sipp

pytestmark = pytest.mark.integration
pytest_plugins = ("tests.servers.sipp_fixtures",)  # fixtures: sipp_servers


@pytest.fixture(autouse=True)
def _structlog_back_to_defaults() -> Iterator[None]:
    """The CLI points structlog at the runner's captured stderr, closed after each invoke."""
    yield
    structlog.reset_defaults()


def test_a_call_to_a_sip_uri_prints_outcome_timings_transfers_and_the_recording(
    cli: CliRunner, sipp_servers: list[Sipp]
) -> None:
    org = Sipp("answer_wait.xml", pause_ms=300).start()
    sipp_servers.append(org)
    outcome = cli.invoke(
        app, ["check", "phone", org.uri, "--listen", "0.5", "--prompt", "none", "--json"]
    )
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert (data["outcome"], data["sip_code"], data["reason"]) == ("connected", 200, "OK")
    assert {"pdd", "ring", "answer", "duration"} <= set(data["timings_ms"])
    assert abs(data["timings_ms"]["ring"] - 300) <= 10
    assert data["transfers"] == {"count": 0, "class": "none", "list": []}
    assert data["answering_machine"] is False
    assert Path(data["recording"]).is_file() and Path(data["sip_trace"]).is_file()


def test_a_target_that_is_neither_a_number_nor_a_uri_is_refused(cli: CliRunner) -> None:
    outcome = cli.invoke(app, ["check", "phone", "38-12-35", "--json"])
    assert outcome.exit_code == 2
    assert "must be an E.164 number (+73812357000) or a SIP URI (sip:...): '38-12-35'" in " ".join(
        outcome.output.split()
    )


def test_bad_options_exit_with_the_exact_error(cli: CliRunner) -> None:
    outcome = cli.invoke(app, ["check", "phone", "sip:org@127.0.0.1", "--listen", "601"])
    assert outcome.exit_code == 2
    assert " ".join(outcome.output.split()) == (
        "error: listen_seconds: Input should be less than or equal to 600"
    )


def test_probe_help_never_loads_pjsua2() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from probe.cli.main import app; "
        "r = CliRunner().invoke(app, ['check', '--help']); "
        "assert r.exit_code == 0 and 'phone' in r.output, r.output; "
        "print('pjsua2' in sys.modules, 'webrtcvad' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

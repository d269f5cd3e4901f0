"""The test channel's peer as a separate process, and readers of its execution log."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Execution:
    check_id: int
    organisation_id: int | None
    value: str
    start: float
    end: float | None
    outcome: str | None


class TestPeer:
    __test__ = False  # not a test class, despite its name

    def __init__(
        self, directory: Path, script: dict[str, Any] | None = None, duration_ms: float = 50.0
    ) -> None:
        self.log = directory / "peer.log"
        self.script_path = directory / "peer-script.json"
        self.script_path.write_text(json.dumps(script or {}))
        self.duration_ms = duration_ms
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adapters.testchannel.peer",
                "--log",
                str(self.log),
                "--script",
                str(self.script_path),
                "--duration-ms",
                str(self.duration_ms),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"test peer did not start: {line!r}")
        self.port = int(line.split()[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def executions(self) -> list[Execution]:
        runs: dict[int, Execution] = {}
        if not self.log.exists():
            return []
        for line in self.log.read_text().splitlines():
            record = json.loads(line)
            if record["event"] == "start":
                runs[record["execution"]] = Execution(
                    record["check_id"],
                    record.get("organisation_id"),
                    record.get("value", ""),
                    record["at"],
                    None,
                    None,
                )
            else:
                run = runs[record["execution"]]
                run.end, run.outcome = record["at"], record["outcome"]
        return list(runs.values())

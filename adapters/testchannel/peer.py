"""The test channel's peer: a separate process that executes checks and logs each one.

    python -m adapters.testchannel.peer --log FILE [--port 0] [--script FILE] [--duration-ms 50]

It prints "listening PORT" once ready. Every execution appends two JSON lines to the log
("start" and "end", wall-clock instants), flushed at once, so the log is the independent
record of what was executed: a test counts executions per check from it. The script maps a
contact value to the outcomes of its successive attempts, e.g. {"busy-once": ["busy",
"connected"]}; the last outcome repeats. It never de-duplicates: a check executed twice is
logged twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any


class Peer:
    def __init__(self, log_path: Path, script: dict[str, Any], duration_ms: float) -> None:
        self.log = log_path.open("a", encoding="utf-8")
        self.script = script
        self.duration_ms = duration_ms
        self.seen: dict[str, int] = {}
        self.done: dict[int, dict[str, Any]] = {}
        self.running: dict[int, asyncio.Event] = {}
        self.executions = 0

    def _write(self, record: dict[str, Any]) -> None:
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()

    def _plan(self, value: str) -> tuple[str, float]:
        entry = self.script.get(value, {})
        if isinstance(entry, list):
            entry = {"outcomes": entry}
        outcomes = entry.get("outcomes", ["connected"])
        attempt = self.seen.get(value, 0)
        self.seen[value] = attempt + 1
        outcome = outcomes[min(attempt, len(outcomes) - 1)]
        return outcome, float(entry.get("duration_ms", self.duration_ms))

    async def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        check_id = int(request["check_id"])
        outcome, duration_ms = self._plan(str(request.get("value", "")))
        self.executions += 1
        execution = self.executions
        event = self.running.setdefault(check_id, asyncio.Event())
        started = time.time()
        self._write(
            {
                "event": "start",
                "check_id": check_id,
                "execution": execution,
                "organisation_id": request.get("organisation_id"),
                "value": request.get("value"),
                "at": started,
            }
        )
        await asyncio.sleep(duration_ms / 1000)
        finished = time.time()
        reply = {
            "state": "done",
            "outcome": outcome,
            "started_at": started,
            "finished_at": finished,
            "duration_ms": (finished - started) * 1000,
            "execution": execution,
        }
        self._write(
            {
                "event": "end",
                "check_id": check_id,
                "execution": execution,
                "organisation_id": request.get("organisation_id"),
                "outcome": outcome,
                "at": finished,
            }
        )
        self.done[check_id] = reply
        event.set()
        return reply

    async def status(self, request: dict[str, Any]) -> dict[str, Any]:
        check_id = int(request["check_id"])
        if check_id in self.done:
            return self.done[check_id]
        event = self.running.get(check_id)
        if event is None:
            return {"state": "unknown"}
        await event.wait()
        return self.done[check_id]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            request = json.loads(line)
            op = request.get("op")
            # A shielded task: the execution completes even if the caller dies mid-request.
            work = self.execute(request) if op == "execute" else self.status(request)
            reply = await asyncio.shield(asyncio.ensure_future(work))
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--script", type=Path)
    parser.add_argument("--duration-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    script = json.loads(args.script.read_text()) if args.script else {}
    peer = Peer(args.log, script, args.duration_ms)
    server = await asyncio.start_server(peer.handle, args.host, args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(sys.argv[1:]))

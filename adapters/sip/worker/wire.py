"""The worker's side of the pipe: events out (thread-safe), commands in (a reader thread)."""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from typing import Any, TextIO


class Wire:
    def __init__(self) -> None:
        # The protocol keeps the original stdout; anything the C library prints goes to stderr.
        protocol_fd = os.dup(1)
        os.dup2(2, 1)
        self._out: TextIO = os.fdopen(protocol_fd, "w", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self._broken = False

    def emit(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._broken:
                return
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                # The parent is gone: the stdin reader sees EOF and shuts the worker down.
                self._broken = True

    def read_settings(self) -> dict[str, Any]:
        line = sys.stdin.readline()
        if not line:
            raise SystemExit(0)
        settings: dict[str, Any] = json.loads(line)
        return settings

    def start_reader(self) -> None:
        threading.Thread(target=self._read, name="commands", daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                self.commands.put(json.loads(line))
            except json.JSONDecodeError:
                self.emit({"ev": "log", "level": "error", "text": f"bad command: {line[:200]}"})
        self.commands.put({"op": "shutdown", "reason": "parent_gone"})

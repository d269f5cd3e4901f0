"""Loopback helpers for the sandbox and test servers: free ports, waiting for a listener."""

from __future__ import annotations

import socket
import time
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_udp_port(span: int = 1) -> int:
    """A free even UDP port (and the `span - 1` after it, for SIPp's RTP and RTCP)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        port -= port % 2
        if port + span < 65535 and all(_udp_free(port + i) for i in range(span)):
            return port
    raise RuntimeError("no free UDP port range on loopback")


def port_bound(port: int) -> bool:
    """Whether some socket (UDP or TCP) is bound to `port`, from /proc/net."""
    needle = f":{port:04X} "
    for table in ("/proc/net/udp", "/proc/net/tcp"):
        try:
            if needle in Path(table).read_text():
                return True
        except OSError:
            continue
    return False

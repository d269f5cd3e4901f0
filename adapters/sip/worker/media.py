"""Frames from the conference bridge into Python, fast.

`MediaFrame.buf` is a SWIG std::vector<unsigned char>; converting it element by element costs
about 200 µs per 20 ms frame. Reading the vector's data pointer (libstdc++ lays a vector out as
three pointers: begin, end, capacity) costs under 2 µs. The layout is checked once at start-up
against the slow path; if it ever differs, the slow path is used.
"""

from __future__ import annotations

import contextlib
import ctypes
import time
from collections import deque
from typing import Any

import pjsua2 as pj

_POINTER = ctypes.sizeof(ctypes.c_void_p)
BLOCK_MS = 100


def _fast_bytes(vector: Any) -> bytes:
    address = int(vector.this)
    begin = ctypes.c_void_p.from_address(address).value or 0
    end = ctypes.c_void_p.from_address(address + _POINTER).value or 0
    if not begin or end < begin:
        return b""
    return ctypes.string_at(begin, end - begin)


def _slow_bytes(vector: Any) -> bytes:
    return bytes(vector)


def _choose() -> Any:
    probe = pj.ByteVector(bytes(range(256)) + bytes(64))
    try:
        if _fast_bytes(probe) == _slow_bytes(probe):
            return _fast_bytes
    except Exception:
        pass
    return _slow_bytes


vector_bytes = _choose()


def audio_format() -> Any:
    fmt = pj.MediaFormatAudio()
    fmt.type = pj.PJMEDIA_TYPE_AUDIO
    fmt.clockRate = 8000
    fmt.channelCount = 1
    fmt.bitsPerSample = 16
    # The bridge runs at 20 ms; this port takes 100 ms blocks (the bridge buffers for it): five
    # times fewer Python callbacks on the media clock thread, analysed as five 20 ms frames.
    fmt.frameTimeUsec = BLOCK_MS * 1000
    return fmt


class PortPool:
    """Frame ports are reused from call to call and destroyed only at shutdown.

    The bridge keeps calling a port's put_frame on its clock thread until a removal it performs
    asynchronously (PJSIP 2.14+); deleting the Python object at once frees the C++ object the
    bridge is about to call (a rare segfault under load). So a port outlives its call, and at
    shutdown the bridge's clock is stopped before any port is destroyed.
    """

    def __init__(self) -> None:
        self._free: list[FramePort] = []
        self._all: list[FramePort] = []

    def acquire(self) -> FramePort:
        if self._free:
            port = self._free.pop()
        else:
            port = FramePort()
            port.createPort(f"analysis-{len(self._all)}", audio_format())
            self._all.append(port)
        port.frames.clear()
        return port

    def release(self, port: FramePort) -> None:
        port.frames.clear()
        self._free.append(port)

    def destroy(self) -> None:
        """Only after the bridge's clock has stopped (Endpoint.destroy)."""
        self._free.clear()
        self._all.clear()


class FramePort(pj.AudioMediaPort):
    """A conference port that receives the far end's audio; frames wait in a deque (which is
    thread-safe for append/popleft) for the worker's loop, so the media clock thread only copies.
    """

    def __init__(self) -> None:
        super().__init__()
        self.frames: deque[tuple[float, bytes]] = deque(maxlen=3000)

    def onFrameReceived(self, frame: Any) -> None:
        # Nothing may escape into the media thread; a lost frame is tolerable.
        with contextlib.suppress(Exception):
            self.frames.append((time.monotonic(), vector_bytes(frame.buf)))

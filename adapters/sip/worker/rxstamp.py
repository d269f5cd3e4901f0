"""When a received SIP message reached our socket, not when Python got to it.

The Tracer stamps a message in PJSIP's message-log callback. For a received message that is
late under load, and not mainly because of the GIL: PJSUA reads its UDP transport with a single
pending read (`pjsip_udp_transport_attach2(..., async_cnt=1, ...)` in pjsua_core.c), so a
datagram is read only once the previous one has been processed completely -- callbacks, locks
held by a makeCall on the main thread, the GIL. Measured with 48 calls on 2 cores: 180s read up
to 20-50 ms after SIPp sent them, but logged about 0.5 ms (p90) after that read.

Two better instants are at hand in the log callback, which PJSIP runs synchronously while it
processes the message (the log line names it: `... (rdata0x55d1...) from UDP ...`):

- **kernel**: the arrival time the kernel gave the datagram, `ioctl(SIOCGSTAMPNS)` on the
  transport's socket (`pjsip_udp_transport_get_socket`). It is the stamp of the last datagram
  read from that socket, which with a single pending read is the one being processed. The
  socket keeps arrival stamps once the ioctl has been made on it (the self-test's first
  datagram does that). Nanoseconds, the wall clock; what a packet capture would show.
- **read**: `pjsip_rx_data.pkt_info.timestamp`, set with `pj_gettimeofday` (wall clock, whole
  milliseconds) right after `recvfrom` in `udp_on_read_complete` (sip_transport_udp.c): the
  fallback when the kernel's stamp is not available, still free of the GIL and the callbacks.

Layout (pjsip/include/pjsip/sip_transport.h, 2.15.1): `pjsip_rx_data` starts with `tp_info`
{pool, transport, tp_data pointers; `pjsip_rx_data_op_key` = `pj_ioqueue_op_key_t` (32 + 2
pointers) + an rdata pointer}, then `pkt_info` {`pj_time_val timestamp` (long sec, long msec);
`char packet[]`; ...}: on LP64 the transport pointer is at byte 8, the stamp at 304, the packet
at 320.

Checked, falling back to the callback's own stamp whenever a check fails:
- at worker start (`RxClock.self_test`): datagrams sent to our own transport must be found at
  the packet offset, with a read stamp and a kernel stamp between our send and the callback;
- per message: the logged message must be the bytes at the packet offset (a layout change, a
  reused buffer or a deferred log line is never read as a stamp), on a UDP transport only;
  the read stamp must be neither after the callback nor more than MAX_LAG before it; the
  kernel stamp must be after the previous one and not after the read (1 ms slack for its
  truncation).

A wall-clock stamp is taken onto the monotonic clock with the offset between the two clocks
read together in the callback.
"""

from __future__ import annotations

import ctypes
import fcntl
import re
import socket
import struct
import threading
import time
import uuid
from typing import Any

_P = ctypes.sizeof(ctypes.c_void_p)
_LONG = ctypes.sizeof(ctypes.c_long)
TRANSPORT_OFFSET = _P
TIMESTAMP_OFFSET = 3 * _P + (32 + 2 + 1) * _P
PACKET_OFFSET = TIMESTAMP_OFFSET + 2 * _LONG
SIOCGSTAMPNS = 0x8907  # linux/sockios.h (SIOCGSTAMPNS_OLD: a native struct timespec)
# A stamp more than this before the callback is not believed.
MAX_LAG = 2.0
# Bytes of the message compared with the transport's buffer.
COMPARE = 256
SELF_TEST_PREFIX = "rxstamp-"
SELF_TEST_TRIES = 10
SELF_TEST_GAP = 0.01
_RDATA = re.compile(r"\(rdata(0x[0-9a-fA-F]+)\)")
_TIMESPEC = struct.Struct("@qq")


def _udp_socket_of() -> Any:
    """pjsip_udp_transport_get_socket from the binding's own library, or None."""
    try:
        import pjsua2

        library = ctypes.CDLL(pjsua2._pjsua2.__file__)
        function = library.pjsip_udp_transport_get_socket
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_long
    function.argtypes = [ctypes.c_void_p]
    return function


class RxClock:
    """Arrival instants of received messages; see the module docstring.

    `status` says which stamps are used: "kernel", "read", or why neither ("callback ...").
    """

    def __init__(self) -> None:
        self.status = "callback (untested)"
        self.read_ok = False  # pkt_info.timestamp verified
        self._kernel_fd: int | None = None  # the verified transport's socket
        self._transport: int | None = None  # ... and its pjsip_transport pointer
        self._last_kernel = 0.0
        self._test_id: str | None = None
        self._test_seen = threading.Event()
        self._test: tuple[float, float | None, float] | None = None  # read, kernel, callback

    def instant(
        self, head: str, raw: str, call_id: str, now: float, wall: float
    ) -> tuple[float, str] | None:
        """(monotonic instant the message reached us, "kernel" or "read"); None: use `now`.

        `head` is the log entry's first line, `raw` the message as logged (its start is enough),
        `now`/`wall` the callback's monotonic and wall stamps, taken together."""
        testing = self._test_id is not None and call_id == self._test_id
        if not (self.read_ok or testing):
            return None
        found = self._read(head, raw, wall)
        if found is None:
            return None
        read, transport = found
        kernel = self._kernel(transport, read, wall, testing)
        if testing:
            self._test = (read, kernel, wall)
            self._test_seen.set()
            return None
        if kernel is not None:
            return now - (wall - kernel), "kernel"
        # The read happened in [stamp, stamp + 1 ms) and before the callback: take the middle.
        middle = (read + min(read + 0.001, wall)) / 2.0
        return now - (wall - middle), "read"

    def _read(self, head: str, raw: str, wall: float) -> tuple[float, int] | None:
        """(pkt_info.timestamp, transport pointer) of the logged message's rdata, checked."""
        if " from UDP " not in head:
            return None
        match = _RDATA.search(head)
        if match is None:
            return None
        address = int(match.group(1), 16)
        expected = raw.encode("utf-8", "surrogateescape")[:COMPARE]
        if not address or not expected:
            return None
        if ctypes.string_at(address + PACKET_OFFSET, len(expected)) != expected:
            return None
        sec = ctypes.c_long.from_address(address + TIMESTAMP_OFFSET).value
        msec = ctypes.c_long.from_address(address + TIMESTAMP_OFFSET + _LONG).value
        if not 0 <= msec < 1000:
            return None
        read = sec + msec / 1000.0
        if read > wall or wall - read > MAX_LAG:
            return None
        return read, ctypes.c_void_p.from_address(address + TRANSPORT_OFFSET).value or 0

    def _kernel(self, transport: int, read: float, wall: float, testing: bool) -> float | None:
        if testing and self._kernel_fd is None and transport:
            function = _udp_socket_of()
            fd = int(function(transport)) if function is not None else -1
            if fd >= 0:
                self._kernel_fd, self._transport = fd, transport
        if self._kernel_fd is None or transport != self._transport:
            return None
        try:
            sec, nsec = _TIMESPEC.unpack(
                fcntl.ioctl(self._kernel_fd, SIOCGSTAMPNS, bytes(_TIMESPEC.size))
            )
        except OSError:
            return None
        kernel = sec + nsec / 1e9
        # Arrived before it was read (read is truncated to the ms), after the previous one.
        if kernel > read + 0.001 or kernel <= self._last_kernel or wall - kernel > MAX_LAG:
            return None
        self._last_kernel = kernel
        return kernel

    def self_test(self, host: str, port: int, timeout: float = 2.0) -> str:
        """Send OPTIONS to our own UDP transport and check the stamps; sets and returns status.

        The first datagram switches the socket's arrival stamps on. The kernel starts stamping
        packets once a deferred work item has run (net_enable_timestamp, when no socket of the
        machine had them on), so further datagrams follow, SELF_TEST_GAP apart, until one is
        dated by the kernel (at most SELF_TEST_TRIES): else the read stamps are used."""
        target = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        family = socket.AF_INET6 if ":" in target else socket.AF_INET
        self.status = "callback (self-test: no readable stamp; layout or logging differs)"
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.bind((target, 0))
                for attempt in range(SELF_TEST_TRIES):
                    if attempt:
                        time.sleep(SELF_TEST_GAP)
                    sent, result = self._one_test(sock, target, port, timeout)
                    if result is None:
                        break  # the log callback never saw a stamp: no point trying again
                    if attempt and self._check(sent, *result):
                        break
        except OSError as error:
            self.status = f"callback (self-test failed: {error!r})"
        finally:
            self._test_id = None
        if self.status != "kernel":
            self._kernel_fd = self._transport = None
        return self.status

    def _check(self, sent: float, read: float, kernel: float | None, callback: float) -> bool:
        """Judge one self-test datagram; True once the kernel's stamp is proven."""
        # The read stamp is truncated to the ms: allow 1 ms before our own send.
        if not sent - 0.001 <= read <= callback:
            self.status = f"callback (self-test: read stamp off by {read - sent:+.4f} s)"
            self.read_ok = False
            return True  # the layout is not what we think: stop, use neither stamp
        self.read_ok = True
        self.status = "read"
        if kernel is not None and sent <= kernel <= min(callback, read + 0.001):
            self.status = "kernel"
            return True
        return False

    def _one_test(
        self, sock: socket.socket, target: str, port: int, timeout: float
    ) -> tuple[float, tuple[float, float | None, float] | None]:
        call_id = f"{SELF_TEST_PREFIX}{uuid.uuid4().hex}"
        local = sock.getsockname()[1]
        text = (
            f"OPTIONS sip:rxstamp@{_hostport(target, port)} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {_hostport(target, local)};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:rxstamp@{_hostport(target, local)}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:rxstamp@{_hostport(target, port)}>\r\n"
            f"Call-ID: {call_id}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        self._test, self._test_id = None, call_id
        self._test_seen.clear()
        sent = time.time()
        sock.sendto(text.encode(), (target, port))
        self._test_seen.wait(timeout)
        return sent, self._test


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

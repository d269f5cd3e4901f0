"""Dating a received SIP message by the transport's own read stamp (the kernel's is integration)."""

from __future__ import annotations

import ctypes

import pytest

from adapters.sip.worker.rxstamp import (
    MAX_LAG,
    PACKET_OFFSET,
    TIMESTAMP_OFFSET,
    TRANSPORT_OFFSET,
    RxClock,
)

MESSAGE = (
    "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:45267;branch=z9hG4bK1\r\n"
    "Call-ID: abc-123\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)
READ = 1_700_000_000.123  # when the transport read it (whole milliseconds, as PJSIP keeps it)


class FakeRdata:
    """A pjsip_rx_data as PJSIP 2.15.1 lays it out: what the log line's rdata address points to."""

    def __init__(self, packet: str = MESSAGE, read: float = READ) -> None:
        self.buffer = ctypes.create_string_buffer(PACKET_OFFSET + 4000)
        self.address = ctypes.addressof(self.buffer)
        ctypes.c_void_p.from_address(self.address + TRANSPORT_OFFSET).value = 0
        seconds = int(read)
        ctypes.c_long.from_address(self.address + TIMESTAMP_OFFSET).value = seconds
        millis = round((read - seconds) * 1000)
        msec = self.address + TIMESTAMP_OFFSET + ctypes.sizeof(ctypes.c_long)
        ctypes.c_long.from_address(msec).value = millis
        ctypes.memmove(self.address + PACKET_OFFSET, packet.encode(), len(packet))

    def head(self, transport: str = "UDP") -> str:
        return (
            f"RX {len(MESSAGE)} bytes Response msg 180/INVITE/cseq=1 (rdata{self.address:#x}) "
            f"from {transport} 127.0.0.1:5060:"
        )


@pytest.fixture
def clock() -> RxClock:
    checked = RxClock()
    checked.read_ok = True  # as after a passed start-up self-test
    return checked


def test_a_received_message_is_dated_when_the_transport_read_it_not_when_the_callback_ran(
    clock: RxClock,
) -> None:
    rdata = FakeRdata()
    # The callback runs 12.3 ms after the read; our monotonic clock reads 100.0 then.
    found = clock.instant(rdata.head(), MESSAGE, "abc-123", now=100.0, wall=READ + 0.0123)
    assert found is not None
    instant, source = found
    # The read is known to the millisecond: the middle of that millisecond is taken.
    assert source == "read"
    assert instant == pytest.approx(100.0 - 0.0123 + 0.0005, abs=1e-6)


def test_a_buffer_not_holding_the_logged_message_gives_no_stamp(clock: RxClock) -> None:
    rdata = FakeRdata(packet=MESSAGE.replace("abc-123", "other-call"))
    assert clock.instant(rdata.head(), MESSAGE, "abc-123", now=100.0, wall=READ + 0.01) is None


def test_a_read_stamp_after_the_callback_or_too_old_is_not_believed(clock: RxClock) -> None:
    rdata = FakeRdata()
    assert clock.instant(rdata.head(), MESSAGE, "abc-123", now=100.0, wall=READ - 0.01) is None
    late = READ + MAX_LAG + 0.5
    assert clock.instant(rdata.head(), MESSAGE, "abc-123", now=100.0, wall=late) is None


def test_messages_over_tcp_keep_the_callbacks_stamp(clock: RxClock) -> None:
    rdata = FakeRdata()
    head = rdata.head(transport="TCP")
    assert clock.instant(head, MESSAGE, "abc-123", now=100.0, wall=READ + 0.01) is None


def test_nothing_is_read_from_memory_before_the_start_up_check_passed() -> None:
    rdata = FakeRdata()
    unchecked = RxClock()
    assert unchecked.instant(rdata.head(), MESSAGE, "abc-123", 100.0, READ + 0.01) is None
    assert unchecked.status.startswith("callback")

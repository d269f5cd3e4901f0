"""Reading PJSIP's message log: direction, peer, Call-ID, the message itself."""

from __future__ import annotations

from adapters.sip.sipmsg import parse, sdp_direction, uri_of
from adapters.sip.worker.trace import parse_log_message

LOGGED = (
    "RX 348 bytes Response msg 180/INVITE/cseq=15802 (rdata0x558f4cb2a0d8) from UDP "
    "127.0.0.1:25060:\nSIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:45267\r\n"
    "Call-ID: abc-123\r\nCSeq: 15802 INVITE\r\nContent-Length: 0\r\n\r\n--end msg--"
)


def test_a_logged_message_gives_its_direction_peer_call_id_and_text() -> None:
    direction, peer, call_id, text = parse_log_message(LOGGED)  # type: ignore[misc]
    assert (direction, peer, call_id) == ("RX", "UDP 127.0.0.1:25060", "abc-123")
    assert text.startswith("SIP/2.0 180 Ringing\r\n") and "--end msg--" not in text


def test_other_log_lines_are_not_messages() -> None:
    assert parse_log_message("PJSUA state changed: CREATED --> INIT") is None


def test_a_parsed_message_knows_its_status_method_and_headers() -> None:
    _, _, _, text = parse_log_message(LOGGED)  # type: ignore[misc]
    message = parse(text, direction="RX", t=1.0)
    assert (message.status, message.reason, message.method, message.cseq) == (
        180,
        "Ringing",
        "INVITE",
        15802,
    )
    assert message.header("call-id") == "abc-123"


def test_compact_headers_and_folded_lines_are_read() -> None:
    message = parse(
        "BYE sip:a@b SIP/2.0\r\ni: x1\r\nSubject: a\r\n  b\r\n\r\n", direction="RX", t=0
    )
    assert message.header("call-id") == "x1" and message.header("subject") == "a b"


def test_hold_is_sendonly_inactive_or_a_zero_address() -> None:
    assert sdp_direction("v=0\r\na=sendonly\r\n") == "sendonly"
    assert sdp_direction("c=IN IP4 0.0.0.0\r\n") == "inactive"
    assert sdp_direction("v=0\r\n") == "sendrecv"
    assert uri_of('"Head" <sip:head@org>;tag=1') == "sip:head@org"

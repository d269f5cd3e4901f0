"""The single-part parse gives what the standard parser gives."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from adapters.email.classify import parse_simple

CORPUS = Path(__file__).parent / "email_corpus"
RAWS = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
ODD = [
    b"From someone Mon Jan 1 00:00:00 2024\r\nSubject: x\r\n\r\nbody",  # Unix From line
    b" Subject: x\r\n\r\nbody",  # starts with a continuation
    b"Subject: x\r\n:no name\r\n\r\nbody",
    b"Subject: x\nTo: y\r\n\r\nbody",  # mixed line ends
    b"Subject: x\r\nTo: y",  # no body separator
    b"Subject: a\r\n b\r\n\tc\r\nX-Empty:\r\n\r\nbody\r\n\r\n",
    b"Subject: \xd0\x9f\xd1\x80\xd0\xb8\r\nContent-Type: text/html\r\n\r\n<p>\xd0\x9f</p>",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n",
    b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nx",
]


def _variants() -> list[bytes]:
    crlf = [raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for raw in RAWS]
    return RAWS + crlf + ODD


def test_the_single_part_parse_builds_the_message_the_standard_parser_builds() -> None:
    taken = 0
    for raw in _variants():
        fast = parse_simple(raw)
        if fast is None:
            continue
        taken += 1
        full = BytesParser(policy=policy.compat32).parsebytes(raw)
        assert fast._headers == full._headers  # type: ignore[attr-defined]
        assert fast.get_payload() == full.get_payload()
        assert fast.defects == full.defects == []
        assert vars(fast).keys() == vars(full).keys()
    assert taken >= 20


@pytest.mark.parametrize("raw", ODD[:5] + ODD[7:], ids=lambda raw: repr(raw[:20]))
def test_what_the_single_part_parse_does_not_handle_goes_to_the_standard_parser(
    raw: bytes,
) -> None:
    assert parse_simple(raw) is None

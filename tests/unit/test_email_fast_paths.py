"""The fast paths of reading mail give what the slow ones gave: the single-part parse against
the standard parser, and the FETCH reader against aioimaplib's own."""

from __future__ import annotations

import asyncio
import random
from email import policy
from email.parser import BytesParser
from pathlib import Path

import aioimaplib
import pytest

from adapters.email.classify import parse_simple
from adapters.email.imap import _FetchCommand, _Protocol, parse_fetch

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


def _fetch_response(tag: str) -> bytes:
    out = []
    for uid in range(1, 40):
        body = (f"Subject: {uid} (a\r\n\r\n" + "Ответ ) (\r\n" * uid).encode()
        out.append(
            f'* {uid} FETCH (UID {uid} INTERNALDATE "23-Nov-2026 11:21:47 +0000" '
            f"RFC822.SIZE {len(body)} BODY[]<0> {{{len(body)}}}\r\n".encode()
            + body
            + b")\r\n"
        )
    out.append(f"{tag} OK Fetch completed.\r\n".encode())
    return b"".join(out)


def _read(protocol_class: type, chunks: list[bytes]) -> list[object]:
    async def run() -> list[object]:
        loop = asyncio.get_running_loop()
        protocol = protocol_class(loop, None)
        protocol.state = aioimaplib.SELECTED
        command_class = _FetchCommand if protocol_class is _Protocol else aioimaplib.FetchCommand
        command = command_class("A1", "1:*", "(BODY.PEEK[])", prefix="UID", loop=loop, timeout=5)
        protocol.pending_async_commands["FETCH"] = command
        for chunk in chunks:
            protocol.data_received(chunk)
        await command.wait()
        return [*command.response.lines, command.response.result]

    return asyncio.run(run())


@pytest.mark.parametrize("seed", range(6))
def test_the_fetch_reader_gives_aioimaplibs_lines_however_the_data_is_cut(seed: int) -> None:
    data = _fetch_response("A1")
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), 60 if seed else 1))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    ours = _read(_Protocol, chunks)
    theirs = _read(aioimaplib.IMAP4ClientProtocol, chunks)
    assert [(type(x), x) for x in ours] == [(type(x), x) for x in theirs]
    fetched = parse_fetch(ours[:-2])
    assert [f.uid for f in fetched] == list(range(1, 40))
    assert fetched[4].raw.count("Ответ".encode()) == 5

"""`imap.parse_fetch` reads the messages out of aioimaplib's own FETCH response, however the
server's data is cut into reads (the lines it relies on are why aioimaplib is pinned)."""

from __future__ import annotations

import asyncio
import random

import aioimaplib
import pytest

from adapters.email.imap import parse_fetch


def _fetch_response(tag: str) -> bytes:
    out = []
    for uid in range(1, 40):
        # Parentheses in the body must not end the message early.
        body = (f"Subject: {uid} (a\r\n\r\n" + "Ответ ) (\r\n" * uid).encode()
        out.append(
            f'* {uid} FETCH (UID {uid} INTERNALDATE "23-Nov-2026 11:21:47 +0000" '
            f"RFC822.SIZE {len(body)} BODY[]<0> {{{len(body)}}}\r\n".encode()
            + body
            + b")\r\n"
        )
    out.append(f"{tag} OK Fetch completed.\r\n".encode())
    return b"".join(out)


def _read(chunks: list[bytes]) -> aioimaplib.Response:
    async def run() -> aioimaplib.Response:
        loop = asyncio.get_running_loop()
        protocol = aioimaplib.IMAP4ClientProtocol(loop, None)
        protocol.state = aioimaplib.SELECTED
        command = aioimaplib.FetchCommand(
            "A1", "1:*", "(BODY.PEEK[])", prefix="UID", loop=loop, timeout=5
        )
        protocol.pending_async_commands["FETCH"] = command
        for chunk in chunks:
            protocol.data_received(chunk)
        await command.wait()
        return command.response

    return asyncio.run(run())


@pytest.mark.parametrize("seed", range(6))
def test_every_message_of_a_fetch_is_read_however_the_data_is_cut(seed: int) -> None:
    data = _fetch_response("A1")
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), 60 if seed else 1))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    response = _read(chunks)
    assert response.result == "OK"
    fetched = parse_fetch(response.lines)
    assert [f.uid for f in fetched] == list(range(1, 40))
    assert fetched[4].raw.count("Ответ".encode()) == 5
    assert fetched[4].raw.startswith(b"Subject: 5 (a\r\n")
    assert all(f.size == len(f.raw) and not f.truncated for f in fetched)
    assert fetched[0].internaldate is not None and fetched[0].internaldate.day == 23

"""The sandbox's review UI takes a free port of 127.0.0.1 unless told one: a fixed default
collided on shared machines (two runs, or a run beside the tests)."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from sqlalchemy.engine import Engine

from probe.cli.sandbox import review_port
from probe.sandbox.campaign import Options
from probe.sandbox.run import _listen, _start_web
from probe.sandbox.world import SandboxError
from probe.settings import Settings

pytestmark = pytest.mark.integration


async def _login_page(url: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(100):  # the server task starts on the loop's next turns
            try:
                return (await client.get(url + "login")).status_code
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answers at {url}")


async def test_two_sandboxes_serve_their_review_uis_side_by_side(engine: Engine) -> None:
    said: list[str] = []
    uis = []
    for _ in range(2):
        sock = _listen(Options().web_port or 0)
        uis.append(_start_web(sock, Settings(), engine, "pw", said.append))
    urls = [line.split()[2] for line in said]
    assert len(set(urls)) == 2 and all(u.startswith("http://127.0.0.1:") for u in urls)
    assert said[0].endswith("/ (user operator, password pw)")
    assert [await _login_page(url) for url in urls] == [200, 200]
    for task, stop in uis:
        stop.set()
        await task


def test_a_forced_port_in_use_is_refused_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError) as error:
            _listen(port)
    assert str(error.value) == (
        f"the review UI cannot listen on 127.0.0.1:{port} (Address already in use); "
        "leave out --web-port to take a free port"
    )


def test_the_command_line_asks_for_a_free_port_unless_told() -> None:
    assert Options().web_port == review_port(None) == 0  # a free one
    assert review_port(0) is None  # no review UI
    assert review_port(8181) == 8181


def test_the_printed_address_takes_connections_before_the_server_runs() -> None:
    sock = _listen(0)
    try:
        # A browser opened on the address as soon as it is printed waits, it is not refused.
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            pass
    finally:
        sock.close()

"""IMAP plumbing over aioimaplib's public API: connect (through the network guard), select,
search, batch fetch, append. Errors on our account (refused connection, TLS, login) are
`OurSideError`.

`parse_fetch` reads the lines aioimaplib's FETCH response holds (a `bytes` line per message
header, a `bytearray` per literal), which is why pyproject.toml pins aioimaplib to 2.0.x."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aioimaplib

from adapters.email.config import ImapSettings
from adapters.email.smtp import tls_context
from probe.errors import OurSideError
from probe.netguard import ensure_destination_allowed

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_IMAP_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class ImapConnectionLost(ConnectionError):
    pass


@dataclass(frozen=True)
class Fetched:
    uid: int
    internaldate: datetime | None
    size: int
    raw: bytes  # possibly cut at the fetch limit

    @property
    def truncated(self) -> bool:
        return len(self.raw) < self.size


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    uidnext: int | None


def account_name(settings: ImapSettings) -> str:
    return f"{settings.username or ''}@{settings.host}:{settings.port}"


def mailbox_arg(name: str) -> str:
    """A mailbox name as an IMAP argument: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def connect(
    settings: ImapSettings, *, network: str, timeout: float = 15.0
) -> aioimaplib.IMAP4:
    """A logged-in client; `client.lost` is an Event set when the server drops the connection."""
    ensure_destination_allowed(settings.host, network=network)
    context = tls_context(settings.ca_file) if settings.security == "tls" else None
    client = aioimaplib.IMAP4(settings.host, settings.port, timeout=timeout, ssl_context=context)
    lost = asyncio.Event()

    def on_lost(_exc: Exception | None) -> None:
        lost.set()
        # Wake a pending IDLE wait so the watcher notices at once.
        client.protocol.idle_queue.put_nowait([b"BYE connection lost"])

    client.protocol.conn_lost_cb = on_lost
    client.lost = lost
    try:
        await client.wait_hello_from_server()
    except ssl.SSLError as error:
        raise OurSideError(f"IMAP TLS failed: {error}", error_class="imap_tls") from error
    except (OSError, TimeoutError, aioimaplib.AioImapException) as error:
        raise OurSideError(
            f"IMAP connection failed: {error!r}", error_class="imap_connect"
        ) from error
    if settings.security == "starttls":
        raise OurSideError("IMAP STARTTLS is not supported: use tls", error_class="imap_tls")
    password = settings.password.get_secret_value() if settings.password else ""
    response = await client.login(settings.username or "", password)
    if response.result != "OK":
        await _close(client)
        raise OurSideError(
            f"IMAP login failed for {settings.username!r}: {_text(response.lines)}",
            error_class="imap_auth",
        )
    return client


async def _close(client: aioimaplib.IMAP4) -> None:
    quiet = (OSError, TimeoutError, aioimaplib.AioImapException, asyncio.CancelledError)
    with contextlib.suppress(*quiet):
        await asyncio.wait_for(client.logout(), 2)
    transport = client.protocol.transport
    if transport is not None:
        transport.close()


async def close(client: aioimaplib.IMAP4 | None) -> None:
    if client is not None:
        await _close(client)


def _text(lines: Sequence[Any]) -> str:
    return " ".join(
        bytes(line).decode("utf-8", "replace") for line in lines if isinstance(line, bytes)
    )


def check(response: Any, what: str) -> Any:
    if response.result != "OK":
        raise ImapConnectionLost(f"IMAP {what} failed: {_text(response.lines)}")
    return response


async def select(client: aioimaplib.IMAP4, mailbox: str) -> Selected:
    """SELECT the mailbox. The readers only fetch with BODY.PEEK and keep their place by UID, so
    a read-only EXAMINE would do, but aioimaplib's `examine` leaves the session in the
    authenticated state (a "simple command" in 2.0.3), where it refuses FETCH and IDLE."""
    response = await client.select(mailbox_arg(mailbox))
    check(response, f"SELECT {mailbox}")
    uidvalidity = uidnext = None
    for line in response.lines:
        if isinstance(line, bytes):
            if match := _UIDVALIDITY.search(line):
                uidvalidity = int(match.group(1))
            if match := _UIDNEXT.search(line):
                uidnext = int(match.group(1))
    if uidvalidity is None:
        raise ImapConnectionLost(f"SELECT {mailbox} returned no UIDVALIDITY")
    return Selected(uidvalidity=uidvalidity, uidnext=uidnext)


async def uids_after(client: aioimaplib.IMAP4, last_uid: int) -> list[int]:
    response = check(await client.uid_search(f"UID {last_uid + 1}:*", charset=None), "SEARCH")
    # "n:*" always matches the highest UID, even one at or below n.
    return sorted(uid for uid in set(_search_numbers(response.lines)) if uid > last_uid)


def _search_numbers(lines: Sequence[Any]) -> list[int]:
    """The numbers of a SEARCH reply (aioimaplib strips the "SEARCH" word; some do not)."""
    found: list[int] = []
    for line in lines[:-1]:  # the last line is the tagged "Search completed"
        words = bytes(line).split()
        if words and words[0].upper() == b"SEARCH":
            words = words[1:]
        if words and all(w.isdigit() for w in words):
            found.extend(int(w) for w in words)
    return found


async def search_header(client: aioimaplib.IMAP4, name: str, value: str) -> list[int]:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    response = check(await client.uid_search("HEADER", name, quoted, charset=None), "SEARCH")
    return _search_numbers(response.lines)


async def fetch(client: aioimaplib.IMAP4, uids: Sequence[int], *, max_bytes: int) -> list[Fetched]:
    """One round trip for a batch of messages, each cut at `max_bytes`."""
    if not uids:
        return []
    items = f"(UID INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.{max_bytes}>)"
    response = check(await client.uid("fetch", ",".join(map(str, uids)), items), "FETCH")
    return parse_fetch(response.lines)


def parse_fetch(lines: Sequence[Any]) -> list[Fetched]:
    found: list[Fetched] = []
    header: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray | memoryview):
            if header is not None:
                found.append(_fetched(header, bytes(line)))
                header = None
        elif isinstance(line, bytes) and b" FETCH (" in line and _FETCH_UID.search(line):
            header = line
    return sorted(found, key=lambda f: f.uid)


def _fetched(header: bytes, raw: bytes) -> Fetched:
    uid = _FETCH_UID.search(header)
    size = _FETCH_SIZE.search(header)
    date = _FETCH_DATE.search(header)
    assert uid is not None
    return Fetched(
        uid=int(uid.group(1)),
        internaldate=parse_internaldate(date.group(1).decode()) if date else None,
        size=int(size.group(1)) if size else len(raw),
        raw=raw,
    )


def parse_internaldate(text: str) -> datetime | None:
    """'23-Nov-2026 11:21:47 +0000' as an aware UTC instant."""
    try:
        day, month, rest = text.strip().split("-", 2)
        year, clock, zone = rest.split(" ")
        rfc = f"{int(day)} {month} {year} {clock} {zone}"
        if month not in _IMAP_MONTHS:
            return None
        return parsedate_to_datetime(rfc).astimezone(UTC)
    except (ValueError, TypeError):
        return None


async def append(
    client: aioimaplib.IMAP4, *, mailbox: str, raw: bytes, flags: str = "(\\Seen)"
) -> None:
    response = await client.append(raw, mailbox=mailbox_arg(mailbox), flags=flags)
    if response.result != "OK" and "TRYCREATE" in _text(response.lines):
        await client.create(mailbox_arg(mailbox))
        response = await client.append(raw, mailbox=mailbox_arg(mailbox), flags=flags)
    check(response, f"APPEND {mailbox}")

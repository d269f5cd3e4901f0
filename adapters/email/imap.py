"""IMAP plumbing over aioimaplib: connect (through the network guard), select, search, batch
fetch, append. Errors on our account (refused connection, TLS, login) are `OurSideError`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aioimaplib

from adapters.email.smtp import tls_context
from probe.errors import OurSideError
from probe.netguard import ensure_destination_allowed
from probe.settings import ImapSettings

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_IMAP_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class ImapConnectionLost(ConnectionError):
    pass


# -- a faster reading of FETCH responses -------------------------------------------------------
# aioimaplib reads a batch of messages in time quadratic in its size: for every message it
# scans all the lines of the response received so far (`FetchCommand.wait_data`), copies the
# rest of the received data for every line and literal it takes off (`_handle_responses`, one
# recursive call each), re-arms a timer for every line, and formats each received chunk into a
# debug log line even when debug logging is off. Reading 300 messages cost three times the
# server's own time. The classes below keep its protocol (the same commands, states, responses
# and lines) and change only how the received bytes are walked.
_log = logging.getLogger(aioimaplib.__name__)
_CRLF = b"\r\n"


class _FetchCommand(aioimaplib.FetchCommand):
    """`FetchCommand` whose test "is the last FETCH response still open?" is kept up to date
    line by line instead of re-scanning the whole response, and whose inactivity timer is
    re-armed only when it fires (the same timeout after the last data received)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scanned = 0  # lines of the response counted so far
        self._balance = 0  # "(" minus ")" since the last FETCH line
        self._last_activity = 0.0
        super().__init__(*args, **kwargs)

    def wait_data(self) -> bool:
        lines = self._resp_lines
        for index in range(self._scanned, len(lines)):
            line = lines[index]
            if isinstance(line, bytes):
                if self.FETCH_MESSAGE_DATA_RE.match(line):
                    self._balance = 0
                self._balance += line.count(b"(") - line.count(b")")
        self._scanned = len(lines)
        return self._balance != 0

    def _set_timer(self) -> None:
        self._last_activity = self._loop.time()
        if self._timeout is not None:
            self._timer = self._loop.call_later(self._timeout, self._on_timer)

    def _reset_timer(self) -> None:
        self._last_activity = self._loop.time()

    def _on_timer(self) -> None:
        assert self._timeout is not None
        due = self._last_activity + self._timeout
        if self._loop.time() >= due:
            self._timeout_callback()
        else:
            self._timer = self._loop.call_at(due, self._on_timer)


class _Protocol(aioimaplib.IMAP4ClientProtocol):
    """aioimaplib's protocol walking received data by offset, without recursion or copies."""

    def data_received(self, d: bytes) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("Received : %s", d)
        state: Any = self  # aioimaplib's attributes carry no types
        try:
            self._handle_responses(
                state.incomplete_line + d, self._handle_line, state.current_command
            )
            state.incomplete_line = b""
            state.current_command = None
        except aioimaplib.IncompleteRead as incomplete_read:
            state.current_command = incomplete_read.cmd
            state.incomplete_line = bytes(incomplete_read.data)

    def _handle_responses(self, data: bytes, line_handler: Any, current_cmd: Any = None) -> None:
        # The same steps as aioimaplib's recursive version, one line or literal per turn.
        view = memoryview(data)
        position = 0
        size = len(data)
        while True:
            if position >= size:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if current_cmd is not None and current_cmd.wait_data():
                    raise aioimaplib.IncompleteRead(current_cmd)
                return
            if current_cmd is not None and current_cmd.wait_literal_data():
                rest = current_cmd.append_literal_data(view[position:])
                position = size - len(rest)
                if current_cmd.wait_literal_data():
                    raise aioimaplib.IncompleteRead(current_cmd)
            end = data.find(_CRLF, position)
            if end < 0:
                raise aioimaplib.IncompleteRead(current_cmd, data[position:])
            line = data[position:end]
            position = end + 2
            cmd = line_handler(line, current_cmd)
            begin_literal = aioimaplib.literal_data_re.match(line)
            if begin_literal:
                if cmd is None:
                    cmd = aioimaplib.Command("NIL", "unused")
                cmd.begin_literal_data(int(begin_literal.group("size")))
                current_cmd = cmd
            elif cmd is not None and cmd.wait_data():
                current_cmd = cmd
            else:
                current_cmd = None

    @aioimaplib.change_state
    async def examine(self, mailbox: str = "INBOX") -> aioimaplib.Response:
        """EXAMINE as aioimaplib's SELECT: the session is then in the selected state (its own
        `examine` leaves it authenticated, where FETCH and IDLE are refused)."""
        response = await self.execute(
            aioimaplib.Command("EXAMINE", self.new_tag(), mailbox, loop=self.loop)
        )
        if response.result == "OK":
            self.state = aioimaplib.SELECTED
        return response

    async def fetch(
        self, message_set: str, message_parts: str, by_uid: bool = False, timeout: Any = None
    ) -> aioimaplib.Response:
        command = _FetchCommand(
            self.new_tag(), message_set, message_parts,
            prefix="UID" if by_uid else "", loop=self.loop, timeout=timeout,
        )  # fmt: skip
        return await self.execute(command)


class _Client(aioimaplib.IMAP4):
    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Any = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = _Protocol(local_loop, conn_lost_cb)
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )


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
    client: aioimaplib.IMAP4
    if settings.security == "tls":
        client = _Client(
            settings.host, settings.port, timeout=timeout, ssl_context=tls_context(settings.ca_file)
        )
    else:
        client = _Client(settings.host, settings.port, timeout=timeout)
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


async def select(client: aioimaplib.IMAP4, mailbox: str, *, readonly: bool = False) -> Selected:
    """SELECT the mailbox, or EXAMINE it (`readonly`): a reader that fetches with BODY.PEEK and
    keeps its place by UID changes nothing, and a read-only open spares the server its
    bookkeeping of what this session saw first (Dovecot moves every new maildir file to cur/
    on a read-write open: 10 ms for 300 messages)."""
    verb = "EXAMINE" if readonly else "SELECT"
    if readonly:
        opening = client.protocol.examine(mailbox_arg(mailbox))
        response = await asyncio.wait_for(opening, client.timeout)
    else:
        response = await client.select(mailbox_arg(mailbox))
    check(response, f"{verb} {mailbox}")
    uidvalidity = uidnext = None
    for line in response.lines:
        if isinstance(line, bytes):
            if match := _UIDVALIDITY.search(line):
                uidvalidity = int(match.group(1))
            if match := _UIDNEXT.search(line):
                uidnext = int(match.group(1))
    if uidvalidity is None:
        raise ImapConnectionLost(f"{verb} {mailbox} returned no UIDVALIDITY")
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

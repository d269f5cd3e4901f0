"""The polite fetcher: one request at a time per site, a pause between requests, robots.txt
honoured, every hop through the network gate, certificates verified (with the configured extra
CA), redirects followed by hand so each hop is checked and recorded.

A failure of the site (DNS, TCP, TLS, a timeout) is a `SiteError` with its reason; a destination
our network policy forbids is a `DestinationRefusedError` (ours).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import httpx
from selectolax.lexbor import LexborHTMLParser

from adapters.web.config import WebSettings
from probe.errors import DestinationRefusedError
from probe.netguard import ensure_destination_allowed, resolve

MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}


class SiteError(Exception):
    """The site's own failure, with a short reason for staff (`tls: certificate has expired`)."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.reason = reason
        self.url = url


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    http_version: str
    redirects: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml", "")

    @property
    def text(self) -> str:
        """The body decoded by the header's charset, else the page's own `<meta>` (old
        public-sector sites are often windows-1251), else UTF-8, else a detected one."""
        for charset in (self._header_charset(), self._meta_charset()):
            if charset:
                try:
                    return self.body.decode(charset, errors="replace")
                except LookupError:
                    continue
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            best = charset_normalizer.from_bytes(self.body[:200_000]).best()
            return str(best) if best is not None else self.body.decode("utf-8", "replace")

    def _header_charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"'")
        return None

    def _meta_charset(self) -> str | None:
        # The head parsed as Latin-1 (every byte a character): the charset names are ASCII.
        head = LexborHTMLParser(self.body[:4096].decode("latin-1"))
        for meta in head.css("meta[charset], meta[http-equiv]"):
            if meta.attributes.get("charset"):
                return (meta.attributes.get("charset") or "").strip()
            content = meta.attributes.get("content") or ""
            if (meta.attributes.get("http-equiv") or "").lower() == "content-type":
                for part in content.split(";")[1:]:
                    key, _, value = part.strip().partition("=")
                    if key.lower() == "charset" and value:
                        return value.strip()
        return None


def ssl_context(settings: WebSettings) -> ssl.SSLContext:
    """The system's trusted authorities, plus the configured bundle; always verifying."""
    context = ssl.create_default_context()
    if settings.ca_bundle is not None:
        context.load_verify_locations(cafile=str(settings.ca_bundle))
    return context


def _cause_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def site_reason(error: Exception) -> str:
    """A transport failure's reason, in the words of the layer that failed."""
    if isinstance(error, httpx.TimeoutException):  # its context may be a TLS read cut short
        return f"timeout: {type(error).__name__}"
    for cause in _cause_chain(error):
        if isinstance(cause, ConnectionRefusedError):
            return "tcp: connection refused"
        if isinstance(cause, socket.gaierror):
            return f"dns: {cause}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"tls: {cause.verify_message or cause.reason}"
        if isinstance(cause, ssl.SSLError):
            return f"tls: {cause.reason or cause}"
    text = str(error) or type(error).__name__
    if "refused" in text.lower():
        return "tcp: connection refused"
    return f"connection: {text}"


@dataclass
class _HostGate:
    """One site's turn: every probe in this process that talks to the host waits for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = 0.0


# (event loop, host:port) -> its gate: two organisations' sites on one portal share it.
_GATES: dict[tuple[int, str], _HostGate] = {}


def host_gate(url: str) -> _HostGate:
    key = (id(asyncio.get_running_loop()), urlsplit(url).netloc.lower())
    gate = _GATES.get(key)
    if gate is None:
        gate = _GATES[key] = _HostGate()
    return gate


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PoliteFetcher:
    """One per probe (`async with`): its requests, and every other probe's to the same host in
    this process, are serialised and paced."""

    def __init__(self, settings: WebSettings, *, network: str) -> None:
        self.settings = settings
        self.network = network
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.requests = 0
        self._client = httpx.AsyncClient(
            http2=True,
            verify=ssl_context(settings),
            follow_redirects=False,
            timeout=httpx.Timeout(settings.request_timeout_seconds),
            headers={"User-Agent": settings.agent(), "Accept-Language": "ru,en;q=0.5"},
            trust_env=False,
        )

    async def __aenter__(self) -> PoliteFetcher:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def _gate(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        try:
            await asyncio.to_thread(resolve, host)
        except DestinationRefusedError as error:
            raise SiteError(f"dns: cannot resolve {host}", url) from error
        await asyncio.to_thread(ensure_destination_allowed, host, network=self.network)

    async def _send(
        self, method: str, url: str, *, paced: bool, **kw: Any
    ) -> tuple[httpx.Response, bytes, bool]:
        """One request (no redirects), in turn with the site's others, after the pause."""
        await self._gate(url)
        gate = host_gate(url)
        async with gate.lock:
            if paced:
                wait = gate.last + self.settings.pause_seconds - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                request = self._client.build_request(method, url, **kw)
                response = await self._client.send(request, stream=True)
                try:
                    body, truncated = await self._read(response)
                finally:
                    await response.aclose()
            except httpx.HTTPError as error:
                raise SiteError(site_reason(error), url) from error
            finally:
                gate.last = time.monotonic()
                self.requests += 1
        return response, body, truncated

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.settings.max_page_bytes:
                return b"".join(chunks)[: self.settings.max_page_bytes], True
        return b"".join(chunks), False

    async def fetch(
        self, url: str, *, method: str = "GET", paced: bool = True, **kw: Any
    ) -> Response:
        """`url` with its redirects followed (each hop gated and recorded)."""
        hops: list[dict[str, Any]] = []
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            answer, body, truncated = await self._send(method, current, paced=paced, **kw)
            location = answer.headers.get("location")
            if answer.status_code not in _REDIRECTS or not location:
                return Response(
                    url=current,
                    status=answer.status_code,
                    headers=answer.headers,
                    body=body,
                    http_version=answer.http_version,
                    redirects=hops,
                    truncated=truncated,
                )
            target = urljoin(current, location)
            hops.append({"from": current, "status": answer.status_code, "to": target})
            if answer.status_code == 303:
                method, kw = "GET", {}
            current = target
        raise SiteError(f"http: more than {MAX_REDIRECTS} redirects", url)

    async def allowed(self, url: str) -> bool:
        """robots.txt of the URL's origin (fetched once): may this prober fetch it?"""
        origin = origin_of(url)
        if origin not in self._robots:
            self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        return True if rules is None else rules.can_fetch(self.settings.user_agent, url)

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """RFC 9309: a 4xx means no rules, a 5xx keep out. An unreachable site is the site's
        failure (SiteError), as its home page would be."""
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        answer = await self.fetch(origin + "/robots.txt")
        if 400 <= answer.status < 500:
            return None
        if answer.status >= 500:
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        parser.parse(answer.text.splitlines())
        return parser

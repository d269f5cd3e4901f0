"""SMTP submission with aiosmtplib, timed phase by phase (like blackbox_exporter's phases).

Failures are sorted by whose they are: a refused connection, a TLS or AUTH failure or a refused
sender is ours (`OurSideError` with an error class); a 5xx to RCPT or DATA is the recipient's
(`RecipientRefused`: the check is bounced at once); a 4xx, to a command or as the greeting, is
retried with backoff, still the same check.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import aiosmtplib

from adapters.email.config import SmtpSettings
from probe.errors import OurSideError
from probe.netguard import ensure_destination_allowed
from probe.results import utc_now

T = TypeVar("T")
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def enhanced_status(text: str) -> str | None:
    match = _ENHANCED.search(text)
    return match.group(1) if match else None


class RecipientRefused(Exception):
    """A 5xx reply to RCPT or DATA: the organisation's address does not take mail."""

    def __init__(self, *, phase: str, code: int, message: str) -> None:
        super().__init__(f"{phase}: {code} {message}")
        self.phase, self.code, self.message = phase, code, message


class TemporaryFailure(Exception):
    """A 4xx reply: try the same message again later."""

    def __init__(self, *, phase: str, code: int, message: str) -> None:
        super().__init__(f"{phase}: {code} {message}")
        self.phase, self.code, self.message = phase, code, message


class AcceptanceUnknown(OurSideError):
    """The connection broke after the message was handed over: it may have been accepted."""

    error_class = "smtp_acceptance_unknown"


@dataclass
class Delivery:
    accepted_at: datetime
    code: int
    reply: str
    timings_ms: dict[str, float]
    reused_connection: bool
    tls: bool
    deferrals: list[str] = field(default_factory=list)

    @property
    def queue_id(self) -> str | None:
        match = re.search(r"queued as ([0-9A-Za-z]+)", self.reply)
        return match.group(1) if match else None


def tls_context(ca_file: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


class SmtpSession:
    """One authenticated connection, reused for a batch of messages."""

    def __init__(self, settings: SmtpSettings, *, network: str, timeout: float = 30.0) -> None:
        self.settings = settings
        self.network = network
        self.timeout = timeout
        self.client: aiosmtplib.SMTP | None = None
        self.open_timings: dict[str, float] = {}
        self.messages_sent = 0

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    async def open(self) -> None:
        s = self.settings
        ensure_destination_allowed(s.host, network=self.network)
        self.client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "tls",
            start_tls=False,  # STARTTLS is done (and timed) explicitly below
            tls_context=tls_context(s.ca_file) if s.security != "none" else None,
            timeout=self.timeout,
        )
        self.messages_sent = 0
        try:
            self.open_timings = await self._handshake()
        except BaseException:
            # Half-open (a 4xx greeting, a failed EHLO, TLS or AUTH): dropped, the next send
            # opens a new connection.
            client, self.client = self.client, None
            if client is not None:
                client.close()
            raise

    async def _handshake(self) -> dict[str, float]:
        s = self.settings
        assert self.client is not None
        timings: dict[str, float] = {}
        await _phase(timings, "connect", "smtp_connect", self.client.connect())
        await _phase(timings, "ehlo", "smtp_protocol", self.client.ehlo())
        if s.security == "starttls":
            if not self.client.supports_extension("starttls"):
                raise OurSideError(
                    "the SMTP server does not offer STARTTLS", error_class="smtp_tls"
                )
            await _phase(timings, "tls", "smtp_tls", self.client.starttls())
            await _phase(timings, "ehlo_tls", "smtp_protocol", self.client.ehlo())
        if s.username:
            password = s.password.get_secret_value() if s.password else ""
            await _phase(timings, "auth", "smtp_auth", self.client.login(s.username, password))
        return timings

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def __aenter__(self) -> SmtpSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def send(self, *, sender: str, recipient: str, data: bytes) -> Delivery:
        """One message to one recipient; RecipientRefused, TemporaryFailure or OurSideError."""
        reused = self.messages_sent > 0
        if not self.connected:
            await self.open()
            reused = False
        assert self.client is not None
        client = self.client
        timings = {} if reused else dict(self.open_timings)
        try:
            await self._envelope(client, timings, "mail", client.mail(sender))
            await self._envelope(client, timings, "rcpt", client.rcpt(recipient))
            started = time.perf_counter()
            response = await client.data(data)
            timings["data"] = _ms(started)
        except aiosmtplib.SMTPDataError as error:
            await self._reset(client)
            raise _refusal("data", error) from error
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as error:
            self.client = None
            if "data" in timings or "rcpt" in timings:
                raise AcceptanceUnknown(f"connection lost during DATA: {error}") from error
            raise OurSideError(
                f"SMTP connection lost: {error}", error_class="smtp_connect"
            ) from error
        self.messages_sent += 1
        return Delivery(
            accepted_at=utc_now(),
            code=response.code,
            reply=f"{response.code} {response.message}",
            timings_ms=timings,
            reused_connection=reused,
            tls=self.settings.security != "none",
        )

    async def _envelope(
        self, client: aiosmtplib.SMTP, timings: dict[str, float], name: str, step: Awaitable[Any]
    ) -> None:
        started = time.perf_counter()
        try:
            await step
        except aiosmtplib.SMTPSenderRefused as error:
            await self._reset(client)
            if error.code >= 500:
                raise OurSideError(
                    f"our sender address was refused: {error.code} {error.message}",
                    error_class="smtp_sender_refused",
                    permanent=True,
                ) from error
            raise _refusal("mail", error) from error
        except aiosmtplib.SMTPRecipientRefused as error:
            await self._reset(client)
            raise _refusal("rcpt", error) from error
        timings[name] = _ms(started)

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self.close()


def _refusal(phase: str, error: aiosmtplib.SMTPResponseException) -> Exception:
    if 400 <= error.code < 500:
        return TemporaryFailure(phase=phase, code=error.code, message=error.message)
    return RecipientRefused(phase=phase, code=error.code, message=error.message)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


async def _phase(timings: dict[str, float], name: str, error_class: str, step: Awaitable[T]) -> T:
    started = time.perf_counter()
    try:
        result = await step
    except aiosmtplib.SMTPAuthenticationError as error:
        raise OurSideError(
            f"SMTP authentication failed: {error.code} {error.message}", error_class="smtp_auth"
        ) from error
    except ssl.SSLError as error:
        raise OurSideError(f"SMTP TLS failed: {error}", error_class="smtp_tls") from error
    except aiosmtplib.SMTPResponseException as error:
        if 400 <= error.code < 500:
            # "421 try again later" as the greeting or the answer to EHLO: the server's
            # temporary refusal, retried like a 4xx to MAIL or RCPT (`send_with_retry`).
            raise TemporaryFailure(phase=name, code=error.code, message=error.message) from error
        raise OurSideError(
            f"SMTP {name} failed: {error.code} {error.message}", error_class=error_class
        ) from error
    except (aiosmtplib.SMTPException, OSError) as error:
        if isinstance(error.__cause__ or error.__context__, ssl.SSLError):
            error_class = "smtp_tls"
        raise OurSideError(f"SMTP {name} failed: {error}", error_class=error_class) from error
    timings[name] = _ms(started)
    return result


async def send_with_retry(
    *,
    session: SmtpSession,
    sender: str,
    recipient: str,
    data: bytes,
    delays: Sequence[float],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Delivery:
    """Send; after a 4xx wait the next delay and try again, up to len(delays) more times."""
    deferrals: list[str] = []
    for attempt in range(len(delays) + 1):
        try:
            delivery = await session.send(sender=sender, recipient=recipient, data=data)
        except TemporaryFailure as failure:
            deferrals.append(f"{failure.phase}: {failure.code} {failure.message}")
            if attempt == len(delays):
                raise OurSideError(
                    f"still deferred after {attempt + 1} attempts: {deferrals[-1]}",
                    error_class="smtp_deferred",
                ) from failure
            await sleep(delays[attempt])
            continue
        delivery.deferrals = deferrals
        return delivery
    raise AssertionError("unreachable")

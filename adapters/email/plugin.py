"""The e-mail channel's one entry point: send the probe, return a pending result.

The reply arrives later through the watcher (watcher.py) and the deadline sweep (sweep.py),
which complete the check in the database. Only a refusal at send time (5xx to RCPT or DATA)
and our own failures end the check here.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from adapters.email.campaign import SECTION
from adapters.email.config import Config, ImapSettings, SmtpSettings
from adapters.email.evidence import store_raw
from adapters.email.message import Identity, build_message, identity_for
from adapters.email.names import CHANNEL, Outcome
from adapters.email.sent import SentFolder
from adapters.email.smtp import (
    AcceptanceUnknown,
    Delivery,
    RecipientRefused,
    SmtpSession,
    enhanced_status,
    send_with_retry,
)
from probe.channels import (
    ChannelSpec,
    CliGroup,
    ContactKind,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    RateLimit,
    RetryRule,
    SettingsSection,
)
from probe.errors import OurSideError
from probe.results import CheckResult, EvidenceRef, ResultSink, utc_now
from probe.settings import Settings

# A pooled connection closes after this long unused.
POOL_IDLE_SECONDS = 30.0


@dataclass
class _Pooled:
    loop: asyncio.AbstractEventLoop
    key: str
    smtp: SmtpSession
    sent: SentFolder
    lock: asyncio.Lock
    closer: asyncio.TimerHandle | None = None


def _control_address(settings: Settings) -> str | None:
    return settings.smtp.control_address


def _services(
    *, engine: Any, settings: Settings, stop: asyncio.Event, sink: ResultSink
) -> list[Any]:
    from adapters.email import services

    return services(engine=engine, settings=settings, stop=stop, sink=sink)


def _register_check(app: Any) -> None:
    from adapters.email.cli import register

    register(app)


def _register_mail(app: Any) -> None:
    from adapters.email.mailcli import register

    register(app)


def _sweep(*, engine: Any, now: Any, sink: ResultSink) -> int:
    from adapters.email.sweep import sweep_no_reply

    return sweep_no_reply(engine=engine, now=now, sink=sink)


SPEC = ChannelSpec(
    name=CHANNEL,
    label="электронная почта",
    backend="smtp",
    outcomes=(
        OutcomeSpec(Outcome.REPLIED, "ответили", success=True, judgements=("grade",)),
        OutcomeSpec(Outcome.AUTO_REPLIED, "автоответ"),
        OutcomeSpec(Outcome.BOUNCED, "письмо не доставлено", verdict=True),
        OutcomeSpec(Outcome.NO_REPLY, "нет ответа на письмо", verdict=True),
        OutcomeSpec(Outcome.SEND_FAILED, "сбой отправки (наша сторона)", ours=True),
    ),
    config_model=Config,
    timeout_seconds=180.0,
    rate_limit=RateLimit(per_minute=30, per_minute_key="emails_per_minute"),  # SMTP account
    settings=(SettingsSection("smtp", SmtpSettings), SettingsSection("imap", ImapSettings)),
    contact_kinds=(ContactKind("email", "адрес электронной почты", example="adres@example.ru"),),
    retry=(
        RetryRule(Outcome.SEND_FAILED, minutes=(10, 10)),
        RetryRule(Outcome.BOUNCED, next_contact=True, next_contact_switch="next_address_on_bounce"),
    ),
    control_target=_control_address,
    protocol_columns=("protocol6.table2", "protocol5.table1.email"),
    cli={
        "check": CliGroup(_register_check),
        "mail": CliGroup(
            _register_mail, "Inbound e-mail: classify a message, list unmatched ones."
        ),
    },
    services=_services,
    sweep=_sweep,
    resolves_in_flight=True,
    campaign=SECTION,
    # Its watcher and sweep also end other channels' follow-ups answered by mail (MailReply).
    serves_mail_replies=True,
)


class EmailPlugin:
    spec = SPEC
    name = CHANNEL
    config_model = Config

    def __init__(self) -> None:
        self._pooled: _Pooled | None = None

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        config = Config.model_validate(target.options)
        settings = context.settings
        started = utc_now()
        nonce = secrets.token_hex(4) if target.check_id <= 0 else ""
        identity = identity_for(target, settings, nonce=nonce)
        message = build_message(
            settings=settings,
            identity=identity,
            recipient=target.value,
            template=config.template,
            sender_name=config.sender_name,
            date=started,
        )
        raw = message.as_bytes()
        base = {
            "message_id": identity.message_id,
            "token": identity.token,
            "recipient": target.value,
            "sender": settings.smtp.from_address,  # the footnote of Protocol 6 table 2
            "subject": str(message["Subject"]),
            "template": config.template,
        }
        pooled = await self._pool(settings)
        async with pooled.lock:
            try:
                delivery = await send_with_retry(
                    session=pooled.smtp,
                    sender=settings.smtp.from_address,
                    recipient=target.value,
                    data=raw,
                    delays=config.retry_delays,
                )
            except RecipientRefused as refusal:
                return _bounced(started, base, refusal)
            except AcceptanceUnknown as error:
                return _failed(started, base, error, Outcome.UNKNOWN)
            except OurSideError as error:
                await pooled.smtp.close()
                return _failed(started, base, error, Outcome.SEND_FAILED)
            filed = await _file_copy(pooled.sent, raw, context)
        evidence = store_raw(context.evidence_dir, raw, max_bytes=config.max_eml_bytes)
        return CheckResult(
            channel=CHANNEL,
            outcome=None,
            pending=True,
            started_at=started,
            timings_ms=delivery.timings_ms,
            details={**base, **_delivery_details(delivery), "sent_copy": filed},
            evidence=[evidence.ref("eml_sent")],
        )

    async def _pool(self, settings: Settings) -> _Pooled:
        loop = asyncio.get_running_loop()
        key = _pool_key(settings)
        pooled = self._pooled
        if pooled is None or pooled.loop is not loop or pooled.key != key:
            if pooled is not None and pooled.loop is loop:
                await _close(pooled)
            pooled = _Pooled(
                loop=loop,
                key=key,
                smtp=SmtpSession(settings.smtp, network=settings.network),
                sent=SentFolder(settings),
                lock=asyncio.Lock(),
            )
            self._pooled = pooled
        if pooled.closer is not None:
            pooled.closer.cancel()
        pooled.closer = loop.call_later(POOL_IDLE_SECONDS, _close_soon, pooled)
        return pooled

    async def close(self) -> None:
        """Close pooled connections now (the CLI and tests call this before the loop ends)."""
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            if pooled.closer is not None:
                pooled.closer.cancel()
            await _close(pooled)

    async def resolve_in_flight(
        self, target: ProbeTarget, context: ProbeContext
    ) -> CheckResult | None:
        """After a crash: the probe was accepted if its copy is in the Sent folder (waiting for
        the reply, as if nothing happened); otherwise it provably was not filed: send again.

        The copy is filed right after acceptance, so a crash in those milliseconds reads as
        "not sent" and the organisation gets the question twice (docs/email.md)."""
        from adapters.email.sent import find_sent

        ident = identity_for(target, context.settings)
        if not await find_sent(settings=context.settings, message_id=ident.message_id):
            return None
        return CheckResult(
            channel=CHANNEL,
            outcome=None,
            pending=True,
            started_at=utc_now(),
            details={
                "message_id": ident.message_id,
                "token": ident.token,
                "recipient": target.value,
                "recovered": "found in the Sent folder after a crash",
            },
        )

    def services(
        self, *, engine: Any, settings: Settings, stop: asyncio.Event, sink: ResultSink
    ) -> list[Any]:
        """The watcher and the deadline sweep (SPEC.services; the runner still asks here)."""
        return _services(engine=engine, settings=settings, stop=stop, sink=sink)


def _pool_key(settings: Settings) -> str:
    """Connections are reused only for identical account settings (secrets included, hashed)."""
    parts: list[str] = [settings.network]
    for group in (settings.smtp, settings.imap):
        parts.append(group.model_dump_json())
        secret = group.password.get_secret_value() if group.password else ""
        parts.append(hashlib.sha256(secret.encode()).hexdigest())
    return "|".join(parts)


_closing: set[asyncio.Future[None]] = set()  # a task nobody references may be collected mid-way


def _close_soon(pooled: _Pooled) -> None:
    task = asyncio.ensure_future(_close(pooled))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _close(pooled: _Pooled) -> None:
    async with pooled.lock:
        await pooled.smtp.close()
        await pooled.sent.close()


async def _file_copy(sent: SentFolder, raw: bytes, context: ProbeContext) -> bool:
    try:
        await sent.file(raw)
        return True
    except Exception as error:
        context.log.warning("sent_copy_failed", error=repr(error))
        return False


def _delivery_details(delivery: Delivery) -> dict[str, Any]:
    return {
        "accepted_at": delivery.accepted_at.isoformat(),
        "smtp_reply": delivery.reply,
        "queue_id": delivery.queue_id,
        "deferrals": delivery.deferrals,
        "tls": delivery.tls,
        "reused_connection": delivery.reused_connection,
    }


def _bounced(started: Any, base: dict[str, Any], refusal: RecipientRefused) -> CheckResult:
    reply = f"{refusal.code} {refusal.message}"
    return CheckResult(
        channel=CHANNEL,
        outcome=Outcome.BOUNCED,
        started_at=started,
        finished_at=utc_now(),
        details={
            **base,
            "smtp_reply": reply,
            "bounce": {
                "status": enhanced_status(refusal.message) or f"{str(refusal.code)[0]}.0.0",
                "action": "failed",
                "recipient": base["recipient"],
                "diagnostic": f"smtp; {reply}",
                "phase": refusal.phase,
            },
        },
    )


def _failed(started: Any, base: dict[str, Any], error: OurSideError, outcome: str) -> CheckResult:
    return CheckResult(
        channel=CHANNEL,
        outcome=outcome,
        started_at=started,
        finished_at=utc_now(),
        error_class=error.error_class,
        error_detail=str(error),
        details={**base, "permanent": error.permanent},
    )


def identity(target: ProbeTarget, settings: Settings) -> Identity:
    """The Message-ID and token a check's probe gets (for the runner's crash recovery)."""
    return identity_for(target, settings)


plugin = EmailPlugin()
__all__ = ["EmailPlugin", "EvidenceRef", "identity", "plugin"]

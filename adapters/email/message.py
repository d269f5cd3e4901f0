"""The probe message: its identity (Message-ID and reference token, probe.reference) and its
bytes.

The identity is derived from the check (id, attempt, campaign) with the deployment's secret key,
so the runner can know a probe's Message-ID before it is sent and, after a crash, look it up in
the Sent folder (`find_sent`) instead of sending a second copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from adapters.email.templates import render
from probe.channels import ProbeTarget
from probe.reference import TOKEN_PREFIX, TOKEN_RE, find_token, reference_token
from probe.settings import Settings


@dataclass(frozen=True)
class Identity:
    message_id: str  # with angle brackets
    token: str


def sender_domain(settings: Settings) -> str:
    return settings.smtp.from_address.rpartition("@")[2] or "localhost"


def identity_for(target: ProbeTarget, settings: Settings, *, nonce: str = "") -> Identity:
    """The same check and attempt always get the same identity (a nonce for ad-hoc probes)."""
    seed = f"{target.check_id}.{target.attempt}.{target.campaign_id}.{nonce}"
    token = reference_token(settings, seed)
    local = f"{token.lower()}.{target.check_id}.{target.attempt}"
    return Identity(message_id=f"<{local}@{sender_domain(settings)}>", token=token)


def build_message(
    *,
    settings: Settings,
    identity: Identity,
    recipient: str,
    template: str,
    sender_name: str,
    date: datetime,
) -> EmailMessage:
    subject, body = render(template, token=identity.token, sender_name=sender_name)
    message = EmailMessage()
    message["From"] = formataddr((sender_name, settings.smtp.from_address))
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = identity.message_id
    message.set_content(body, charset="utf-8")
    return message


__all__ = ["TOKEN_PREFIX", "TOKEN_RE", "Identity", "build_message", "find_token", "identity_for"]

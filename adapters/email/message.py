"""The probe message: its identity (Message-ID and reference token) and its bytes.

The identity is derived from the check (id, attempt, campaign) with the deployment's secret key,
so the runner can know a probe's Message-ID before it is sent and, after a crash, look it up in
the Sent folder (`find_sent`) instead of sending a second copy.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from adapters.email.templates import render
from probe.channels import ProbeTarget
from probe.settings import Settings

TOKEN_PREFIX = "PRB-"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: survives being retyped
TOKEN_RE = re.compile(r"\bPRB-([A-HJ-NP-Z2-9]{8})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    message_id: str  # with angle brackets
    token: str


def _digest(settings: Settings, text: str) -> bytes:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _token(digest: bytes) -> str:
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return TOKEN_PREFIX + "".join(chars)


def sender_domain(settings: Settings) -> str:
    return settings.smtp.from_address.rpartition("@")[2] or "localhost"


def identity_for(target: ProbeTarget, settings: Settings, *, nonce: str = "") -> Identity:
    """The same check and attempt always get the same identity (a nonce for ad-hoc probes)."""
    seed = f"{target.check_id}.{target.attempt}.{target.campaign_id}.{nonce}"
    token = _token(_digest(settings, seed))
    local = f"{token.lower()}.{target.check_id}.{target.attempt}"
    return Identity(message_id=f"<{local}@{sender_domain(settings)}>", token=token)


def find_token(text: str) -> str | None:
    # Only the ASCII letters of "PRB-" match it in any case: without them in the lower-cased
    # text there is no token, found without the slower case-insensitive search.
    if "prb-" not in text.lower():
        return None
    match = TOKEN_RE.search(text)
    return TOKEN_PREFIX + match.group(1).upper() if match else None


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

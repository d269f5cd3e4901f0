"""The reference token (`PRB-` + 8 letters) that ties a message to a check, shared by the
channels that wait for an answer by e-mail (a letter, a question submitted through a website's
form): an HMAC of a seed with the deployment's secret key, so the same seed always gives the
same token, and a token read back from any text, in any case."""

from __future__ import annotations

import hashlib
import hmac
import re

from probe.settings import Settings

TOKEN_PREFIX = "PRB-"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: survives being retyped
TOKEN_RE = re.compile(r"\bPRB-([A-HJ-NP-Z2-9]{8})\b", re.IGNORECASE)


def digest(settings: Settings, text: str) -> bytes:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def token_of(data: bytes) -> str:
    number = int.from_bytes(data[:8], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return TOKEN_PREFIX + "".join(chars)


def reference_token(settings: Settings, seed: str) -> str:
    """The token of `seed` (a check's id, attempt and campaign, and what else tells its
    messages apart)."""
    return token_of(digest(settings, seed))


def find_token(text: str) -> str | None:
    # Only the ASCII letters of "PRB-" match it in any case: without them in the lower-cased
    # text there is no token, found without the slower case-insensitive search.
    if "prb-" not in text.lower():
        return None
    match = TOKEN_RE.search(text)
    return TOKEN_PREFIX + match.group(1).upper() if match else None

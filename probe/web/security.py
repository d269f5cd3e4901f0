"""Passwords, signed session cookies, CSRF tokens and the login rate limit."""

from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "probe_session"
SESSION_MAX_AGE_S = 12 * 3600  # one working day; a new login after that
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
@functools.cache
def _dummy_hash() -> str:
    # Made on first use, not at import: argon2 is deliberately slow and the CLI must start fast.
    return _hasher.hash("not-a-real-password")


class PasswordPolicyError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_stamp(password_hash: str) -> str:
    """Changes with the password, so a password change ends every other session."""
    return hmac.new(b"probe-session-stamp", password_hash.encode(), "sha256").hexdigest()[:16]


@dataclass
class WebSession:
    """What the signed cookie carries. `dirty` means it must be sent back."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user_id: int | None = None
    stamp: str = ""
    dirty: bool = False
    # This sign-in's id: logging out records it as ended (storage.users.end_session), so a
    # copy of the signed cookie opens nothing afterwards.
    sid: str = ""

    def login(self, *, user_id: int, stamp: str) -> None:
        # A fresh CSRF token on login: a token planted before login is worthless after it.
        self.csrf = secrets.token_urlsafe(32)
        self.user_id = user_id
        self.stamp = stamp
        self.sid = secrets.token_urlsafe(24)
        self.dirty = True

    def logout(self) -> None:
        self.csrf = secrets.token_urlsafe(32)
        self.user_id = None
        self.stamp = ""
        self.sid = ""
        self.dirty = True

    def csrf_matches(self, token: Any) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf)


class SessionCodec:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="probe-web-session")

    def dumps(self, session: WebSession) -> str:
        data = {"c": session.csrf, "u": session.user_id, "s": session.stamp, "i": session.sid}
        return self._serializer.dumps(data)

    def loads(self, cookie: str | None) -> WebSession:
        """The session in a valid cookie, or a new anonymous one (to be set on the response)."""
        if cookie:
            try:
                data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE_S)
                return WebSession(
                    csrf=str(data["c"]),
                    user_id=data["u"],
                    stamp=str(data["s"]),
                    sid=str(data.get("i") or ""),
                )
            except (BadSignature, KeyError, TypeError):
                pass
        return WebSession(dirty=True)


class LoginThrottle:
    """Failed logins per client address in a sliding window, in memory.

    The per-account lock (AppUser.failed_logins / locked_until) stops guessing one password;
    this stops one address from walking through many usernames. Each failure remembers the
    username it was for, so an administrator's unlock can lift the address limit for that
    account too (`release`).
    """

    def __init__(self, *, limit: int = 20, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[tuple[float, str]]] = {}
        # username -> end of the pass an unlock gave it (time.monotonic)
        self._passes: dict[str, float] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[tuple[float, str]]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0][0] <= now - self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, address: str, username: str = "") -> int:
        """Seconds until this address may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            if self._passes.get(username, 0.0) > now:
                return 0
            failures = self._recent(address, now)
            if len(failures) < self.limit:
                return 0
            return max(1, int(failures[0][0] + self.window_s - now))

    def failed(self, address: str, username: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append((now, username))

    def failing_usernames(self) -> set[str]:
        """The usernames with a failed login still inside the window, at any address."""
        now = time.monotonic()
        with self._lock:
            return {f[1] for a in list(self._failures) for f in self._recent(a, now)}

    def release(self, username: str) -> int:
        """An administrator unlocked `username`: its failures leave every address's count, and
        for one window the address limit does not refuse it (its own account lock still counts
        its wrong passwords), so colleagues' failures behind the same address do not keep it
        out. The number of failures forgotten."""
        now = time.monotonic()
        with self._lock:
            forgotten = 0
            for address, failures in self._failures.items():
                kept = deque(f for f in failures if f[1] != username)
                forgotten += len(failures) - len(kept)
                self._failures[address] = kept
            self._passes = {name: end for name, end in self._passes.items() if end > now}
            self._passes[username] = now + self.window_s
            return forgotten

"""Keyword-only functions for the review UI's accounts and API tokens.

Passwords arrive here already hashed (probe.web.security does the hashing); API tokens are
stored only as a SHA-256 of the token, which is enough for a random 256-bit secret.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from probe.results import utc_now
from storage.audit import write_audit
from storage.models import ApiToken, AppUser, EndedSession

TOKEN_PREFIX = "prb_"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class UserError(ValueError):
    """A refused account change; the message says exactly why."""


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserError(f"unknown role {value!r}; one of: {allowed}") from None


def _check_username(username: str) -> str:
    name = username.strip()
    if not name:
        raise UserError("empty username")
    if len(name) > 100 or any(ch.isspace() for ch in name):
        raise UserError(f"bad username {username!r}: up to 100 characters, no spaces")
    return name


def get_user(*, session: Session, user_id: int) -> AppUser | None:
    return session.get(AppUser, user_id)


def get_user_by_username(*, session: Session, username: str) -> AppUser | None:
    return session.exec(select(AppUser).where(AppUser.username == username.strip())).first()


def list_users(*, session: Session) -> Sequence[AppUser]:
    return session.exec(select(AppUser).order_by(col(AppUser.username))).all()


def _audit_user(
    session: Session,
    user: AppUser,
    *,
    actor: str,
    action: str,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> None:
    write_audit(
        session=session,
        actor=actor,
        action=action,
        entity="user",
        entity_id=str(user.id),
        before=before,
        after=after,
    )


def _public(user: AppUser) -> dict[str, object]:
    return {"username": user.username, "role": user.role, "active": user.active}


def create_user(
    *, session: Session, username: str, password_hash: str, role: str, actor: str
) -> AppUser:
    name = _check_username(username)
    checked_role = _role(role)
    if get_user_by_username(session=session, username=name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = AppUser(username=name, password_hash=password_hash, role=checked_role.value)
    session.add(user)
    session.flush()
    _audit_user(session, user, actor=actor, action="create", before=None, after=_public(user))
    return user


def _clear_lock(session: Session, user: AppUser) -> None:
    """No login lock and no wrong passwords counted: a new password, an unlock, a login."""
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = utc_now()
    session.add(user)


def set_password(*, session: Session, user: AppUser, password_hash: str, actor: str) -> AppUser:
    user.password_hash = password_hash
    _clear_lock(session, user)
    # The hash itself never goes into the audit log.
    _audit_user(
        session,
        user,
        actor=actor,
        action="passwd",
        before=None,
        after={"username": user.username, "password": "changed"},
    )
    return user


def set_active(*, session: Session, user: AppUser, active: bool, actor: str) -> AppUser:
    before = _public(user)
    user.active = active
    user.updated_at = utc_now()
    session.add(user)
    if not active:
        for token in _tokens_of(session=session, user_id=user.id):
            token.revoked = True
            session.add(token)
    _audit_user(
        session,
        user,
        actor=actor,
        action="enable" if active else "disable",
        before=before,
        after=_public(user),
    )
    return user


def _lock_state(user: AppUser) -> dict[str, object]:
    return {
        "username": user.username,
        "failed_logins": user.failed_logins,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


def unlock_user(*, session: Session, user: AppUser, actor: str, address_failures: int = 0) -> bool:
    """An administrator lifts a login lock (and the count of wrong passwords) before it ends by
    itself; `address_failures` is how many of the account's failed logins the caller took off
    its client addresses' limit. False when there was nothing to lift (nothing audited)."""
    locked = user.locked_until is not None and user.locked_until > utc_now()
    if not locked and not user.failed_logins and not address_failures:
        return False
    before = {**_lock_state(user), "address_failures": address_failures}
    _clear_lock(session, user)
    _audit_user(
        session,
        user,
        actor=actor,
        action="unlock",
        before=before,
        after={**_lock_state(user), "address_failures": 0},
    )
    return True


def record_failed_login(
    *, session: Session, user: AppUser, limit: int, lockout: timedelta, now: datetime
) -> AppUser:
    """Count a wrong password; the `limit`-th in a row locks the account for `lockout`."""
    user.failed_logins += 1
    if user.failed_logins >= limit:
        user.locked_until = now + lockout
        user.failed_logins = 0
        _audit_user(
            session,
            user,
            actor="system",
            action="lock",
            before=None,
            after={"username": user.username, "locked_until": user.locked_until.isoformat()},
        )
    session.add(user)
    return user


def record_successful_login(*, session: Session, user: AppUser) -> AppUser:
    if user.failed_logins or user.locked_until is not None:
        _clear_lock(session, user)
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, session: Session, user: AppUser, name: str, actor: str) -> tuple[str, ApiToken]:
    """A new API token: the clear text is returned once and never stored."""
    assert user.id is not None
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(clear))
    session.add(token)
    session.flush()
    write_audit(
        session=session,
        actor=actor,
        action="create",
        entity="api_token",
        entity_id=str(token.id),
        before=None,
        after={"username": user.username, "name": name},
    )
    return clear, token


def _tokens_of(*, session: Session, user_id: int | None) -> Sequence[ApiToken]:
    return session.exec(select(ApiToken).where(ApiToken.user_id == user_id)).all()


def user_for_token(*, session: Session, token: str) -> AppUser | None:
    """The active user a valid, unrevoked token belongs to; None otherwise."""
    found = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if found is None or found.revoked:
        return None
    user = session.get(AppUser, found.user_id)
    if user is None or not user.active:
        return None
    found.last_used_at = utc_now()
    session.add(found)
    return user


def end_session(*, session: Session, sid: str, keep: timedelta) -> None:
    """Record a session ended by logging out; forget those ended longer than `keep` ago (the
    cookie's lifetime: their cookies have expired anyway)."""
    now = utc_now()
    for old in session.exec(select(EndedSession).where(col(EndedSession.ended_at) < now - keep)):
        session.delete(old)
    if session.get(EndedSession, sid) is None:
        session.add(EndedSession(sid=sid, ended_at=now))


def session_ended(*, session: Session, sid: str) -> bool:
    return session.get(EndedSession, sid) is not None

"""What every route needs: the app's state, the signed-in user, role checks, CSRF."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData

from probe.settings import Settings
from probe.web.plan_preview import Previews
from probe.web.security import LoginThrottle, SessionCodec, WebSession, password_stamp
from storage.engine import session_scope
from storage.users import Role, get_user, session_ended, user_for_token

RANK = {Role.VIEWER.value: 0, Role.OPERATOR.value: 1, Role.ADMIN.value: 2}


@dataclass
class WebState:
    settings: Settings
    engine: Engine
    codec: SessionCodec
    throttle: LoginThrottle
    templates: Jinja2Templates
    data_dir: Path
    # Draft campaigns' plan previews, kept between views (probe/web/plan_preview.py).
    previews: Previews = field(default_factory=Previews)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str

    def at_least(self, role: Role) -> bool:
        return RANK.get(self.role, -1) >= RANK[role.value]


class LoginRequired(Exception):
    """A page was asked for without a valid session: the handler redirects to /login."""


class PageError(HTTPException):
    """An error shown to staff as a page, in Russian."""


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def web_session(request: Request) -> WebSession:
    session: WebSession = request.state.web_session
    return session


def session_user(request: Request) -> CurrentUser | None:
    """The signed-in user of this request, or None (no session, or it ended)."""
    session = web_session(request)
    if session.user_id is None:
        return None
    with session_scope(web_state(request).engine) as db:
        user = get_user(session=db, user_id=session.user_id)
        # A disabled account, a changed password or a logout (this sign-in's id recorded as
        # ended; a cookie from before sign-ins had ids has none) ends the session at once.
        if (
            user is None
            or not user.active
            or password_stamp(user.password_hash) != session.stamp
            or not session.sid
            or session_ended(session=db, sid=session.sid)
        ):
            session.logout()
            return None
        assert user.id is not None
        return CurrentUser(id=user.id, username=user.username, role=user.role)


def page_user(request: Request) -> CurrentUser:
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


# Who may, in the refusal: «…доступно только оператору и администратору».
_TO_ROLE = {"viewer": "наблюдателю", "operator": "оператору", "admin": "администратору"}


def _refuse_below(user: CurrentUser, role: Role) -> None:
    if not user.at_least(role):
        allowed = [_TO_ROLE[r] for r, rank in RANK.items() if rank >= RANK[role.value]]
        raise PageError(403, f"Недостаточно прав: действие доступно только {' и '.join(allowed)}.")


def page_operator(user: CurrentUser = Depends(page_user)) -> CurrentUser:
    _refuse_below(user, Role.OPERATOR)
    return user


def page_admin(user: CurrentUser = Depends(page_user)) -> CurrentUser:
    _refuse_below(user, Role.ADMIN)
    return user


async def csrf_form(request: Request) -> FormData:
    """The posted form, only if it carries this session's CSRF token."""
    form = await request.form()
    session = web_session(request)
    if session.user_id is None and request.url.path not in ("/login", "/logout"):
        # Signed out (the session expired) since the page was loaded: sign in again, the input
        # carried over, rather than a misleading "sent from another site".
        raise LoginRequired()
    if not session.csrf_matches(form.get("csrf_token")):
        raise PageError(
            403,
            "Форма устарела или отправлена с другого сайта (неверный CSRF-токен). "
            "Обновите страницу и повторите.",
        )
    return form


_bearer = HTTPBearer(auto_error=False, description="An API token from `probe user token`")


def api_user(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> CurrentUser:
    if credentials is None:
        raise HTTPException(
            401,
            "missing API token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with session_scope(web_state(request).engine) as db:
        user = user_for_token(session=db, token=credentials.credentials)
        if user is None:
            raise HTTPException(
                401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"}
            )
        assert user.id is not None
        return CurrentUser(id=user.id, username=user.username, role=user.role)


def api_operator(user: CurrentUser = Depends(api_user)) -> CurrentUser:
    if not user.at_least(Role.OPERATOR):
        raise HTTPException(403, f"role {user.role!r} may only read; this needs operator or admin")
    return user

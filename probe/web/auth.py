"""Signing in and out. Wrong passwords are counted per account and per client address."""

from __future__ import annotations

import math
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from probe.results import utc_now
from probe.web import actions
from probe.web.deps import CurrentUser, csrf_form, web_session, web_state
from probe.web.pages import Typed, check_response
from probe.web.render import render
from probe.web.security import SESSION_MAX_AGE_S, password_stamp, verify_password
from storage.engine import session_scope
from storage.models import AppUser
from storage.users import (
    end_session,
    get_user_by_username,
    record_failed_login,
    record_successful_login,
)

router = APIRouter(include_in_schema=False)

ACCOUNT_LIMIT = 5  # wrong passwords in a row before the account is locked
ACCOUNT_LOCKOUT = timedelta(minutes=15)
WRONG_CREDENTIALS = "Неверное имя пользователя или пароль."
DISABLED = "Учётная запись отключена. Обратитесь к администратору."


def too_many(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Слишком много неудачных попыток входа. Повторите через {minutes} мин."


def _safe_next(target: object) -> str:
    # Only a path on this site: an open redirect would make a convincing phishing link.
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target if "\\" not in target else "/queue"
    return "/queue"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/queue") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None}, user=None)


def _refused(request: Request, message: str, status: int, target: str) -> Response:
    # A form's input carried over the sign-in (expired_page) survives a mistyped password too.
    context = {"next": target, "error": message, "drafts": getattr(request.state, "drafts", {})}
    return render(request, "login.html", context, user=None, status_code=status)


def _locked_for(user: AppUser | None) -> float:
    if user is None or user.locked_until is None:
        return 0.0
    return max(0.0, (user.locked_until - utc_now()).total_seconds())


@router.post("/login")
def login(request: Request, form: FormData = Depends(csrf_form)) -> Response:
    state = web_state(request)
    target = _safe_next(form.get("next"))
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    request.state.drafts = {
        k: v for k, v in _drafts(form).items() if k.startswith(actions.DRAFT_PREFIX)
    }
    address = request.client.host if request.client else "unknown"
    wait = state.throttle.retry_after(address, username.strip())
    if wait:
        return _refused(request, too_many(wait), 429, target)
    with session_scope(state.engine) as db:
        user = get_user_by_username(session=db, username=username) if username else None
        locked = _locked_for(user)
        if locked:
            return _refused(request, too_many(locked), 429, target)
        if not verify_password(user.password_hash if user else None, password) or user is None:
            state.throttle.failed(address, username.strip())
            if user is not None:
                record_failed_login(
                    session=db,
                    user=user,
                    limit=ACCOUNT_LIMIT,
                    lockout=ACCOUNT_LOCKOUT,
                    now=utc_now(),
                )
                if user.locked_until is not None:
                    return _refused(request, too_many(_locked_for(user)), 429, target)
            return _refused(request, WRONG_CREDENTIALS, 401, target)
        if not user.active:
            return _refused(request, DISABLED, 403, target)
        record_successful_login(session=db, user=user)
        assert user.id is not None
        web_session(request).login(user_id=user.id, stamp=password_stamp(user.password_hash))
        current = CurrentUser(id=user.id, username=user.username, role=user.role)
    return _after_login(request, form, current, target)


EXPIRED = (
    "Сеанс истёк — войдите снова. Введённое в форму не потеряно: после входа оно будет в форме, "
    "проверьте его и отправьте ещё раз."
)
BACK_AGAIN = "Вы снова вошли. Введённое сохранено: проверьте его и отправьте форму ещё раз."


def _drafts(form: FormData) -> dict[str, str]:
    """A form's text input, without its (now worthless) CSRF token."""
    return {
        k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token" and len(k) < 40
    }


def expired_page(request: Request, form: FormData) -> Response:
    """A form posted after the session ended: the login page, carrying the input over."""
    values = _drafts(form)
    found = actions.draft_of(request.url.path, values)
    target = f"/checks/{found[0]}" if found else "/queue"
    drafts = {actions.DRAFT_PREFIX + k: v for k, v in values.items()} if found else {}
    if found:
        drafts[actions.DRAFT_PREFIX + "action"] = request.url.path
    error = EXPIRED if found else "Сеанс истёк — войдите снова."
    context = {"next": target, "error": error, "drafts": drafts}
    return render(request, "login.html", context, user=None, status_code=401)


def _after_login(request: Request, form: FormData, user: CurrentUser, target: str) -> Response:
    """Back to `target`, or to the check page with the input carried over a new sign-in."""
    prefix = actions.DRAFT_PREFIX
    values = {k[len(prefix) :]: v for k, v in _drafts(form).items() if k.startswith(prefix)}
    action = values.pop("action", "")
    found = actions.draft_of(action, values) if action else None
    if found is None:
        return RedirectResponse(target, status_code=303)
    typed = Typed(found[1], values, notice=BACK_AGAIN)
    return check_response(request, found[0], user, typed=typed)


@router.post("/logout")
def logout(request: Request, form: FormData = Depends(csrf_form)) -> Response:
    session = web_session(request)
    if session.sid:  # the cookie is signed, not stored: record its end, or a copy still works
        with session_scope(web_state(request).engine) as db:
            end_session(session=db, sid=session.sid, keep=timedelta(seconds=SESSION_MAX_AGE_S))
    session.logout()
    return RedirectResponse("/login", status_code=303)

"""Administration (accounts) and the export buttons; a campaign's status changes only through
its lifecycle (probe/web/campaign_pages.py)."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from probe.results import utc_now
from probe.web.audit import display_zone
from probe.web.deps import CurrentUser, PageError, csrf_form, page_admin, page_user, web_state
from probe.web.filters import MAX_ID
from probe.web.render import render
from probe.web.security import PasswordPolicyError, hash_password
from storage.engine import session_scope
from storage.models import AppUser, Campaign
from storage.users import (
    UserError,
    create_user,
    get_user,
    list_users,
    set_active,
    set_password,
    unlock_user,
)

router = APIRouter(include_in_schema=False)
USER_MESSAGES = {
    "disabled": "Учётная запись {} отключена: её сеансы завершены, API-токены отозваны.",
    "enabled": "Учётная запись {} включена.",
    "unlocked": "Вход для {} разблокирован: счётчик неудачных попыток сброшен.",
}
EXPORT_FORMATS = ("xlsx", "csv", "json")
_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _password_hash(form: FormData) -> str:
    try:
        return hash_password(_field(form, "password"))
    except PasswordPolicyError:
        raise PageError(400, "Пароль слишком короткий: не менее 10 символов.") from None


def _account(db: Session, user_id: int) -> AppUser:
    account = get_user(session=db, user_id=user_id) if 1 <= user_id <= MAX_ID else None
    if account is None:
        raise PageError(404, "Пользователь не найден.")
    return account


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: CurrentUser = Depends(page_admin)) -> Response:
    state = web_state(request)
    with session_scope(state.engine) as db:
        accounts = list_users(session=db)
        zone = display_zone(db)
    now = utc_now()
    locked = {a.id for a in accounts if a.locked_until is not None and a.locked_until > now}
    failing = state.throttle.failing_usernames()
    throttled = {a.id for a in accounts if a.username in failing}
    context = {
        "accounts": accounts,
        "locked": locked,
        "throttled": throttled,
        "messages": USER_MESSAGES,
        "zone": zone,
    }
    return render(request, "users.html", context, user=user)


@router.post("/users")
def add_user(
    request: Request, form: FormData = Depends(csrf_form), user: CurrentUser = Depends(page_admin)
) -> Response:
    password_hash = _password_hash(form)
    try:
        with session_scope(web_state(request).engine) as db:
            create_user(
                session=db,
                username=_field(form, "username"),
                password_hash=password_hash,
                role=_field(form, "role"),
                actor=user.username,
            )
    except UserError as error:
        raise PageError(400, f"Пользователь не создан: {error}.") from None
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/active")
def toggle_user(
    request: Request,
    user_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_admin),
) -> Response:
    active = _field(form, "active") == "1"
    if user_id == user.id and not active:
        raise PageError(400, "Нельзя отключить собственную учётную запись.")
    with session_scope(web_state(request).engine) as db:
        account = _account(db, user_id)
        if not active and _field(form, "confirm") != "1":
            # Disabling ends the account's sessions and revokes its tokens: asked once more.
            context = {"account": account}
            return render(request, "user_disable.html", context, user=user)
        set_active(session=db, user=account, active=active, actor=user.username)
        done = "disabled" if not active else "enabled"
    return RedirectResponse(f"/users?msg={done}&who={account.username}", status_code=303)


@router.post("/users/{user_id}/unlock")
def unlock(
    request: Request,
    user_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_admin),
) -> Response:
    state = web_state(request)
    with session_scope(state.engine) as db:
        account = _account(db, user_id)
        # The client addresses' limit too, or the account stays refused after its unlock.
        forgotten = state.throttle.release(account.username)
        unlock_user(session=db, user=account, actor=user.username, address_failures=forgotten)
    return RedirectResponse(f"/users?msg=unlocked&who={account.username}", status_code=303)


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    user_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_admin),
) -> Response:
    password_hash = _password_hash(form)
    with session_scope(web_state(request).engine) as db:
        account = _account(db, user_id)
        set_password(session=db, user=account, password_hash=password_hash, actor=user.username)
    return RedirectResponse("/users", status_code=303)


def _exporter() -> object | None:
    # The exporter is another part of the project; until it is installed the button says so.
    try:
        module = importlib.import_module("probe.export")
    except ImportError:
        return None
    return getattr(module, "export_campaign", None)


@router.get("/campaigns/{campaign_id}/export")
def export(
    request: Request, campaign_id: int, fmt: str = "xlsx", user: CurrentUser = Depends(page_user)
) -> Response:
    if fmt not in EXPORT_FORMATS:
        raise PageError(400, f"Неизвестный формат выгрузки: «{fmt}». Доступны: xlsx, csv, json.")
    state = web_state(request)
    with session_scope(state.engine) as db:
        campaign = db.get(Campaign, campaign_id) if 1 <= campaign_id <= MAX_ID else None
    if campaign is None:
        raise PageError(404, "Кампания не найдена.")
    export_campaign = _exporter()
    if not callable(export_campaign):
        raise PageError(
            501, "Выгрузка пока недоступна: модуль экспорта протоколов ещё не установлен."
        )
    workdir = Path(tempfile.mkdtemp(prefix="probe-export-"))
    out = workdir / f"{campaign.name}.{fmt}"
    export_campaign(engine=state.engine, campaign=campaign.name, fmt=fmt, out=out)
    return FileResponse(
        out,
        media_type=_MEDIA[fmt],
        filename=out.name,
        background=BackgroundTask(_remove, workdir),
    )


def _remove(directory: Path) -> None:
    for path in directory.iterdir():
        path.unlink(missing_ok=True)
    directory.rmdir()

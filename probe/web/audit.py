"""The audit log page: who changed what and when, filtered by user, action, object and date.

Every signed-in role may read it (a viewer reads every page: the ministry's supervisor checks
the operators' work); nothing here changes anything. Times are shown in one zone, named once:
the zone most of the directory's organisations are in (the ministry's), else UTC.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from probe.web import labels
from probe.web.deps import CurrentUser, PageError, page_user, web_state
from probe.web.filters import FilterError, page_position
from probe.web.render import render
from storage.audit import AuditFilter, audit_page, audit_values
from storage.engine import session_scope
from storage.models import Organisation

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

ACTIONS = {
    "review": "оценка или решение по проверке",
    "requeue": "повторная проверка",
    "correct_wrong": "контакт исправлен (неверный)",
    "correct_outdated": "контакт исправлен (устарел)",
    "add_contact": "контакт добавлен оператором",
    "reactivate_contact": "контакт снова действует: оператор ввёл его повторно",
    "create": "создание",
    "update": "изменение",
    "deactivate": "отключение",
    "passwd": "смена пароля",
    "disable": "учётная запись отключена",
    "enable": "учётная запись включена",
    "lock": "вход заблокирован после неудачных попыток",
    "unlock": "вход разблокирован администратором",
    "campaign_status": "смена состояния кампании",
    "start": "запуск кампании",
    "pause": "пауза кампании",
    "resume": "возобновление кампании",
    "cancel": "отмена кампании",
    "finish": "кампания завершена",
    "reopen": "кампания возобновлена для повторов",
    "hold_shared": "контакт задержан: указан и другой организацией",
    "confirm_shared": "общий контакт подтверждён",
    "alert": "сбой на нашей стороне: отправка приостановлена",
    "alert_cleared": "сбой на нашей стороне устранён",
    "control_call": "контрольный вызов",
    "control_result": "итог контрольного вызова",
    "import": "импорт справочника",
}
ENTITIES = {
    "check": "проверка",
    "contact": "контакт",
    "organisation": "организация",
    "campaign": "кампания",
    "user": "пользователь",
    "api_token": "API-токен",
    "channel": "канал",
    "directory": "справочник",
}
_LINKS = {"check": "/checks/{}", "organisation": "/organisations/{}"}


def display_zone(db: Session) -> str:
    """The zone most organisations are in (the ministry's region), else UTC."""
    found = db.exec(
        select(Organisation.timezone)
        .group_by(col(Organisation.timezone))
        .order_by(func.count().desc(), col(Organisation.timezone))
        .limit(1)
    ).first()
    try:
        ZoneInfo(found or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return found or "UTC"


def zone_title(zone: str) -> str:
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta()
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    sign = "+" if offset >= timedelta() else "-"
    text = f"UTC{sign}{abs(hours)}" + (f":{rest:02d}" if rest else "")
    return zone if zone == "UTC" else f"{zone}, {text}"


def _day(text: str, what: str) -> date | None:
    """A day typed as ДД.ММ.ГГГГ (or ГГГГ-ММ-ДД)."""
    text = text.strip()
    if not text:
        return None
    try:
        if "." in text:
            return datetime.strptime(text, "%d.%m.%Y").date()
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(400, f"Неверная дата «{what}»: «{text}» (нужно ДД.ММ.ГГГГ).") from None


KEYS = {
    "status": "состояние",
    "field": "графа",
    "value": "значение",
    "reason": "причина",
    "username": "пользователь",
    "role": "роль",
    "active": "действует",
    "password": "пароль",
    "failed_logins": "неудачных входов подряд",
    "locked_until": "вход заблокирован до",
    "address_failures": "неудачных входов, учтённых по адресу",
    "name": "название",
    "new_contact_id": "новый контакт",
    "raw": "как опубликовано",
    "message": "сообщение",
}


def _value(key: str, value: object, row: dict[str, Any], tz: ZoneInfo) -> str:
    """One recorded value as staff read it: Russian words for the stored codes."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if key == "status" and isinstance(value, str):
        return labels.label(labels.CAMPAIGN_STATUSES, value)
    if key == "field" and isinstance(value, str):
        return labels.label(labels.FIELDS, value)
    if key == "role" and isinstance(value, str):
        return labels.label(labels.ROLES, value)
    if key == "value" and isinstance(value, str) and isinstance(row.get("field"), str):
        return labels.review_value(row["field"], value)
    if key == "password" and value == "changed":
        return "изменён"
    if key == "locked_until" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")
        except ValueError:
            return value
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _changes(row: Any, tz: ZoneInfo) -> list[tuple[str, str, str]]:
    """(what, before, after) for each value the row records, in Russian where the code is
    known (a password is never stored)."""
    before, after = row.before or {}, row.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return [
        (
            KEYS.get(k, k),
            _value(k, before.get(k), before, tz) if k in before else "",
            _value(k, after.get(k), after, tz) if k in after else "—",
        )
        for k in keys
    ]


def _nonempty(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v.strip()}


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    actor: str = "",
    action: str = "",
    entity: str = "",
    entity_id: str = "",
    since: str = "",
    until: str = "",
    after: str = "",
    before: str = "",
    user: CurrentUser = Depends(page_user),
) -> Response:
    start, end = _day(since, "с"), _day(until, "по")
    if start and end and end < start:
        raise PageError(400, "Дата «по» раньше даты «с».")
    try:
        after_id, before_id = page_position(after), page_position(before)
    except FilterError as error:
        raise PageError(400, str(error)) from None
    with session_scope(web_state(request).engine) as db:
        zone = display_zone(db)
        tz = ZoneInfo(zone)
        filters = AuditFilter(
            actor=actor.strip() or None,
            action=action.strip() or None,
            entity=entity.strip() or None,
            entity_id=entity_id.strip() or None,
            since=datetime.combine(start, time(), tz) if start else None,
            until=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
        )
        page = audit_page(
            session=db, filters=filters, after=after_id, before=before_id,
            limit=PAGE_SIZE,
        )  # fmt: skip
        actors, actions, entities = audit_values(session=db)
    query = {
        "actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
        "since": since, "until": until,
    }  # fmt: skip
    context = {
        "page": page,
        "query": query,
        "actors": actors,
        "actions": actions,
        "entities": entities,
        "action_names": ACTIONS,
        "entity_names": ENTITIES,
        "links": _LINKS,
        "zone": zone,
        "zone_title": zone_title(zone),
        "changes": lambda row: _changes(row, tz),
        "when": lambda instant: instant.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S"),
        "first_page": after.strip() == "" and before.strip() == "",
        "link": lambda **extra: "/audit?" + urlencode({**_nonempty(query), **extra}),
    }
    return render(request, "audit.html", context, user=user)

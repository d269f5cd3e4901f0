"""The review flow around the queue: take a check «в работу», move on to the next one, confirm
several failures at once. Operators and admins; the queue's filters ride along (`queue`)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from probe.web import operations
from probe.web.deps import CurrentUser, PageError, csrf_form, page_operator, web_state
from probe.web.filters import MAX_ID, FilterError, QueueQuery
from storage.engine import session_scope
from storage.models import Check
from storage.review_claims import (
    ClaimedByAnother,
    claim_check,
    claim_next,
    release_check,
)
from storage.review_queue import QueueFilter

router = APIRouter(include_in_schema=False)
MAX_BULK = 200  # one queue page at most


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _queue(form: FormData) -> tuple[QueueQuery, QueueFilter]:
    query = QueueQuery.parse(_field(form, "queue"))
    try:
        return query, query.to_filter()
    except FilterError as error:
        raise PageError(400, str(error)) from None


def check_link(check_id: int, query: QueueQuery, **params: str | int) -> str:
    """A check page kept in the queue's context (its filters for «Следующая»)."""
    values = {**params, "queue": query.encoded()}
    qs = urlencode({k: v for k, v in values.items() if v not in ("", None)})
    return f"/checks/{check_id}" + (f"?{qs}" if qs else "")


def _queue_link(query: QueueQuery, **params: str | int) -> str:
    link = query.link()
    extra = urlencode(params)
    return link + ("&" if not link.endswith("?") else "") + extra if extra else link


def next_response(
    request: Request, user: CurrentUser, query: QueueQuery, current: int | None, msg: str = ""
) -> Response:
    """Claim the next free check of the queue for `user` and open it, else back to the queue
    with «нет свободных». `current`: the check the operator leaves (their claim on it ends)."""
    try:
        filters = query.to_filter()
    except FilterError as error:
        raise PageError(400, str(error)) from None
    with session_scope(web_state(request).engine) as db:
        if current is not None:
            release_check(session=db, check_id=current, username=user.username)
        found = claim_next(session=db, filters=filters, username=user.username, current=current)
    if found is None:
        return RedirectResponse(_queue_link(query, msg="queue_empty"), status_code=303)
    params = {"msg": msg} if msg else {}
    return RedirectResponse(check_link(found, query, **params), status_code=303)


def _check_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_ID else None


@router.post("/queue/next")
def take_next(
    request: Request,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    query, _ = _queue(form)
    return next_response(request, user, query, _check_id(_field(form, "from")), msg="claimed")


@router.post("/checks/{check_id}/claim")
def claim(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    query, _ = _queue(form)
    if _check_id(str(check_id)) is None:
        raise PageError(404, "Проверка не найдена.")
    with session_scope(web_state(request).engine) as db:
        if db.get(Check, check_id) is None:
            raise PageError(404, "Проверка не найдена.")
        try:
            claim_check(session=db, check_id=check_id, username=user.username)
        except ClaimedByAnother as held:
            raise PageError(409, operations.claimed_message(held)) from None
    return RedirectResponse(check_link(check_id, query, msg="claimed"), status_code=303)


@router.post("/checks/{check_id}/release")
def release(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    query, _ = _queue(form)
    with session_scope(web_state(request).engine) as db:
        release_check(session=db, check_id=check_id, username=user.username)
    return RedirectResponse(_queue_link(query, msg="released"), status_code=303)


@router.post("/queue/confirm")
def bulk_confirm(
    request: Request,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    """Confirm the automatic outcome of the selected failures, one reason for all; each is
    saved (and audited) on its own, a refused one (claimed by another, judged meanwhile) is
    listed, not fatal."""
    query, _ = _queue(form)
    ids = sorted({i for v in form.getlist("check") if (i := _check_id(str(v))) is not None})
    if not ids:
        raise PageError(400, "Отметьте в очереди хотя бы одну проверку.")
    if len(ids) > MAX_BULK:
        raise PageError(400, f"Слишком много проверок за раз: не более {MAX_BULK}.")
    try:
        reason = operations.reason_text(_field(form, "reason"))
    except operations.ActionError as error:
        raise PageError(400, error.message) from None
    confirmed: list[int] = []
    skipped: list[int] = []
    for check_id in ids:
        try:
            operations.confirm_failure(
                engine=web_state(request).engine, user=user, check_id=check_id, reason=reason
            )
            confirmed.append(check_id)
        except operations.ActionError:
            skipped.append(check_id)
    params: dict[str, str | int] = {"confirmed": len(confirmed)}
    if skipped:
        params["skipped"] = ",".join(map(str, skipped))
    return RedirectResponse(_queue_link(query, **params), status_code=303)

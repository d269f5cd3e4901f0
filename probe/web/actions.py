"""The check page's forms: judgements, verdicts, re-queueing, contact corrections, export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from probe.web import operations
from probe.web.deps import CurrentUser, PageError, csrf_form, page_operator, web_state
from probe.web.filters import MAX_ID

router = APIRouter(include_in_schema=False)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _id(value: int, what: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageError(404, f"{what} не найден(а).")
    return value


def _back(check_id: int, message: str) -> Response:
    return RedirectResponse(f"/checks/{check_id}?msg={message}#actions", status_code=303)


@router.post("/checks/{check_id}/review")
def review(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(check_id, "Проверка")
    try:
        operations.review(
            engine=web_state(request).engine,
            user=user,
            check_id=check_id,
            field=_field(form, "field"),
            value=_field(form, "value"),
            reason=_field(form, "reason"),
        )
    except operations.ActionError as error:
        raise PageError(error.status, error.message) from None
    return _back(check_id, "saved")


@router.post("/checks/{check_id}/verdict")
def verdict(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(check_id, "Проверка")
    try:
        operations.verdict(
            engine=web_state(request).engine,
            user=user,
            check_id=check_id,
            value=_field(form, "value"),
            reason=_field(form, "reason"),
        )
    except operations.ActionError as error:
        raise PageError(error.status, error.message) from None
    return _back(check_id, "verdict")


@router.post("/checks/{check_id}/requeue")
def requeue(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(check_id, "Проверка")
    try:
        new_id = operations.requeue(
            engine=web_state(request).engine,
            user=user,
            check_id=check_id,
            reason=_field(form, "reason"),
        )
    except operations.ActionError as error:
        raise PageError(error.status, error.message) from None
    return RedirectResponse(f"/checks/{check_id}?msg=requeued&new={new_id}", status_code=303)


@router.post("/contacts/{contact_id}/correct")
def correct(
    request: Request,
    contact_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(contact_id, "Контакт")
    try:
        operations.correct(
            engine=web_state(request).engine,
            user=user,
            contact_id=contact_id,
            kind=_field(form, "kind"),
            raw=_field(form, "raw"),
            reason=_field(form, "reason"),
        )
    except operations.ActionError as error:
        raise PageError(error.status, error.message) from None
    back = _field(form, "back")
    if back.isdigit() and 1 <= int(back) <= MAX_ID:
        return _back(int(back), "corrected")
    return RedirectResponse("/queue", status_code=303)

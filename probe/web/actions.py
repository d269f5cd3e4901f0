"""The check page's forms: judgements, verdicts, re-queueing, contact corrections, export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from probe.web import operations
from probe.web.deps import CurrentUser, PageError, csrf_form, page_operator, web_state
from probe.web.filters import MAX_ID

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _fields(form: FormData, *names: str) -> dict[str, str]:
    return {name: _field(form, name) for name in names}


def _perform(request: Request, action: Callable[..., T], **arguments: Any) -> T:
    """Run one operation for the page; its refusal becomes the page's error, word for word."""
    try:
        return action(engine=web_state(request).engine, **arguments)
    except operations.ActionError as error:
        raise PageError(error.status, error.message) from None


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
    fields = _fields(form, "field", "value", "reason")
    persons = [p for p in form.getlist("person") if isinstance(p, str)]
    if fields["field"] == "etiquette" and persons:
        # The etiquette form has one choice per person who answered, in the order they did.
        fields["value"] = ",".join(persons)
    _perform(request, operations.review, user=user, check_id=check_id, **fields)
    return _back(check_id, "saved")


@router.post("/checks/{check_id}/verdict")
def verdict(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(check_id, "Проверка")
    _perform(
        request,
        operations.verdict,
        user=user,
        check_id=check_id,
        **_fields(form, "value", "reason"),
    )
    return _back(check_id, "verdict")


@router.post("/checks/{check_id}/requeue")
def requeue(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(check_id, "Проверка")
    new_id = _perform(
        request, operations.requeue, user=user, check_id=check_id, **_fields(form, "reason")
    )
    return RedirectResponse(f"/checks/{check_id}?msg=requeued&new={new_id}", status_code=303)


@router.post("/contacts/{contact_id}/correct")
def correct(
    request: Request,
    contact_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(contact_id, "Контакт")
    _perform(
        request,
        operations.correct,
        user=user,
        contact_id=contact_id,
        **_fields(form, "kind", "raw", "reason"),
    )
    back = _field(form, "back")
    if back.isdigit() and 1 <= int(back) <= MAX_ID:
        return _back(int(back), "corrected")
    return RedirectResponse("/queue", status_code=303)

"""The check page's forms: judgements, verdicts, re-queueing, contact corrections, export."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from probe.web import operations
from probe.web.deps import (
    CurrentUser,
    PageError,
    csrf_form,
    page_operator,
    page_user,
    web_state,
)
from probe.web.filters import MAX_ID, QueueQuery
from probe.web.pages import Typed, check_response
from probe.web.review_flow import check_link, next_response

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _fields(form: FormData, *names: str) -> dict[str, str]:
    return {name: _field(form, name) for name in names}


class Refused(Exception):
    """A check-page form refused: the page is shown again with the message and the input."""

    def __init__(self, check_id: int, typed: Typed) -> None:
        self.check_id = check_id
        self.typed = typed


def _perform(
    request: Request,
    action: Callable[..., T],
    *,
    page: tuple[int, str, dict[str, str]] | None = None,
    **arguments: Any,
) -> T:
    """Run one operation for the page. Its refusal is shown word for word: on the check page
    (`page`: the check, the form's id, the input), with the form filled in again, else as an
    error page."""
    try:
        return action(engine=web_state(request).engine, **arguments)
    except operations.ActionError as error:
        if page is not None and error.status in (400, 409):
            check_id, form_id, values = page
            raise Refused(check_id, Typed(form_id, values, error=error.message)) from None
        raise PageError(error.status, error.message) from None


def refused_page(request: Request, refused: Refused) -> Response:
    user = page_user(request)
    return check_response(request, refused.check_id, user, typed=refused.typed)


def _id(value: int, what: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageError(404, f"{what} не найден(а).")
    return value


_CHECK_FORM = re.compile(r"/checks/(\d{1,12})/(review|verdict|requeue)")
_CORRECT_FORM = re.compile(r"/contacts/\d{1,12}/correct")
DRAFT_PREFIX = "draft_"  # the login form carries a form's input over a new sign-in


def draft_of(action: str, values: dict[str, str]) -> tuple[int, str] | None:
    """The check page and form an input posted to `action` belongs to, or None."""
    found = _CHECK_FORM.fullmatch(action)
    if found is not None:
        kind = found.group(2)
        form_id = f"form-{values.get('field', '')}" if kind == "review" else f"form-{kind}"
        check_id = int(found.group(1))
    elif _CORRECT_FORM.fullmatch(action) and values.get("back", "").isdigit():
        form_id, check_id = "form-correct", int(values["back"])
    else:
        return None
    return (check_id, form_id) if 1 <= check_id <= MAX_ID else None


def _back(check_id: int, message: str, form: FormData | None = None) -> Response:
    query = QueueQuery.parse(_field(form, "queue") if form is not None else "")
    return RedirectResponse(check_link(check_id, query, msg=message) + "#actions", status_code=303)


def _then(
    request: Request, form: FormData, user: CurrentUser, check_id: int, message: str
) -> Response:
    """After a save: back to the check, or («Сохранить и к следующей») on to the next free
    check of the queue the operator came from."""
    if _field(form, "then") == "next":
        query = QueueQuery.parse(_field(form, "queue"))
        return next_response(request, user, query, check_id, msg=f"{message}_next")
    return _back(check_id, message, form)


def _on_check(
    request: Request,
    user: CurrentUser,
    check_id: int,
    action: Callable[..., T],
    form_id: str,
    fields: dict[str, str],
) -> T:
    """One check-page form's operation on its check; a refusal redraws that form (`form_id`)
    with the message and the input."""
    _id(check_id, "Проверка")
    page = (check_id, form_id, fields)
    return _perform(request, action, page=page, user=user, check_id=check_id, **fields)


@router.post("/checks/{check_id}/review")
def review(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    fields = _fields(form, "field", "value", "reason")
    persons = [p for p in form.getlist("person") if isinstance(p, str)]
    if fields["field"] == "etiquette" and persons:
        # The etiquette form has one choice per person who answered, in the order they did.
        fields["value"] = ",".join(persons)
    _on_check(request, user, check_id, operations.review, f"form-{fields['field']}", fields)
    return _then(request, form, user, check_id, "saved")


@router.post("/checks/{check_id}/verdict")
def verdict(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    fields = _fields(form, "value", "reason")
    _on_check(request, user, check_id, operations.verdict, "form-verdict", fields)
    return _then(request, form, user, check_id, "verdict")


@router.post("/checks/{check_id}/requeue")
def requeue(
    request: Request,
    check_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    fields = _fields(form, "reason")
    new_id = _on_check(request, user, check_id, operations.requeue, "form-requeue", fields)
    query = QueueQuery.parse(_field(form, "queue"))
    link = check_link(check_id, query, msg="requeued", new=new_id)
    return RedirectResponse(link, status_code=303)


@router.post("/contacts/{contact_id}/correct")
def correct(
    request: Request,
    contact_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    _id(contact_id, "Контакт")
    fields = _fields(form, "kind", "raw", "reason")
    back = _field(form, "back")
    check_id = int(back) if back.isdigit() and 1 <= int(back) <= MAX_ID else None
    page = (check_id, "form-correct", fields) if check_id is not None else None
    entered = _perform(
        request, operations.correct, page=page, user=user, contact_id=contact_id, **fields
    )
    if check_id is not None:
        return _back(check_id, "corrected_back" if entered.reactivated else "corrected", form)
    return RedirectResponse("/queue", status_code=303)

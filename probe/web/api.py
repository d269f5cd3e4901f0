"""The JSON API under /api/: the same data as the pages, for scripts, with bearer tokens.

Reading needs any active account's token; changing needs an operator's or an admin's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from probe.channels import available_channels, outcome_labels
from probe.directory.reasons import held_english
from probe.web import operations
from probe.web.deps import CurrentUser, api_operator, api_user, web_state
from probe.web.filters import MAX_AGE_DAYS, MAX_ID, api_filter
from storage.directory import list_contacts
from storage.engine import session_scope
from storage.models import Check, Contact, Organisation, ReviewClaim
from storage.review_claims import (
    ClaimedByAnother,
    claim_check,
    claim_next,
    current_claim,
    release_check,
)
from storage.review_queue import (
    MAX_PAGE,
    CampaignProgress,
    QueueFilter,
    QueueRow,
    campaign_progress,
    check_detail,
    organisation_checks,
    review_queue,
)

router = APIRouter(prefix="/api", tags=["review"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _clean(text: str) -> str:
    # Text the database can store on every backend: PostgreSQL refuses NUL characters.
    if "\x00" in text:
        raise ValueError("NUL characters are not allowed")
    text.encode("utf-8")  # lone surrogates raise here, as a validation error
    return text


Text = Annotated[str, Field(max_length=operations.MAX_TEXT), AfterValidator(_clean)]


def _registered(names: Callable[[], Iterable[str]], what: str) -> Callable[[str], str]:
    """A query value that must be one of the registry's names (checked at request time: a
    channel may be registered after the app is built)."""

    def check(value: str) -> str:
        known = sorted(names())
        if value not in known:
            raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(known)}")
        return value

    return check


ChannelName = Annotated[
    str, Query(max_length=50), AfterValidator(_registered(available_channels, "channel"))
]
OutcomeName = Annotated[
    str, Query(max_length=50), AfterValidator(_registered(outcome_labels, "outcome"))
]


class Me(BaseModel):
    username: str
    role: str


class ContactOut(BaseModel):
    id: int
    channel: str
    raw: str
    value: str | None
    extension: str | None
    label: str | None
    active: bool
    superseded_by_id: int | None
    # Not called until an operator confirms it: why, in English (another organisation publishes
    # it too), and the reason's code ("shared", probe/directory/reasons.py HELD).
    held: str | None = None
    held_code: str | None = None


class CheckOut(BaseModel):
    id: int
    campaign_id: int | None
    organisation_id: int
    contact_id: int
    channel: str
    status: str
    outcome: str | None
    attempt: int
    planned_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    timings_ms: dict[str, float]
    error_class: str | None
    details: dict[str, Any]
    evidence: list[dict[str, Any]]


class ClaimOut(BaseModel):
    """An operator working on the check now («в работе»): nobody else may save on it until
    `expires_at` (each save by its holder renews it)."""

    username: str
    claimed_at: datetime
    expires_at: datetime


class QueueItem(BaseModel):
    check: CheckOut
    organisation_name: str
    region: str
    contact: ContactOut
    campaign_name: str | None
    needs: list[str]
    claim: ClaimOut | None = None


class QueuePageOut(BaseModel):
    items: list[QueueItem]
    next_after: int | None = Field(description="pass as `after` for the next page")


class CampaignOut(BaseModel):
    id: int
    name: str
    title: str
    status: str
    total: int
    done: int
    in_flight: int
    waiting: int
    planned: int
    failed: int
    by_channel: dict[str, dict[str, int]]
    by_outcome: dict[str, int]


class EventOut(BaseModel):
    at: datetime
    kind: str
    message: str
    data: dict[str, Any]


class ReviewOut(BaseModel):
    field: str
    value: str
    reason: str
    author: str
    created_at: datetime


class MessageOut(BaseModel):
    id: int
    from_address: str | None
    subject: str
    received_at: datetime | None
    kind: str


class CheckDetailOut(BaseModel):
    check: CheckOut
    organisation_name: str
    contact: ContactOut
    events: list[EventOut]
    reviews: list[ReviewOut]
    messages: list[MessageOut]
    needs: list[str]
    claim: ClaimOut | None = None


class OrganisationOut(BaseModel):
    id: int
    name: str
    short_name: str
    region: str
    timezone: str
    contacts: list[ContactOut]
    checks: list[CheckOut]


class ReviewIn(BaseModel):
    field: Literal["etiquette", "transfers", "grade", "call_note", "note"]
    value: Text
    reason: Text = ""


class VerdictIn(BaseModel):
    value: Annotated[str, Field(max_length=40, description="'confirmed' or an outcome")]
    reason: Text


class RequeueIn(BaseModel):
    reason: Text


class CorrectionIn(BaseModel):
    kind: Literal["wrong", "outdated"]
    raw: Text = Field(description="the corrected number or address, as an operator writes it")
    reason: Text = ""


class ContactIn(BaseModel):
    kind: str = Field(
        max_length=50, description="a registered contact kind: phone, email, website, ..."
    )
    raw: Text = Field(description="the contact as published or as an operator writes it")
    reason: Text = Field("", description="where it is known from")


class Done(BaseModel):
    ok: bool = True
    new_id: int | None = None


class ContactDone(Done):
    reactivated: bool = Field(
        description="true: the organisation had this contact (replaced or switched off); "
        "it is switched back on, new_id is its number"
    )


class NextOut(BaseModel):
    check_id: int | None = Field(description="the check now claimed for you; null: none free")


def _check_out(check: Check) -> CheckOut:
    return CheckOut.model_validate(check, from_attributes=True)


def _contact_out(contact: Contact) -> ContactOut:
    out = ContactOut.model_validate(contact, from_attributes=True)
    if contact.held is None:
        return out
    why = held_english(contact.held, contact.held_values)
    return out.model_copy(update={"held": why, "held_code": contact.held})


def _claim_out(claim: ReviewClaim | None) -> ClaimOut | None:
    return ClaimOut.model_validate(claim, from_attributes=True) if claim is not None else None


def _queue_item(row: QueueRow) -> QueueItem:
    return QueueItem(
        check=_check_out(row.check),
        organisation_name=row.organisation.name,
        region=row.organisation.region,
        contact=_contact_out(row.contact),
        campaign_name=row.campaign.name if row.campaign else None,
        needs=row.needs,
        claim=_claim_out(row.claim),
    )


def _campaign_out(item: CampaignProgress) -> CampaignOut:
    c = item.campaign
    assert c.id is not None
    return CampaignOut(
        id=c.id,
        name=c.name,
        title=c.title,
        status=c.status,
        total=item.total,
        done=item.done,
        in_flight=item.in_flight,
        waiting=item.waiting,
        planned=item.planned,
        failed=item.failed,
        by_channel={k: dict(v) for k, v in item.by_channel.items()},
        by_outcome=dict(item.by_outcome),
    )


@router.get("/me")
def me(user: CurrentUser = Depends(api_user)) -> Me:
    return Me(username=user.username, role=user.role)


@router.get("/campaigns")
def campaigns(request: Request, user: CurrentUser = Depends(api_user)) -> list[CampaignOut]:
    with session_scope(web_state(request).engine) as db:
        return [_campaign_out(item) for item in campaign_progress(session=db)]


_CHANGE: dict[int | str, dict[str, Any]] = {
    400: {"description": "refused input, with the exact reason"},
    403: {"description": "the token's role may only read"},
    404: {"description": "not found"},
    409: {"description": "another operator has the check «в работе» (its `claim`)"},
}


def _queue_filter(
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    region: Annotated[str | None, Query(max_length=50, pattern=r"^[a-z0-9-]+$")] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    channel: ChannelName | None = None,
    outcome: OutcomeName | None = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=MAX_AGE_DAYS)] = None,
    max_age_days: Annotated[int | None, Query(ge=0, le=MAX_AGE_DAYS)] = None,
    order: Literal["new", "old"] = "new",
) -> QueueFilter:
    """The queue's filters, as /api/queue and /api/queue/next take them."""
    return api_filter(
        campaign_id=campaign_id,
        region=region,
        organisation_id=organisation_id,
        channel=channel,
        outcome=outcome,
        min_age_days=min_age_days,
        max_age_days=max_age_days,
        order=order,
    )


@router.get("/queue")
def queue(
    request: Request,
    filters: QueueFilter = Depends(_queue_filter),
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    free: Annotated[bool, Query(description="leave out the checks others have claimed")] = False,
    user: CurrentUser = Depends(api_user),
) -> QueuePageOut:
    """Checks needing a human, newest first (or oldest with order=old), paged by `after`; each
    says who has it «в работе» (`claim`), as the queue page does."""
    if free:
        filters = replace(filters, free_for=user.username)
    with session_scope(web_state(request).engine) as db:
        page = review_queue(session=db, filters=filters, after=after, limit=limit)
        return QueuePageOut(items=[_queue_item(r) for r in page.rows], next_after=page.next_after)


@router.post("/queue/next", responses=_CHANGE)
def take_next(
    request: Request,
    filters: QueueFilter = Depends(_queue_filter),
    from_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="the check left")] = None,
    user: CurrentUser = Depends(api_operator),
) -> NextOut:
    """The queue page's «Следующая»: your claim on `from_id` ends, and the next check nobody
    else holds is claimed for you."""
    with session_scope(web_state(request).engine) as db:
        if from_id is not None:
            release_check(session=db, check_id=from_id, username=user.username)
        found = claim_next(session=db, filters=filters, username=user.username, current=from_id)
    return NextOut(check_id=found)


@router.post("/checks/{check_id}/claim", responses=_CHANGE)
def claim(request: Request, check_id: Id, user: CurrentUser = Depends(api_operator)) -> ClaimOut:
    """Take the check «в работу» (or renew your claim): others may not save on it meanwhile."""
    with session_scope(web_state(request).engine) as db:
        if db.get(Check, check_id) is None:
            raise HTTPException(404, f"no check {check_id}")
        try:
            held = claim_check(session=db, check_id=check_id, username=user.username)
        except ClaimedByAnother as error:
            raise HTTPException(409, operations.claimed_message(error)) from None
        return ClaimOut.model_validate(held, from_attributes=True)


@router.delete("/checks/{check_id}/claim", responses=_CHANGE)
def release(request: Request, check_id: Id, user: CurrentUser = Depends(api_operator)) -> Done:
    """Give up your claim; `ok` is false when you held none."""
    with session_scope(web_state(request).engine) as db:
        return Done(ok=release_check(session=db, check_id=check_id, username=user.username))


@router.get("/checks/{check_id}", responses={404: {"description": "no such check"}})
def check(request: Request, check_id: Id, user: CurrentUser = Depends(api_user)) -> CheckDetailOut:
    with session_scope(web_state(request).engine) as db:
        detail = check_detail(session=db, check_id=check_id)
        if detail is None:
            raise HTTPException(404, f"no check {check_id}")
        return CheckDetailOut(
            check=_check_out(detail.check),
            organisation_name=detail.organisation.name,
            contact=_contact_out(detail.contact),
            events=[EventOut.model_validate(e, from_attributes=True) for e in detail.events],
            reviews=[ReviewOut.model_validate(r, from_attributes=True) for r in detail.reviews],
            messages=[MessageOut.model_validate(m, from_attributes=True) for m in detail.messages],
            needs=detail.needs,
            claim=_claim_out(current_claim(session=db, check_id=check_id)),
        )


@router.get("/organisations/{organisation_id}", responses={404: {"description": "not found"}})
def organisation(
    request: Request, organisation_id: Id, user: CurrentUser = Depends(api_user)
) -> OrganisationOut:
    with session_scope(web_state(request).engine) as db:
        org = db.get(Organisation, organisation_id)
        if org is None:
            raise HTTPException(404, f"no organisation {organisation_id}")
        assert org.id is not None
        return OrganisationOut(
            id=org.id,
            name=org.name,
            short_name=org.short_name,
            region=org.region,
            timezone=org.timezone,
            contacts=[_contact_out(c) for c in list_contacts(session=db, organisation_id=org.id)],
            checks=[_check_out(c) for c in organisation_checks(session=db, organisation_id=org.id)],
        )


T = TypeVar("T")


def _perform(request: Request, action: Callable[..., T], **arguments: Any) -> T:
    """Run one operation for the API; its refusal becomes a 4xx with the exact reason."""
    try:
        return action(engine=web_state(request).engine, **arguments)
    except operations.ActionError as error:
        raise HTTPException(error.status, error.message) from None


@router.post("/checks/{check_id}/reviews", responses=_CHANGE)
def add_review(
    request: Request, check_id: Id, body: ReviewIn, user: CurrentUser = Depends(api_operator)
) -> Done:
    _perform(request, operations.review, user=user, check_id=check_id, **body.model_dump())
    return Done()


@router.post("/checks/{check_id}/verdict", responses=_CHANGE)
def set_verdict(
    request: Request, check_id: Id, body: VerdictIn, user: CurrentUser = Depends(api_operator)
) -> Done:
    _perform(request, operations.verdict, user=user, check_id=check_id, **body.model_dump())
    return Done()


@router.post("/checks/{check_id}/requeue", responses=_CHANGE)
def requeue(
    request: Request, check_id: Id, body: RequeueIn, user: CurrentUser = Depends(api_operator)
) -> Done:
    new_id = _perform(
        request, operations.requeue, user=user, check_id=check_id, **body.model_dump()
    )
    return Done(new_id=new_id)


@router.post("/contacts/{contact_id}/correction", responses=_CHANGE)
def correct(
    request: Request, contact_id: Id, body: CorrectionIn, user: CurrentUser = Depends(api_operator)
) -> ContactDone:
    entered = _perform(
        request, operations.correct, user=user, contact_id=contact_id, **body.model_dump()
    )
    return ContactDone(new_id=entered.contact_id, reactivated=entered.reactivated)


@router.post("/organisations/{organisation_id}/contacts", responses=_CHANGE)
def add_contact(
    request: Request,
    organisation_id: Id,
    body: ContactIn,
    user: CurrentUser = Depends(api_operator),
) -> ContactDone:
    """A contact the directory lacks (the organisation page's «Добавить контакт»)."""
    entered = _perform(
        request, operations.add, user=user, organisation_id=organisation_id, **body.model_dump()
    )
    return ContactDone(new_id=entered.contact_id, reactivated=entered.reactivated)

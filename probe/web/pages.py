"""The pages staff read: campaigns, the review queue, an organisation, a check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from probe.channels import UnknownChannelError, contact_kind
from probe.directory.regions import all_regions
from probe.reviews import (
    MAX_PERSONS,
    DirectoryCheck,
    Etiquette,
    Grade,
    Transfers,
    parse_etiquette,
)
from probe.scoring.rules import persons_answered, transfers_from_count
from probe.web import labels
from probe.web.deps import CurrentUser, PageError, page_user, web_state
from probe.web.evidence import evidence_view
from probe.web.filters import MAX_ID, FilterError, QueueQuery, page_position
from probe.web.follow_up import follow_up_view, questions_asked
from probe.web.greeting import confirm_value, greeting_views
from probe.web.render import render
from probe.web.site import PRESENCE, site_view
from storage.checks import list_campaigns
from storage.corrections import CORRECTION_KINDS
from storage.directory import list_contacts, organisation_choices
from storage.engine import session_scope
from storage.models import Organisation
from storage.review_claims import current_claim
from storage.review_queue import (
    CheckDetail,
    campaign_progress,
    check_detail,
    list_regions,
    queue_outcomes,
    queue_total,
    review_queue,
)
from storage.users import Role

router = APIRouter(include_in_schema=False)
REGION_NAMES = {region.code: region.name for region in all_regions()}
PAGE_SIZE = 50
# The queue's total is counted up to this: each row counted costs the queue's condition (a
# sparse filter walks thousands of checks to find 100 on a million: bench/web_queue.py), so
# the page says «более 100» beyond (storage.review_queue.queue_total).
TOTAL_CAP = 100


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    with session_scope(web_state(request).engine) as db:
        progress = campaign_progress(session=db)
    return render(request, "campaigns.html", {"progress": progress}, user=user)


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    campaign: str = "",
    region: str = "",
    organisation: str = "",
    channel: str = "",
    outcome: str = "",
    age: str = "",
    order: str = "new",
    after: str = "",
    before: str = "",
    user: CurrentUser = Depends(page_user),
) -> Response:
    query = QueueQuery(campaign, region, organisation, channel, outcome, age, order)
    try:
        filters = query.to_filter()
        after_id, before_id = page_position(after), page_position(before)
    except FilterError as error:
        raise PageError(400, str(error)) from None
    with session_scope(web_state(request).engine) as db:
        page = review_queue(
            session=db, filters=filters, after=after_id, before=before_id, limit=PAGE_SIZE
        )
        context = {
            "page": page,
            # One page and nothing beyond: its rows are the total, no count needed.
            "total": (
                len(page.rows)
                if page.next_after is None and page.prev_before is None
                else queue_total(session=db, filters=filters, cap=TOTAL_CAP)
            ),
            "total_cap": TOTAL_CAP,
            "can_act": user.at_least(Role.OPERATOR),
            "query": query,
            "campaigns": list_campaigns(session=db),
            "regions": [(code, REGION_NAMES.get(code, code)) for code in list_regions(session=db)],
            "organisations": (
                organisation_choices(session=db, region=filters.region) if filters.region else []
            ),
            "selected_org": (
                db.get(Organisation, filters.organisation_id) if filters.organisation_id else None
            ),
            "outcomes": queue_outcomes(),
            "channels": labels.listed_channels(),
            "first_page": after_id is None and (before_id is None or page.prev_before is None),
            "region_names": REGION_NAMES,
        }
    return render(request, "queue.html", context, user=user)


def _positive(value: int, what: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise PageError(404, f"{what} не найдена.")
    return value


def etiquette_persons(
    detail: CheckDetail, asked: str | None, proposed: str | None = None
) -> list[str | None]:
    """Who the etiquette form asks about: the current review's persons (else the machine's
    `proposed` etiquette), else who picked up and one per transfer (the operator's transfers
    review, else the prober's count, as rule R14); `asked` (the page's `persons` parameter)
    sets another number."""
    judged: list[str | None] = []
    current = detail.current.get("etiquette")
    # The operator's review, else what the machine proposes: the form starts from it.
    value = current.value if current is not None else proposed
    if value is not None:
        try:
            judged = [p.value if p else None for p in parse_etiquette(value)]
        except ValueError:
            judged = []
    if asked and asked.isdigit() and 1 <= int(asked) <= MAX_PERSONS:
        count = int(asked)
    elif judged:
        count = len(judged)
    else:
        transfers = detail.current.get("transfers")
        measured = detail.check.details.get("transfers")
        count = persons_answered(transfers.value if transfers else None, measured)
    return (judged + [None] * count)[:count]


def _listed(db: Any, organisation_id: int | None) -> set[str]:
    """The organisation's directory phones and addresses, lower-cased (a web check's page marks
    what the site publishes beyond them)."""
    contacts = list_contacts(session=db, organisation_id=organisation_id or 0)
    return {c.value.lower() for c in contacts if c.value and c.active}


def measured_findings(detail: CheckDetail, greeting: str | None = None) -> dict[str, str]:
    """What the probe found that the forms ask: the transfers it counted (R7) and the etiquette
    it proposes, if any (the greeting proposals' `greeting`, else `details.etiquette`: one
    value per person, comma-separated); the forms start from these until an operator judges."""
    details = detail.check.details or {}
    found: dict[str, str] = {}
    transfers = transfers_from_count(details.get("transfers"))
    if transfers is not None:
        found["transfers"] = transfers.value
    proposed = greeting or details.get("etiquette")
    if isinstance(proposed, list):
        proposed = ",".join(p or "" for p in proposed if p is None or isinstance(p, str))
    if isinstance(proposed, str):
        try:
            parse_etiquette(proposed)
            found["etiquette"] = proposed
        except ValueError:
            pass
    return found


@router.get("/checks/{check_id}", response_class=HTMLResponse)
def check_page(request: Request, check_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    return check_response(request, check_id, user)


def _example(channel: str) -> str:
    """The placeholder of the «Исправить контакт» field: a value of the contact's own kind."""
    try:
        return contact_kind(channel).example
    except UnknownChannelError:
        return ""


@dataclass(frozen=True)
class Typed:
    """A form's input shown again on the check page: refused (`error`) or carried over a new
    sign-in after the session expired (`notice`)."""

    form: str  # the form's element id, e.g. "form-note"
    values: dict[str, str]
    error: str | None = None
    notice: str | None = None


def check_response(
    request: Request, check_id: int, user: CurrentUser, *, typed: Typed | None = None
) -> Response:
    """The check page; with `typed`, the form's input filled in again and the message above."""
    _positive(check_id, "Проверка")
    state = web_state(request)
    with session_scope(state.engine) as db:
        detail = check_detail(session=db, check_id=check_id)
        listed = _listed(db, detail.organisation.id) if detail is not None else set()
        claim = current_claim(session=db, check_id=check_id)
        questions = questions_asked(db, detail.check) if detail is not None else []
    if detail is None:
        raise PageError(404, "Проверка не найдена.")
    evidence = evidence_view(detail=detail, data_dir=state.data_dir)
    greetings = greeting_views(engine=state.engine, check_id=check_id)
    measured = measured_findings(detail, confirm_value(greetings))
    queue = QueueQuery.parse(request.query_params.get("queue", ""))
    context = {
        "d": detail,
        "greetings": greetings,
        "greeting_confirm": confirm_value(greetings),
        "region_name": REGION_NAMES.get(detail.organisation.region, detail.organisation.region),
        "evidence": evidence,
        "site": site_view(detail, evidence.items, listed),
        "questions": questions,
        "follow": follow_up_view(detail.check, detail.outcome or detail.check.outcome),
        "presence": PRESENCE,
        "directory_values": [v.value for v in DirectoryCheck],
        "can_act": user.at_least(Role.OPERATOR),
        "etiquettes": [e.value for e in Etiquette],
        "etiquette_persons": etiquette_persons(
            detail, request.query_params.get("persons"), measured.get("etiquette")
        ),
        "max_persons": MAX_PERSONS,
        "transfers": [t.value for t in Transfers],
        "grades": [g.value for g in Grade],
        "verdict_outcomes": labels.verdict_outcomes(detail.check.channel),
        "correction_kinds": CORRECTION_KINDS,
        "contact_example": _example(detail.contact.channel),
        "labels": labels,
        "typed": typed,
        "claim": claim,
        "queue_qs": queue.encoded(),
        "measured": measured,
    }
    status = 400 if typed is not None and typed.error else 200
    return render(request, "check.html", context, user=user, status_code=status)

"""Organisations: the list and search (`/organisations`), one organisation with its history
across campaigns and the comparison with a past protocol (`/organisations/{id}`), and the same
comparison for a whole campaign, organisation by organisation (`/campaigns/{id}/compare`).

Outcomes are the effective ones (after operators' verdicts). An organisation "answered" on a
channel in a campaign when at least one finished check on it reached the organisation (the
channel's success outcomes: a connected call, a replied letter), as Protocol 5's "working"
column reads the checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select
from starlette.datastructures import FormData

from probe.channels import column_contact_kinds, contact_kinds, outcomes_where
from probe.directory.districts import district_of
from probe.directory.regions import all_regions
from probe.web import operations
from probe.web.deps import CurrentUser, PageError, csrf_form, page_operator, page_user, web_state
from probe.web.import_text import FIELDS
from probe.web.render import render
from storage.checks import list_campaigns
from storage.directory import list_contacts
from storage.engine import session_scope
from storage.judgements import effective_outcomes
from storage.models import Campaign, Check, Contact, Organisation
from storage.organisations import (
    ChannelTally,
    OrganisationSearch,
    Tallies,
    list_kinds,
    past_protocols,
    search_organisations,
    tally_checks,
)
from storage.review_queue import list_regions, organisation_checks
from storage.users import Role

router = APIRouter(include_in_schema=False)
REGION_NAMES = {region.code: region.name for region in all_regions()}
PAGE_SIZE = 50
MAX_ID = 2**31 - 1
# The organisation page's notices after «Добавить контакт»: ?added=N, ?reactivated=N.
NOTICES = ("added", "reactivated")


def _success() -> frozenset[str]:
    return outcomes_where(lambda o: o.success)


@dataclass(frozen=True)
class Cell:
    """One organisation, one channel, one campaign: «2 из 4», answered or not."""

    tally: ChannelTally | None

    @property
    def answered(self) -> bool | None:
        if self.tally is None or not self.tally.done:
            return None
        return self.tally.reached(_success()) > 0

    @property
    def text(self) -> str:
        if self.tally is None:
            return "не проверялся"
        if not self.tally.done:
            return f"проверок {self.tally.checks}, ещё не завершены"
        reached = self.tally.reached(_success())
        return f"{'да' if reached else 'нет'}: {reached} из {self.tally.done}"


@router.get("/organisations", response_class=HTMLResponse)
def organisation_list(
    request: Request,
    q: str = "",
    region: str = "",
    district: str = "",
    kind: str = "",
    contact: str = "",
    page: int = 1,
    user: CurrentUser = Depends(page_user),
) -> Response:
    search = OrganisationSearch(text=q.strip()[:200], region=region.strip(), kind=kind.strip(),
                                contact=contact.strip()[:200])  # fmt: skip
    if not 1 <= page <= 100_000:
        raise PageError(400, f"Неверный номер страницы: «{page}».")
    with session_scope(web_state(request).engine) as db:
        found = list(search_organisations(session=db, search=search))
        everyone = search_organisations(session=db, search=OrganisationSearch())
        regions = list_regions(session=db)
        kinds = list_kinds(session=db)
    districts = sorted({district_of(o.name, o.address) for o in everyone} - {""})
    if district:
        found = [o for o in found if district_of(o.name, o.address) == district]
    rows = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "rows": [(o, district_of(o.name, o.address)) for o in rows],
        "total": len(found),
        "page": page,
        "pages": max(1, -(-len(found) // PAGE_SIZE)),
        "form": {"q": q, "region": region, "district": district, "kind": kind, "contact": contact},
        "regions": [(code, REGION_NAMES.get(code, code)) for code in regions],
        "districts": districts,
        "kinds": kinds,
        "region_names": REGION_NAMES,
    }
    return render(request, "organisations.html", context, user=user)


@dataclass
class HistoryRow:
    campaign: Campaign
    cells: dict[str, Cell] = field(default_factory=dict)  # channel -> cell


def _history(tallies: Tallies, campaigns: dict[int, Campaign], org_id: int) -> list[HistoryRow]:
    rows: dict[int, HistoryRow] = {}
    for (campaign_id, tally_org, channel), tally in tallies.items():
        if tally_org == org_id and campaign_id in campaigns:
            row = rows.setdefault(campaign_id, HistoryRow(campaigns[campaign_id]))
            row.cells[channel] = Cell(tally)
    return sorted(rows.values(), key=_when)


def _when(row: HistoryRow) -> tuple[object, int]:
    campaign = row.campaign
    return (campaign.starts_on or campaign.created_at.date(), campaign.id or 0)


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
def organisation(
    request: Request, organisation_id: int, user: CurrentUser = Depends(page_user)
) -> Response:
    return organisation_response(request, organisation_id, user)


@router.post("/organisations/{organisation_id}/contacts")
def add_contact(
    request: Request,
    organisation_id: int,
    form: FormData = Depends(csrf_form),
    user: CurrentUser = Depends(page_operator),
) -> Response:
    """«Добавить контакт»: a refusal shows the page again with the message and the input."""
    if not 1 <= organisation_id <= MAX_ID:
        raise PageError(404, "Организация не найдена.")
    fields = {n: v if isinstance(v := form.get(n), str) else "" for n in ("kind", "raw", "reason")}
    try:
        entered = operations.add(
            engine=web_state(request).engine, user=user, organisation_id=organisation_id, **fields
        )
    except operations.ActionError as error:
        if error.status != 400:
            raise PageError(error.status, error.message) from None
        return organisation_response(
            request, organisation_id, user, typed=fields, error=error.message
        )
    notice = "reactivated" if entered.reactivated else "added"
    link = f"/organisations/{organisation_id}?{notice}={entered.contact_id}#contacts"
    return RedirectResponse(link, status_code=303)


@dataclass
class ColumnFact:
    """A contact kind with a directory column of its own (a website), as the page's fact: the
    contacts of that kind in use — what campaigns check — and the directory's cell when it
    says something else (an operator added or corrected the contact, or it cannot be read)."""

    heading: str
    in_use: list[Contact]
    directory: str


_CELL_VALUES = re.compile(r"[\s,;]+")  # a cell may list several values (the importer's rule)


def _column_facts(org: Organisation, contacts: Sequence[Contact]) -> list[ColumnFact]:
    facts = []
    for channel, kind in column_contact_kinds():
        assert kind.column is not None
        in_use = [c for c in contacts if c.channel == channel and c.active and c.value]
        cell = str(getattr(org, kind.column, "") or "").strip()
        if not (in_use or cell):
            continue
        listed = {c.raw.strip() for c in in_use} | {c.value for c in in_use if c.value}
        same = set(_CELL_VALUES.split(cell)) - {""} <= listed
        heading = FIELDS.get(kind.column) or kind.label.capitalize()
        facts.append(ColumnFact(heading, in_use, "" if same else cell))
    return facts


def organisation_response(
    request: Request,
    organisation_id: int,
    user: CurrentUser,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    """The organisation page; with `typed`, the «Добавить контакт» form filled in again and
    `error` above it."""
    if not 1 <= organisation_id <= MAX_ID:
        raise PageError(404, "Организация не найдена.")
    with session_scope(web_state(request).engine) as db:
        org = db.get(Organisation, organisation_id)
        if org is None:
            raise PageError(404, "Организация не найдена.")
        contacts = list_contacts(session=db, organisation_id=organisation_id)
        checks = organisation_checks(session=db, organisation_id=organisation_id)
        # Each check's outcome after the operator's verdict, as the queue and the export read it.
        outcomes = effective_outcomes(session=db, checks=checks)
        campaigns = {c.id: c for c in list_campaigns(session=db)}
        tallies = tally_checks(session=db, where=col(Check.organisation_id) == organisation_id)
    history = _history(tallies, campaigns, organisation_id)  # type: ignore[arg-type]
    channels = sorted({ch for row in history for ch in row.cells})
    context = {
        "org": org,
        "region_name": REGION_NAMES.get(org.region, org.region),
        "district": district_of(org.name, org.address),
        "contacts": contacts,
        "contacts_by_id": {c.id: c for c in contacts},
        "column_facts": _column_facts(org, contacts),
        "checks": checks,
        "outcomes": outcomes,
        "campaigns": campaigns,
        "history": history,
        "history_channels": channels,
        "can_act": user.at_least(Role.OPERATOR),
        "contact_kinds": [kind for _, kind in contact_kinds()],
        "typed": typed or {},
        "add_error": error,
        **{n: v if (v := request.query_params.get(n, "")).isdigit() else "" for n in NOTICES},
    }
    status = 400 if error else 200
    return render(request, "organisation.html", context, user=user, status_code=status)


@dataclass
class CompareRow:
    organisation_id: int
    name: str
    protocol_row: int | None
    cells: dict[str, tuple[Cell, Cell]]  # channel -> (the past protocol's, this campaign's)


def _verdict(before: Cell, now: Cell) -> str:
    if before.answered is None or now.answered is None:
        return ""
    if before.answered == now.answered:
        return "same"
    return "better" if now.answered else "worse"


@router.get("/campaigns/{campaign_id}/compare", response_class=HTMLResponse)
def compare(
    request: Request, campaign_id: int, past: int = 0, user: CurrentUser = Depends(page_user)
) -> Response:
    if not 1 <= campaign_id <= MAX_ID or not 0 <= past <= MAX_ID:
        raise PageError(404, "Кампания не найдена.")
    with session_scope(web_state(request).engine) as db:
        campaign = db.get(Campaign, campaign_id)
        if campaign is None:
            raise PageError(404, "Кампания не найдена.")
        protocols = [p for p in past_protocols(session=db) if p.id != campaign_id]
        baseline = next((p for p in protocols if p.id == past), protocols[0] if protocols else None)
        ids = [campaign_id] + ([baseline.id] if baseline and baseline.id else [])
        tallies = tally_checks(session=db, where=col(Check.campaign_id).in_(ids))
        org_ids = {org_id for _, org_id, _ in tallies}
        found = db.exec(select(Organisation).where(col(Organisation.id).in_(org_ids or {0})))
        orgs = {o.id: o for o in found.all() if o.id is not None}
    rows, channels = _compare_rows(tallies, orgs, campaign_id, baseline.id if baseline else None)
    counts = {
        ch: {
            side: sum(1 for r in rows if r.cells[ch][k].answered)
            for k, side in ((0, "before"), (1, "now"))
        }
        for ch in channels
    }
    context = {
        "campaign": campaign, "baseline": baseline, "protocols": protocols, "rows": rows,
        "channels": channels, "counts": counts, "verdict": _verdict,
    }  # fmt: skip
    return render(request, "compare.html", context, user=user)


def _compare_rows(
    tallies: Tallies, orgs: dict[int, Organisation], campaign_id: int, baseline_id: int | None
) -> tuple[list[CompareRow], list[str]]:
    channels = sorted({ch for _, _, ch in tallies})
    rows = []
    for org_id in sorted({o for _, o, _ in tallies}):
        org = orgs.get(org_id)
        cells = {
            ch: (
                Cell(tallies.get((baseline_id, org_id, ch))) if baseline_id else Cell(None),
                Cell(tallies.get((campaign_id, org_id, ch))),
            )
            for ch in channels
        }
        rows.append(CompareRow(
            organisation_id=org_id, name=(org.short_name or org.name) if org else str(org_id),
            protocol_row=org.protocol_row if org else None, cells=cells,
        ))  # fmt: skip
    rows.sort(key=lambda r: (r.protocol_row is None, r.protocol_row or 0, r.name))
    return rows, channels

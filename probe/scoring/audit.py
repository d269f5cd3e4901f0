"""One audit line per check of the campaign: what was measured and how the rules counted it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from probe.results import CheckStatus
from probe.ru import review_text
from probe.scoring.data import CheckRow
from probe.scoring.model import AuditRow
from probe.scoring.names import Channel
from probe.scoring.rules import (
    SITE_CHECKED,
    SITE_UNREACHABLE,
    WEB,
    call_group_key,
    counts_as_call,
    counts_as_letter,
    local,
)
from probe.scoring.view import OrganisationView


def _instant(value: datetime | None, zone: str) -> str:
    return local(value, zone).strftime("%d.%m.%Y %H:%M:%S %z") if value else ""


def _details(details: dict[str, Any]) -> str:
    # Most checks of a large campaign carry no details: skip the encoder for them.
    if type(details) is dict and not details:
        return "{}"
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def _counted(view: OrganisationView, check: CheckRow) -> str:
    outcome = view.outcome(check)
    if check.channel == Channel.PHONE:
        return "звонок (R1)" if counts_as_call(check.status, outcome) else "не учитывается (R1)"
    if check.channel == Channel.EMAIL:
        return "письмо (R9)" if counts_as_letter(check.status, outcome) else "не учитывается (R9)"
    if check.channel == WEB:
        final = check.status == CheckStatus.DONE and outcome in (SITE_CHECKED, SITE_UNREACHABLE)
        return "проверка сайта (R15)" if final else "не учитывается (R15)"
    return "не учитывается"


def audit_rows(view: OrganisationView) -> list[AuditRow]:
    rows = []
    for check in view.checks:
        contact = view.contact(check)
        outcome = view.outcome(check)
        on_check = view.data.check_reviews.get(check.id)
        reviews = "; ".join(review_text(r.field, r.value, r.author) for r in on_check or ())
        kind, group = call_group_key(check.id, check.details)
        rows.append(
            AuditRow(
                check_id=check.id,
                number=view.number,
                organisation=view.name,
                channel=check.channel,
                contact=contact.raw if contact else "",
                value=(contact.value or "") if contact else "",
                attempt=check.attempt,
                status=check.status,
                outcome=check.outcome or "",
                effective_outcome=outcome or "",
                started=_instant(check.started_at, view.zone),
                finished=_instant(check.finished_at, view.zone),
                counted=_counted(view, check),
                call_group=str(group) if kind == "logged" else "",
                historical=check.historical,
                reviews=reviews,
                details=_details(check.details),
            )
        )
    return rows

"""Whether what was found works, and the three services' verdicts.

A form works when its target answers: HEAD, then GET when HEAD is not allowed; a POST only with
the campaign's `submit_test_question` (adapters.web.question: its answer awaited by e-mail).
A CAPTCHA or a login wall leaves "working" to the operator (None, with the reason), never a
guess. The Gosuslugi widget works when its script loads. A link to the independent
assessment's questionnaire on bus.gov.ru works when it is there: the federal site is not the
organisation's, and is not fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.web.config import Config, WebSettings
from adapters.web.detect import SERVICES, Finding
from adapters.web.fetch import PoliteFetcher, SiteError
from adapters.web.question import Asking, question_text
from probe.errors import DestinationRefusedError
from probe.results import utc_now

_GONE = {404, 410}


@dataclass
class Judged:
    finding: Finding
    working: bool | None
    operator_needed: str | None = None
    note: str = ""


async def _answers(fetcher: PoliteFetcher, url: str) -> tuple[bool | None, str]:
    """Does the URL answer? HEAD, then GET where HEAD is refused."""
    try:
        answer = await fetcher.fetch(url, method="HEAD")
        if answer.status in (405, 501):
            answer = await fetcher.fetch(url, method="GET")
    except SiteError as error:
        return False, error.reason
    except DestinationRefusedError as error:
        return None, str(error)
    status = answer.status
    # 405 to GET too: the target is there and takes only the form's POST.
    return (status < 500 and status not in _GONE), f"{answer.status} from {answer.url}"


def _test_data(
    finding: Finding, config: Config, settings: WebSettings, token: str | None = None
) -> dict[str, str]:
    """The form's fields filled in; with a token, the question carries it and the reply goes
    to the reply address (adapters.web.question)."""
    data = dict(finding.hidden)
    for name, kind in finding.fields.items():
        lowered = name.lower()
        if kind == "textarea":
            data[name] = (
                question_text(config.test_question, token) if token else config.test_question
            )
        elif kind == "email" or "mail" in lowered:
            data[name] = (
                settings.reply_address if token and settings.reply_address else settings.contact
            )
        elif kind in ("text", "") and name not in data:
            data[name] = "Проверка доступности"
    return data


async def _submit(
    fetcher: PoliteFetcher,
    finding: Finding,
    config: Config,
    settings: WebSettings,
    asking: Asking | None,
) -> tuple[bool, str]:
    assert finding.target is not None
    token = asking.token(finding) if asking is not None and asking.answerable(finding) else None
    submitted_at = utc_now()
    try:
        answer = await fetcher.fetch(
            finding.target, method="POST", data=_test_data(finding, config, settings, token)
        )
    except SiteError as error:
        return False, f"submit: {error.reason}"
    if asking is not None and token is not None:
        asking.note(finding, token, submitted_at, answer.status)
    return answer.status < 400, f"submitted: {answer.status} from {answer.url}"


async def judge(
    finding: Finding,
    fetcher: PoliteFetcher,
    config: Config,
    settings: WebSettings,
    asking: Asking | None = None,
) -> Judged:
    if finding.captcha:
        return Judged(finding, None, "captcha", "a CAPTCHA guards the form")
    if finding.login:
        return Judged(finding, None, "login", "the form is behind a login")
    if finding.kind == "link":
        return Judged(finding, True, note="link to the assessment's questionnaire")
    if finding.service == "faq":
        return Judged(finding, bool(finding.answered), note=finding.text)
    if finding.target is None:
        return Judged(finding, False, note="the widget's script is missing")
    if finding.kind == "form" and finding.method == "POST" and config.submit_test_question:
        ok, note = await _submit(fetcher, finding, config, settings, asking)
        return Judged(finding, ok, note=note)
    working, note = await _answers(fetcher, finding.target)
    return Judged(finding, working, None if working is not None else "external_host", note)


def _evidence(judged: Judged) -> dict[str, Any]:
    f = judged.finding
    return {
        "url": f.url,
        "selector": f.selector,
        "text": f.text,
        "screenshot": f.screenshot,
        "snapshot": f.snapshot,
        "kind": f.kind,
        "target": f.target,
        "working": judged.working,
        "note": judged.note,
    }


def service(judged: list[Judged]) -> dict[str, Any]:
    """One service's verdict from everything found for it: working if any instance works;
    otherwise the operator's question if any needs one; otherwise not working."""
    if not judged:
        return {"present": False, "working": False, "operator_needed": None, "evidence": []}
    working: bool | None = False
    operator = None
    if any(j.working for j in judged):
        working = True
    elif any(j.working is None for j in judged):
        working = None
        operator = next(j.operator_needed for j in judged if j.working is None)
    ordered = sorted(judged, key=lambda j: (j.working is not True, j.working is not None))
    return {
        "present": True,
        "working": working,
        "operator_needed": operator,
        "evidence": [_evidence(j) for j in ordered[:5]],
    }


async def verdicts(
    findings: list[Finding],
    fetcher: PoliteFetcher,
    config: Config,
    settings: WebSettings,
    asking: Asking | None = None,
) -> dict[str, dict[str, Any]]:
    by_service: dict[str, list[Judged]] = {name: [] for name in SERVICES}
    checked: dict[tuple[str, str | None, str], Judged] = {}
    for finding in findings:
        where = f"{finding.url} {finding.selector}" if finding.target is None else ""
        key = (finding.kind, finding.target, where)
        earlier = checked.get(key)
        if earlier is not None and finding.service == earlier.finding.service:
            continue  # one form on every page (a footer form): judged once
        judged = await judge(finding, fetcher, config, settings, asking)
        checked[key] = judged
        by_service[finding.service].append(judged)
    return {name: service(by_service[name]) for name in SERVICES}


def unreachable() -> dict[str, Any]:
    return {"present": None, "working": False, "operator_needed": None, "evidence": []}


def closed_by_robots() -> dict[str, Any]:
    """Nothing examined: the site's robots.txt disallows its home page to us."""
    return {"present": None, "working": None, "operator_needed": "robots", "evidence": []}

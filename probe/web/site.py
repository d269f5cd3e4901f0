"""A web check's page: what the prober found on the organisation's site, where, with its
screenshots and page snapshots, and the verdict on each service (Protocol 5 columns 7-12) an
operator confirms or overturns with a `web_form` / `faq` / `survey` review (rule R13)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from probe import ru
from probe.channels import UnknownChannelError, channel_spec
from probe.reviews import ChannelPresence, ReviewField
from probe.scoring.rules import site_error_ru
from probe.web.evidence import EvidenceItem
from storage.review_queue import CheckDetail

SERVICES = (ReviewField.WEB_FORM, ReviewField.FAQ, ReviewField.SURVEY)
COLUMNS = {"web_form": "графы 7-8", "faq": "графы 9-10", "survey": "графы 11-12"}
YES_NO = {True: "да", False: "нет", None: "не установлено"}
OPERATOR_NEEDED = {
    "captcha": "форма защищена капчей: работу проверяет оператор",
    "login": "форма доступна только после входа: работу проверяет оператор",
    "robots": "сайт закрыт для проверки (robots.txt): решает оператор",
}
PRESENCE = [p.value for p in ChannelPresence]
# Why the found elements have no screenshot (details.screenshot_failure, the web probe's code).
NO_SCREENSHOTS = {
    "browser_unavailable": (
        "браузер на сервере проверки не найден или не запустился — сообщите администратору"
    ),
    "timeout": "страница не открылась в браузере за отведённое время",
    "page_failed": "страница не открылась в браузере",
}


@dataclass
class Finding:
    url: str
    selector: str
    text: str
    screenshot: int | None  # the evidence item's index, shown inline
    screenshot_path: str | None = None  # named by the check, but no such evidence file
    snapshot: int | None = None  # the page's HTML as fetched (download only)


@dataclass
class ServiceView:
    field: str
    name: str
    columns: str
    present: str
    working: str
    operator_needed: str | None
    findings: list[Finding]
    proposed: str | None  # the ChannelPresence value the check's finding means, if it is one
    current: str | None  # the operator's newest review on this check


@dataclass
class SiteView:
    url: str  # where the walk began after redirects (the address it was given when unreachable)
    pages_fetched: Any
    pages_rendered: Any
    robots_disallowed: list[str]
    site_error: str | None
    site_error_raw: str | None
    services: list[ServiceView]
    phones: list[tuple[str, bool]]  # (published on the site, also in the directory)
    emails: list[tuple[str, bool]]
    render_error: str | None = None  # a page the browser could not open (the probe's words)
    # Why what was found has no screenshot, in Russian, and the probe's own words.
    screenshot_error: str | None = None
    screenshot_error_raw: str | None = None
    snapshots: list[EvidenceItem] = field(default_factory=list)
    screenshots: list[EvidenceItem] = field(default_factory=list)
    checked: str = ""  # the contact's address the check was given, when the site moved it


def proposed_value(found: dict[str, Any]) -> str | None:
    """The review value that confirms the check's finding; None when the check left the service
    to the operator (a CAPTCHA, a login wall, not established)."""
    present, working = found.get("present"), found.get("working")
    if present is False:
        return ChannelPresence.ABSENT.value
    if present is True and isinstance(working, bool) and not found.get("operator_needed"):
        return (ChannelPresence.WORKING if working else ChannelPresence.NOT_WORKING).value
    return None


def _evidence_file(path: Any, items: list[EvidenceItem]) -> tuple[int | None, str | None]:
    """The evidence item a finding names by its path under the check's folder (its index),
    or None and the path when there is no such file."""
    if not isinstance(path, str) or not path:
        return None, None
    tail = PurePosixPath(path).parts[-2:]
    for item in items:
        if item.available and PurePosixPath(item.path).parts[-len(tail) :] == tail:
            return item.index, None
    return None, path


def _findings(evidence: Any, items: list[EvidenceItem]) -> list[Finding]:
    found = []
    for entry in evidence if isinstance(evidence, list) else []:
        if not isinstance(entry, dict):
            continue
        index, missing = _evidence_file(entry.get("screenshot"), items)
        found.append(
            Finding(
                url=str(entry.get("url") or ""),
                selector=str(entry.get("selector") or ""),
                text=str(entry.get("text") or "")[:500],
                screenshot=index,
                screenshot_path=missing,
                snapshot=_evidence_file(entry.get("snapshot"), items)[0],
            )
        )
    return found


def _service(name: str, found: Any, items: list[EvidenceItem], current: str | None) -> ServiceView:
    found = found if isinstance(found, dict) else {}
    needed = found.get("operator_needed")
    present, working = found.get("present"), found.get("working")
    return ServiceView(
        field=name,
        name=ru.FIELDS.get(name, name),
        columns=COLUMNS[name],
        present=YES_NO.get(present if isinstance(present, bool) else None, "не установлено"),
        working=YES_NO.get(working if isinstance(working, bool) else None, "не установлено"),
        operator_needed=OPERATOR_NEEDED.get(str(needed), str(needed)) if needed else None,
        findings=_findings(found.get("evidence"), items),
        proposed=proposed_value(found),
        current=current,
    )


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _judges_services(channel: str) -> bool:
    """Whether the channel's outcomes are judged per service (Protocol 5 columns 7-12), from
    the registry: the channel that reads websites, whatever its name."""
    try:
        outcomes = channel_spec(channel).outcomes
    except UnknownChannelError:
        return False
    services = {s.value for s in SERVICES}
    return any(services.intersection(o.also_judged) for o in outcomes)


def _no_screenshots(details: dict[str, Any]) -> str | None:
    if not details.get("screenshot_error"):
        return None
    code = str(details.get("screenshot_failure") or "page_failed")
    return NO_SCREENSHOTS.get(code, NO_SCREENSHOTS["page_failed"])


def site_view(
    detail: CheckDetail, items: list[EvidenceItem], directory: set[str]
) -> SiteView | None:
    """The web check's findings for its page; None for a check of another channel (or a web
    check that follows a question asked through a form).
    `directory`: the organisation's listed phones and addresses (lower-cased)."""
    details = detail.check.details
    if not _judges_services(detail.check.channel) or details.get("follow_up"):
        return None  # a test question's follow-up shows no site
    current = {f: r.value for f, r in detail.current.items()}
    raw_error = details.get("site_error")
    given = str(detail.contact.value or detail.contact.raw)
    url = str(details.get("url") or given)
    return SiteView(
        url=url,
        checked=given if given.rstrip("/") != url.rstrip("/") else "",
        pages_fetched=details.get("pages_fetched", "—"),
        pages_rendered=details.get("pages_rendered", "—"),
        robots_disallowed=_strings(details.get("robots_disallowed")),
        site_error=site_error_ru(raw_error) if raw_error else None,
        site_error_raw=str(raw_error) if raw_error else None,
        services=[_service(s.value, details.get(s.value), items, current.get(s)) for s in SERVICES],
        phones=[(p, p.lower() in directory) for p in _strings(details.get("phones"))],
        emails=[(e, e.lower() in directory) for e in _strings(details.get("emails"))],
        render_error=str(details["render_error"]) if details.get("render_error") else None,
        screenshot_error=_no_screenshots(details),
        screenshot_error_raw=str(details.get("screenshot_error") or "") or None,
        snapshots=[i for i in items if i.kind == "page_snapshot"],
        screenshots=[i for i in items if i.kind == "screenshot" and i.available],
    )

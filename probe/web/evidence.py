"""A check's evidence for the page (files, SIP ladder, e-mail thread) and the file download.

Files are served only from under the data directory, never from a path the database names
elsewhere; only audio (for the player) and a web check's PNG screenshots (shown on its page) are
served inline, anything else as a download that the browser will not render. E-mail is parsed
here: text shown escaped, HTML sanitised, attachments listed by name and size and never served.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import nh3
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from probe.web.deps import CurrentUser, PageError, page_user, web_state
from probe.web.filters import MAX_ID
from storage.engine import session_scope
from storage.models import Check, InboundMessage
from storage.review_queue import CheckDetail

router = APIRouter(include_in_schema=False)
MAX_MESSAGE_BYTES = 5 * 1024 * 1024  # larger messages are listed, not shown
_SAFE_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote",
    "pre", "code", "table", "thead", "tbody", "tr", "td", "th", "h1", "h2", "h3", "h4", "hr", "a",
}  # fmt: skip
INBOUND_KIND = "eml_inbound"  # the e-mail channel's kind for a received message kept as evidence
_OUT = {"out", "outgoing", "sent", "tx", "send", ">", "→"}
_IN = {"in", "incoming", "received", "rx", "recv", "<", "←"}


def evidence_path(data_dir: Path, path: str) -> Path | None:
    """The file under the data directory that `path` names, or None (missing or outside it).

    Paths are stored relative to the data directory. An absolute one (written before that)
    that no longer lies under it — the folder was copied, restored or mounted elsewhere — is
    read as relative from where its tail exists under the data directory: /old/var/evidence/…
    is found as evidence/… here. Never a bare file name: it could be any folder's."""
    base = data_dir.resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        return _inside(base, base / candidate)
    found = _inside(base, candidate)
    parts = candidate.parts[1:]
    for start in range(len(parts) - 1):
        if found is not None:
            break
        found = _inside(base, base.joinpath(*parts[start:]))
    return found


def _inside(base: Path, candidate: Path) -> Path | None:
    full = candidate.resolve()
    return full if full.is_relative_to(base) and full.is_file() else None


@dataclass
class EvidenceItem:
    index: int
    kind: str
    path: str
    media_type: str
    size: int | None
    sha256: str | None
    available: bool
    is_audio: bool


@dataclass
class MailView:
    direction: str  # "in" or "out"
    sender: str
    subject: str
    received_at: Any
    kind: str
    text: str | None = None
    html: str | None = None  # already sanitised
    attachments: list[tuple[str, str, int]] = field(default_factory=list)
    note: str | None = None


@dataclass
class LadderRow:
    at: str
    arrow: str  # "→" we sent it, "←" it came to us, "" unknown
    label: str
    extra: str


@dataclass
class EvidenceView:
    items: list[EvidenceItem]
    mails: list[MailView]
    ladder: list[LadderRow] | None
    ladder_text: str | None
    details: dict[str, Any]


def _items(evidence: list[dict[str, Any]], data_dir: Path) -> list[EvidenceItem]:
    items = []
    for index, raw in enumerate(evidence):
        media_type = str(raw.get("media_type") or "application/octet-stream")
        path = str(raw.get("path") or "")
        items.append(
            EvidenceItem(
                index=index,
                kind=str(raw.get("kind") or ""),
                path=path,
                media_type=media_type,
                size=raw.get("size") if isinstance(raw.get("size"), int) else None,
                sha256=str(raw["sha256"]) if raw.get("sha256") else None,
                available=bool(path) and evidence_path(data_dir, path) is not None,
                is_audio=media_type.startswith("audio/") or raw.get("kind") == "recording",
            )
        )
    return items


def _is_mail(item: EvidenceItem) -> bool:
    return item.media_type == "message/rfc822" or "eml" in item.kind


def _is_ours(item: EvidenceItem, received: set[str]) -> bool:
    """A letter we sent: received mail (a reply, a bounce) is kept as evidence of the check too,
    as `eml_inbound`, and is shown once, from its inbound message, as received."""
    return _is_mail(item) and item.kind != INBOUND_KIND and item.path not in received


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_SAFE_TAGS,
        attributes={"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, KeyError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def parse_mail(data: bytes, view: MailView) -> MailView:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    view.sender = view.sender or str(message.get("From", ""))
    view.subject = view.subject or str(message.get("Subject", ""))
    texts: list[str] = []
    htmls: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        filename = part.get_filename()
        if part.get_content_disposition() == "attachment" or filename:
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            view.attachments.append((filename or "(без имени)", part.get_content_type(), size))
        elif part.get_content_type() == "text/plain":
            texts.append(_part_text(part))
        elif part.get_content_type() == "text/html":
            htmls.append(_part_text(part))
    if texts:
        view.text = "\n\n".join(texts)
    elif htmls:
        view.html = sanitise_html("\n".join(htmls))
    return view


def _read_mail(data_dir: Path, path: str | None, view: MailView) -> MailView:
    found = evidence_path(data_dir, path) if path else None
    if found is None:
        view.note = "Файл письма недоступен." if path else None
        return view
    if found.stat().st_size > MAX_MESSAGE_BYTES:
        view.note = "Письмо слишком большое для показа: скачайте его как доказательство."
        return view
    return parse_mail(found.read_bytes(), view)


def _inbound(message: InboundMessage, data_dir: Path) -> MailView:
    view = MailView(
        direction="in",
        sender=message.from_address or "",
        subject=message.subject,
        received_at=message.received_at,
        kind=message.kind,
    )
    view = _read_mail(data_dir, message.evidence_path, view)
    if view.text is None and view.html is None:
        body = message.details.get("text") or message.details.get("body")
        view.text = str(body) if body else None
    return view


def _outgoing(item: EvidenceItem, check: Check, data_dir: Path) -> MailView:
    view = MailView(
        direction="out", sender="", subject="", received_at=check.started_at, kind="sent"
    )
    return _read_mail(data_dir, item.path, view)


def _ladder_row(entry: Any) -> LadderRow:
    if not isinstance(entry, dict):
        return LadderRow(at="", arrow="", label=str(entry), extra="")
    at = str(entry.get("at") or entry.get("time") or entry.get("t") or "")
    direction = str(entry.get("direction") or entry.get("dir") or "").lower()
    arrow = "→" if direction in _OUT else "←" if direction in _IN else ""
    status = " ".join(str(entry[k]) for k in ("status", "code", "reason") if entry.get(k))
    label = str(entry.get("method") or status)
    used = {"at", "time", "t", "direction", "dir", "method", "status", "code", "reason"}
    for key in ("summary", "event"):
        if not label and entry.get(key):
            label = str(entry[key])
            used.add(key)
    extra = ", ".join(f"{k}: {v}" for k, v in entry.items() if k not in used and v is not None)
    return LadderRow(at=at, arrow=arrow, label=label, extra=extra)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _starts_with(path: Path, signature: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(signature)) == signature


def is_screenshot(item: EvidenceItem) -> bool:
    return item.kind == "screenshot" and item.path.lower().endswith(".png")


def evidence_view(*, detail: CheckDetail, data_dir: Path) -> EvidenceView:
    items = _items(detail.check.evidence, data_dir)
    received = {m.evidence_path for m in detail.messages if m.evidence_path}
    ours = [i for i in items if i.available and _is_ours(i, received)]
    mails = [_outgoing(i, detail.check, data_dir) for i in ours]
    mails += [_inbound(m, data_dir) for m in detail.messages]
    details = dict(detail.check.details)
    trace = details.pop("sip_trace", None)
    ladder = [_ladder_row(e) for e in trace] if isinstance(trace, list) else None
    ladder_text = trace if isinstance(trace, str) else None
    if isinstance(trace, dict):
        details["sip_trace"] = trace
    return EvidenceView(
        items=items, mails=mails, ladder=ladder, ladder_text=ladder_text, details=details
    )


@router.get("/checks/{check_id}/evidence/{index}")
def evidence_file(
    request: Request, check_id: int, index: int, user: CurrentUser = Depends(page_user)
) -> Response:
    state = web_state(request)
    if not 1 <= check_id <= MAX_ID or not 0 <= index < 10_000:
        raise PageError(404, "Доказательство не найдено.")
    with session_scope(state.engine) as db:
        check = db.get(Check, check_id)
    if check is None or index >= len(check.evidence):
        raise PageError(404, "Доказательство не найдено.")
    item = _items([check.evidence[index]], state.data_dir)[0]
    found = evidence_path(state.data_dir, item.path) if item.path else None
    if found is None:
        raise PageError(404, "Файл доказательства не найден в каталоге данных.")
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
    if item.is_audio and item.media_type.startswith("audio/"):
        return FileResponse(found, media_type=item.media_type, headers=headers)
    if is_screenshot(item) and _starts_with(found, PNG_SIGNATURE):
        # A web check's screenshot, shown on its page: a PNG (checked), never sniffed.
        return FileResponse(found, media_type="image/png", headers=headers)
    return FileResponse(
        found,
        media_type="application/octet-stream",
        filename=found.name,
        headers=headers,
        content_disposition_type="attachment",
    )

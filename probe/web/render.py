"""Template rendering with what every page needs: the user, the CSRF token, the labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from probe.web import labels
from probe.web.deps import CurrentUser, web_session, web_state

TEMPLATES = Path(__file__).with_name("templates")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.globals["L"] = labels
    env.globals["label"] = labels.label
    env.globals["review_value"] = labels.review_value
    env.globals["person_label"] = labels.person_label
    env.globals["reply_term"] = labels.reply_term
    env.globals["forwards"] = labels.forwards
    env.globals["zone_title"] = labels.zone_title
    env.globals["plural"] = labels.plural
    env.filters["local"] = labels.local_time
    env.filters["pretty_json"] = lambda value: json.dumps(
        value, ensure_ascii=False, indent=2, sort_keys=True, default=str
    )
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: CurrentUser | None,
    status_code: int = 200,
) -> HTMLResponse:
    full = {"user": user, "csrf_token": web_session(request).csrf, **context}
    return web_state(request).templates.TemplateResponse(
        request, name, full, status_code=status_code
    )

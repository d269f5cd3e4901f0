"""`probe check web URL`: walk one website now and print what it offers (one JSON object with
`--json`: web_form, faq, survey, phones, emails, and the outcome)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import structlog
import typer

from adapters.web.detect import SERVICES
from probe.channels import ProbeContext, ProbeTarget
from probe.results import CheckResult, utc_now


def summary_json(result: CheckResult) -> dict[str, Any]:
    details = result.details
    return {
        **{name: details.get(name) for name in SERVICES},
        "phones": details.get("phones", []),
        "emails": details.get("emails", []),
        "outcome": str(result.outcome) if result.outcome else None,
        "url": details.get("url"),
        "site_error": details.get("site_error"),
        "robots_disallowed": details.get("robots_disallowed", []),
        "pages_fetched": details.get("pages_fetched", 0),
        "pages_rendered": details.get("pages_rendered", 0),
        "error_class": result.error_class,
        "error_detail": result.error_detail,
    }


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web(
        url: Annotated[str, typer.Argument(help="The organisation's website (https://...).")],
        render: Annotated[
            str, typer.Option("--render", help="auto (scripted pages), always or never.")
        ] = "auto",
        max_pages: Annotated[
            int | None, typer.Option("--max-pages", help="Pages to fetch at most.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Walk one website now: its feedback form, FAQ and survey, and whether each works."""
        from adapters.web import plugin
        from probe.console import console, fail, load_settings, print_json

        settings = load_settings()
        options: dict[str, Any] = {"render": render}
        if max_pages is not None:
            options["max_pages"] = max_pages
        target = ProbeTarget(check_id=0, channel="web", value=url, options=options)
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        folder = settings.data_dir / "evidence" / "adhoc" / f"{stamp}-{uuid.uuid4().hex[:6]}"
        context = ProbeContext(settings=settings, evidence_dir=folder, log=structlog.get_logger())
        result = asyncio.run(plugin.probe(target, context))
        if result.error_class in ("bad_web_options", "bad_web_target"):
            fail(f"{result.error_detail}", code=2)
        data = summary_json(result) | {"evidence_dir": str(folder)}
        if as_json:
            print_json(data)
            return
        console.print(f"outcome: [bold]{data['outcome']}[/] {data['url'] or ''}")
        if data["site_error"] or data["error_class"]:
            console.print(f"error: {data['site_error'] or data['error_detail']}")
        for name in SERVICES:
            verdict = data[name] or {}
            console.print(
                f"{name:>8}: present={verdict.get('present')} working={verdict.get('working')}"
                + (
                    f" operator: {verdict['operator_needed']}"
                    if verdict.get("operator_needed")
                    else ""
                )
            )
        console.print(f"phones: {', '.join(data['phones']) or '-'}")
        console.print(f"emails: {', '.join(data['emails']) or '-'}")
        console.print(f"evidence: {folder}")

    _ = web

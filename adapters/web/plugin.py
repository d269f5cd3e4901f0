"""The web channel: `probe(target, context)` walks the organisation's website and returns
whether it offers a feedback form, a FAQ and a survey, and whether each works (Protocol 5,
table 1, columns 7-12), with the phones and e-mail addresses it publishes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from adapters.web.config import Config, WebSettings, config_error_message
from adapters.web.crawl import Crawl, Crawler
from adapters.web.detect import SERVICES
from adapters.web.fetch import PoliteFetcher, SiteError
from adapters.web.question import Asking
from adapters.web.working import closed_by_robots, unreachable, verdicts
from probe.channels import (
    ChannelSpec,
    CliGroup,
    ContactKind,
    MailReply,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    RateLimit,
    RetryRule,
    SettingsSection,
)
from probe.errors import ProbeError
from probe.results import CheckResult, EvidenceRef, utc_now

CHANNEL = "web"


def _host_name(host: str | None) -> bool:
    """A name a site can have: dotted labels of letters, digits and hyphens (`омск.рф`,
    `127.0.0.1`), `localhost` or an IPv6 literal; not `-` or `нет` typed for "none"."""
    if not host:
        return False
    if host == "localhost" or ":" in host:
        return True
    labels = host.split(".")
    return len(labels) > 1 and all(
        label and all(c.isalnum() or c == "-" for c in label) for label in labels
    )


def normalise_url(raw: str, area_code: str = "") -> tuple[str, str | None]:
    """A website as typed (`minsoc.omskportal.ru`, `https://x.ru/`) -> `https://x.ru/`."""
    text = raw.strip()
    if not text:
        raise ValueError("Адрес сайта пуст.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not _host_name(parts.hostname) or " " in text:
        raise ValueError(f"Не удалось распознать адрес сайта: «{raw}».")
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), None


def _register_check(app: Any) -> None:
    from adapters.web.cli import register

    register(app)


_SERVICES = ("web_form", "faq", "survey")

SPEC = ChannelSpec(
    name=CHANNEL,
    label="сайт",
    backend="http",
    outcomes=(
        # The operator confirms or overturns each service's verdict (Protocol 5 columns
        # 7-12, rule R13): on a checked site, and on one that failed (presence unknown).
        OutcomeSpec("site_checked", "сайт проверен", success=True, also_judged=_SERVICES),
        OutcomeSpec("site_unreachable", "сайт недоступен", verdict=True, also_judged=_SERVICES),
        OutcomeSpec("failed", "сбой (наша сторона)", ours=True),
        # A test question's follow-up (adapters.web.question), ended by the e-mail watcher.
        OutcomeSpec("question_answered", "ответ на вопрос с сайта получен", success=True),
        OutcomeSpec("question_unanswered", "нет ответа на вопрос с сайта", verdict=True),
    ),
    replies_by_mail=MailReply(replied="question_answered", unanswered="question_unanswered"),
    config_model=Config,
    timeout_seconds=15 * 60.0,
    rate_limit=RateLimit(in_parallel=4),
    settings=(SettingsSection("web", WebSettings),),
    contact_kinds=(
        ContactKind(
            "website",
            "адрес сайта",
            normalise=normalise_url,
            column="website",
            example="https://example.ru",
        ),
    ),
    # The site's phones and addresses, compared with the directory (storage.published).
    published_contacts=(("phones", "phone"), ("emails", "email")),
    retry=(
        RetryRule("failed", minutes=(10, 10)),
        RetryRule("site_unreachable", minutes=(60, 90)),
    ),
    protocol_columns=(
        "protocol5.table1.col7",
        "protocol5.table1.col8",
        "protocol5.table1.col9",
        "protocol5.table1.col10",
        "protocol5.table1.col11",
        "protocol5.table1.col12",
    ),
    cli={"check": CliGroup(_register_check)},
)


def _details(crawl: Crawl | None, services: dict[str, Any], error: str | None) -> dict[str, Any]:
    return {
        "url": (crawl.final_url or crawl.home) if crawl else None,
        **services,
        "phones": crawl.phones if crawl else [],
        "emails": crawl.emails if crawl else [],
        "pages_fetched": crawl.pages_fetched if crawl else 0,
        "pages_rendered": crawl.pages_rendered if crawl else 0,
        "robots_disallowed": crawl.robots_disallowed if crawl else [],
        "site_error": error,
        "redirects": crawl.redirects if crawl else [],
        "broken_links": crawl.broken_links[:20] if crawl else [],
        "pages": crawl.pages if crawl else [],
        "render_seconds": round(crawl.render_seconds, 3) if crawl else 0.0,
        "render_error": crawl.render_error if crawl else None,
        "render_failures": crawl.render_failures if crawl else 0,
        "screenshot_error": crawl.screenshot_error if crawl else None,
        "screenshot_failure": crawl.screenshot_failure if crawl else None,
        "budget_exhausted": (not crawl.budget_left) if crawl else False,
    }


def _evidence_refs(context: ProbeContext) -> list[EvidenceRef]:
    """The page snapshots and element screenshots in the check's folder, with their digests."""
    folder = context.evidence_dir
    if not folder.is_dir():
        return []
    kinds = {".png": ("screenshot", "image/png"), ".html": ("page_snapshot", "text/html")}
    refs = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in kinds and path.is_file():
            kind, media_type = kinds[path.suffix]
            data = path.read_bytes()
            refs.append(
                EvidenceRef(
                    kind=kind,
                    path=str(path),
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                    media_type=media_type,
                )
            )
    return refs


class WebPlugin:
    spec = SPEC

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        started = utc_now()
        try:
            config = Config.model_validate(target.options)
            url, _ = normalise_url(target.value)
        except ValidationError as error:
            return self._failed("bad_web_options", config_error_message(error), started)
        except ValueError as error:
            return self._failed("bad_web_target", str(error), started)
        settings: WebSettings = context.settings.web
        context.evidence_dir.mkdir(parents=True, exist_ok=True)
        crawl: Crawl | None = None
        asking = Asking(
            reply_address=settings.reply_address,
            settings=context.settings,
            seed=f"{target.check_id}.{target.attempt}.{target.campaign_id}",
        )
        try:
            async with PoliteFetcher(settings, network=context.settings.network) as fetcher:
                crawler = Crawler(fetcher, settings, config, context.evidence_dir)
                crawl = await crawler.run(url)
                services = await verdicts(crawl.findings, fetcher, config, settings, asking)
                if not crawl.final_url:  # robots.txt keeps us off the home page itself
                    services = {name: closed_by_robots() for name in SERVICES}
        except SiteError as error:
            context.log.info("site unreachable", url=url, reason=error.reason)
            services = {name: unreachable() for name in SERVICES}
            return CheckResult(
                channel=CHANNEL,
                outcome="site_unreachable",
                started_at=started,
                finished_at=utc_now(),
                details=_details(crawl, services, error.reason)
                | {"url": url, "site_error_url": error.url},
                evidence=_evidence_refs(context),
            )
        except ProbeError as error:
            return self._failed(error.error_class, str(error), started)
        context.log.info("site checked", url=url, pages=crawl.pages_fetched)
        return CheckResult(
            channel=CHANNEL,
            outcome="site_checked",
            started_at=started,
            finished_at=utc_now(),
            details=_details(crawl, services, None) | {"questions": asking.asked},
            evidence=_evidence_refs(context),
            follow_ups=asking.follow_ups(),
        )

    def _failed(self, error_class: str, detail: str, started: datetime) -> CheckResult:
        return CheckResult(
            channel=CHANNEL,
            outcome="failed",
            started_at=started,
            finished_at=utc_now(),
            error_class=error_class,
            error_detail=detail,
            details={"retry": True},
        )

"""pytest fixtures for the web channel's tests (tests/integration/test_web_probe_*.py): one nginx
serving one site of every kind the sandbox knows (probe.sandbox.websites) per module, and a
helper that probes one of them with the real plugin (httpx, Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from adapters.web import plugin
from probe.channels import ProbeContext, ProbeTarget
from probe.results import CheckResult
from probe.sandbox.websites import KINDS, ServedSites, SiteRequest, nginx_installed, start_websites
from probe.settings import Settings

# Low for the tests; politeness itself is tested with a longer pause. The screenshots of what
# static pages show are off unless a test asks (see Sites.settings).
TEST_PAUSE = 0.02


def site_phones(index: int) -> tuple[str, ...]:
    return (f"+7381235{index:04d}", f"+7381237{index:04d}")


def site_emails(index: int) -> tuple[str, ...]:
    return (f"priemnaya{index}@centr{index}.test",)


@dataclass
class Sites:
    served: ServedSites

    def url(self, kind: str) -> str:
        return self.served.urls[KINDS.index(kind)]

    def index(self, kind: str) -> int:
        return KINDS.index(kind)

    def settings(self, **web: Any) -> Settings:
        section = {
            "ca_bundle": str(self.served.ca_bundle),
            "pause_seconds": TEST_PAUSE,
            # One browser start per site costs seconds; test_web_probe_detectors turns it on.
            "screenshot_static": False,
        } | web
        return Settings(web=section)

    def access_log(self) -> list[str]:
        return (self.served.run_dir / "access.log").read_text().splitlines()

    async def probe(
        self, kind: str, evidence: Path, *, settings: Settings | None = None, **options: Any
    ) -> CheckResult:
        target = ProbeTarget(check_id=0, channel="web", value=self.url(kind), options=options)
        context = ProbeContext(
            settings=settings or self.settings(),
            evidence_dir=evidence,
            log=structlog.get_logger(),
        )
        return await plugin.probe(target, context)


@pytest.fixture(scope="module", name="sites")
def sites_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    if not nginx_installed():
        pytest.fail("nginx is not installed: run `scripts/setup.sh --test`")
    name = "Комплексный центр социального обслуживания №{}"
    requests = [
        SiteRequest(kind, name.format(i), site_phones(i), site_emails(i))
        for i, kind in enumerate(KINDS)
    ]
    served = start_websites(requests, tmp_path_factory.mktemp("websites"))
    try:
        yield Sites(served)
    finally:
        served.stop()

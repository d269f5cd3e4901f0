"""`probe check web URL --json`: one website walked from the command line, one JSON object out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from probe.cli.main import app
from tests.servers.web_fixtures import TEST_PAUSE, Sites, sites_fixture  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _web_settings(sites: Sites, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PROBE_WEB__CA_BUNDLE", str(sites.served.ca_bundle))
    monkeypatch.setenv("PROBE_WEB__PAUSE_SECONDS", str(TEST_PAUSE))
    yield
    structlog.reset_defaults()


def test_a_form_that_appears_only_after_its_script_runs_is_found(
    cli: CliRunner, sites: Sites
) -> None:
    outcome = cli.invoke(app, ["check", "web", sites.url("script_form"), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert {"web_form", "faq", "survey", "phones", "emails"} <= set(data)
    form = data["web_form"]
    assert (form["present"], form["working"]) == (True, True)
    assert form["evidence"][0]["url"].endswith("/priemnaya/")
    assert form["evidence"][0]["screenshot"].endswith(".png")
    assert data["pages_rendered"] >= 1


def test_a_site_with_none_of_the_three_reports_all_three_absent(
    cli: CliRunner, sites: Sites
) -> None:
    outcome = cli.invoke(app, ["check", "web", sites.url("nothing"), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert data["outcome"] == "site_checked"
    for name in ("web_form", "faq", "survey"):
        assert data[name] == {
            "present": False, "working": False, "operator_needed": None, "evidence": []
        }  # fmt: skip
    assert data["phones"] and data["emails"]


def test_an_unreachable_site_is_reported_with_its_reason(cli: CliRunner, sites: Sites) -> None:
    outcome = cli.invoke(app, ["check", "web", sites.url("expired_cert"), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert (data["outcome"], data["site_error"]) == (
        "site_unreachable",
        "tls: certificate has expired",
    )


def test_a_target_that_is_not_a_website_is_refused(cli: CliRunner) -> None:
    outcome = cli.invoke(app, ["check", "web", "ftp://x.ru/", "--json"])
    assert outcome.exit_code == 2
    assert "Не удалось распознать адрес сайта: «ftp://x.ru/»." in outcome.output

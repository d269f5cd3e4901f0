"""A campaign's channel options (`options:` in a campaign file) are read by each channel's
options model when the campaign is created: `probe campaign create` on a real SQLite database
refuses a letter that does not exist, an unknown option, a wrong type or value, with the field
named, and writes nothing. The browser's form reads them with the same function
(tests/integration/test_web_campaign_options.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from probe.cli.main import app
from schedules import campaigns as service
from schedules.spec import CampaignSpecError, parse_campaign, read_options
from storage.engine import session_scope
from storage.models import AuditLog, Campaign

BASE: dict[str, Any] = {
    "name": "opts",
    "organisations": {"all": True},
    "channels": ["phone", "email"],
    "start": "2026-04-06",
    "end": "2026-04-17",
}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _nothing_written(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return not session.exec(select(Campaign)).all() and not session.exec(select(AuditLog)).all()


def _create(cli: CliRunner, tmp_path: Path, options: dict[str, Any]) -> Any:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump({**BASE, "options": options}, allow_unicode=True), "utf-8")
    return cli.invoke(app, ["campaign", "create", "-f", str(path)])


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (
            {"email": {"template": "pension"}},
            "options.email.template: unknown e-mail template 'pension'; one of: benefits, "
            "disability, home_care, large_family",
        ),
        ({"phone": {"ring_timeout": 20}}, "options.phone.ring_timeout: unknown field"),
        (
            {"phone": {"listen_seconds": "long"}},
            "options.phone.listen_seconds: Input should be a valid number, unable to parse "
            "string as a number",
        ),
        (
            {"phone": {"ring_timeout_seconds": 0, "record": "maybe"}},
            "options.phone.ring_timeout_seconds: Input should be greater than 0; "
            "options.phone.record: Input should be a valid boolean, unable to interpret input",
        ),
        (
            {"email": {"retry_delays": [30, -1]}},
            "options.email.retry_delays: retry_delays must not be negative",
        ),
    ],
)
def test_create_refuses_options_the_channels_model_refuses(
    engine: Engine, cli: CliRunner, tmp_path: Path, options: dict[str, Any], problem: str
) -> None:
    created = _create(cli, tmp_path, options)
    assert created.exit_code == 1, created.output
    assert _flat(created.stderr) == f"error: opts: {problem}"
    assert _nothing_written(engine)


def test_options_the_channels_read_are_stored_as_given(
    engine: Engine, cli: CliRunner, tmp_path: Path
) -> None:
    options = {"email": {"template": "large_family"}, "phone": {"listen_seconds": 45}}
    created = _create(cli, tmp_path, options)
    assert created.exit_code == 0, created.output
    assert service.get(engine=engine, name="opts").spec["options"] == options


def test_every_creator_is_refused_by_the_service_itself(engine: Engine) -> None:
    """The sandbox and any script create through schedules.campaigns.create: the same check."""
    spec = parse_campaign({**BASE, "options": {"email": {"sender_name": 7}}})
    with pytest.raises(CampaignSpecError) as refusal:
        service.create(engine=engine, spec=spec, actor="t")
    assert refusal.value.problems == ["options.email.sender_name: Input should be a valid string"]
    assert _nothing_written(engine)


def test_read_options_names_an_unknown_channel_and_reads_the_known_ones() -> None:
    """The one function every creator uses: a channel the registry lacks is an error on its
    options, the others' values are read as their models hold them."""
    read, errors = read_options({"fax": {"pages": 1}, "phone": {"listen_seconds": "45"}})
    assert read == {"phone": {"listen_seconds": 45.0}}
    assert [(e["loc"], e["type"]) for e in errors] == [(("options", "fax"), "unknown_channel")]
    assert errors[0]["msg"].startswith("unknown channel 'fax'; available: ")

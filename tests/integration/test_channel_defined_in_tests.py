"""A channel that exists only in this file runs a campaign end to end: plan, run, result,
review queue, the export's audit sheet; nothing outside tests/ knows it. It brings its own
campaign section (`webform:`), validated by its model, read by the attempt policy."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe import channels
from probe.channels import (
    ChannelSpec,
    Concurrency,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    RetryRule,
    SettingsSection,
)
from probe.clock import ScaledClock
from probe.export import export_campaign
from probe.export.xlsx import AUDIT_SHEET
from probe.policies import CampaignSection, ParallelPolicy
from probe.results import CheckResult, utc_now
from probe.settings import Settings
from schedules.policy import Finished, decide
from schedules.spec import CampaignSpecError, parse_campaign
from storage.engine import session_scope
from storage.models import Check, Contact
from storage.planning import ContactInput, History
from storage.review_queue import QueueFilter, review_queue
from tests.campaign_helpers import add_test_organisations, run_until_done, start_test_campaign

pytestmark = pytest.mark.integration


class FormOptions(BaseModel):  # a campaign's options.webform
    model_config = ConfigDict(extra="forbid")
    question: str = "benefits"


class FormSettings(BaseModel):  # PROBE_WEBFORM__...
    model_config = ConfigDict(extra="forbid")
    user_agent: str = "probe"


class FormPolicy(ParallelPolicy):  # a campaign's `webform:` section
    # A broken form is submitted again this many minutes later (None: never; the rule's).
    broken_retry_minutes: int | None = Field(None, ge=1)


# What each form does when submitted.
SCRIPT = {"a-form": "form_answered", "b-form": "form_broken", "b-next": "form_answered"}

SPEC = ChannelSpec(
    name="webform",
    label="веб-форма",
    backend="http",
    outcomes=(
        OutcomeSpec("form_answered", "ответили через форму", success=True, judgements=("grade",)),
        OutcomeSpec("form_broken", "форма не работает", verdict=True),
        OutcomeSpec("form_send_failed", "сбой отправки формы (наша сторона)", ours=True),
    ),
    config_model=FormOptions,
    timeout_seconds=30.0,
    concurrency=Concurrency.PARALLEL,
    settings=(SettingsSection("webform", FormSettings),),
    retry=(
        RetryRule("form_send_failed", minutes=(10, 10)),
        # the organisation's next form, now; the same one again if the campaign says when
        RetryRule(
            "form_broken",
            minutes=(30, 30),
            next_contact=True,
            campaign_minutes="broken_retry_minutes",
        ),
    ),
    campaign=CampaignSection("webform", FormPolicy),
)


class WebFormPlugin:
    spec = SPEC

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        FormOptions.model_validate(target.options)
        self.seen.append((target.value, context.settings.section("webform").user_agent, ""))
        now = utc_now()
        return CheckResult(
            channel="webform", outcome=SCRIPT[target.value], started_at=now, finished_at=now
        )


@pytest.fixture
def webform() -> Iterator[WebFormPlugin]:
    plugin = WebFormPlugin()
    remove = channels.add_plugin(plugin)
    try:
        yield plugin
    finally:
        remove()


def _as_webform(engine: Engine) -> None:
    with session_scope(engine) as session:
        for contact in session.exec(select(Contact)).all():
            contact.channel = "webform"
            session.add(contact)


async def test_a_channel_defined_in_tests_runs_a_campaign_end_to_end(
    engine: Engine, webform: WebFormPlugin, tmp_path: Path
) -> None:
    add_test_organisations(engine, {"A": ["a-form"], "B": ["b-form", "b-next"]})
    _as_webform(engine)
    clock = ScaledClock(datetime.now(UTC), 600.0)
    start_test_campaign(
        engine,
        peer="unused",
        now=clock.now(),
        channels=["webform"],
        options={"webform": {"question": "benefits"}},
    )
    settings = Settings(webform={"user_agent": "prober-test"})
    await run_until_done(engine, settings=settings, clock=clock)

    # Plan: the primary form of each; the retry rule brought B's next form after the broken one.
    assert sorted(v for v, _, _ in webform.seen) == ["a-form", "b-form", "b-next"]
    assert {agent for _, agent, _ in webform.seen} == {"prober-test"}
    with Session(engine) as session:
        outcomes = sorted(str(c.outcome) for c in session.exec(select(Check)).all())
        assert outcomes == ["form_answered", "form_answered", "form_broken"]
        page = review_queue(session=session, filters=QueueFilter(channel="webform"))
        assert "form_broken" in {row.check.outcome for row in page.rows}

    out = export_campaign(engine=engine, campaign="t", fmt="xlsx", out=tmp_path / "t.xlsx")
    sheet = load_workbook(out, read_only=True)[AUDIT_SHEET]
    cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert {"веб-форма", "форма не работает", "ответили через форму"} <= cells


def _campaign(**fields: object) -> dict[str, object]:
    return {
        "name": "forms",
        "organisations": {"all": True},
        "channels": ["webform"],
        "start": "2026-04-06",
        "end": "2026-04-17",
        **fields,
    }


def test_the_channels_own_campaign_section_is_validated_and_reaches_the_policy(
    webform: WebFormPlugin,
) -> None:
    spec = parse_campaign(_campaign(webform={"broken_retry_minutes": 45}))
    policy = spec.policy("webform")
    assert isinstance(policy, FormPolicy) and policy.broken_retry_minutes == 45
    contacts = [ContactInput(1, "webform", 1), ContactInput(2, "webform", 2)]
    history = History(attempts_by_contact={1: 1}, tried={1})
    finished = Finished(1, 1, 1, "webform", "form_broken", datetime(2026, 4, 6, 10, tzinfo=UTC))
    decision = decide(spec, finished, contacts, history, rng=random.Random(1))
    # the same form 45 minutes later (the campaign's), the next form now (the rule's)
    assert [(r.contact_id, r.earliest - finished.finished_at) for r in decision.retries] == [
        (1, timedelta(minutes=45)),
        (2, timedelta(0)),
    ]
    # Left out: the rule's retry is off (the section's default), the next form still comes.
    default = decide(parse_campaign(_campaign()), finished, contacts, history, rng=random.Random(1))
    assert [r.contact_id for r in default.retries] == [2]

    with pytest.raises(CampaignSpecError) as error:
        parse_campaign(_campaign(webform={"broken_retry_minute": 45}))
    assert error.value.problems == ["webform.broken_retry_minute: unknown field"]
    with pytest.raises(CampaignSpecError) as error:
        parse_campaign(_campaign(webform={"broken_retry_minutes": 0}))
    assert error.value.problems == [
        "webform.broken_retry_minutes: Input should be greater than or equal to 1"
    ]


def test_without_the_channel_its_section_is_an_unknown_field() -> None:
    with pytest.raises(CampaignSpecError) as error:
        parse_campaign(_campaign(channels=["email"], webform={"broken_retry_minutes": 45}))
    assert error.value.problems == ["webform: unknown field"]

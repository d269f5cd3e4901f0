"""A campaign definition is refused with an exact message per bad field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schedules.spec import CampaignSpecError, load_campaign_file, parse_campaign

GOOD: dict[str, Any] = {
    "name": "omsk-2026-q2",
    "organisations": {"region": ["omsk"]},
    "channels": ["phone", "email"],
    "start": "2026-04-06",
    "end": "2026-04-17",
}


def _with(**changes: Any) -> dict[str, Any]:
    data = dict(GOOD)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_good_definition_gets_the_protocols_defaults() -> None:
    spec = parse_campaign(GOOD)
    assert spec.calls.busy_retry_minutes == (10, 20)
    assert spec.email.deadline_working_days == 3
    assert spec.margins.after_opening_minutes == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "омск 2026"}, "name: String should match pattern '^[A-Za-z0-9._-]+$'"),
        ({"name": None}, "name: Field required"),
        (
            {"organisations": {}},
            "organisations: select organisations: all: true, or region, kind, ids or names",
        ),
        ({"channels": []}, "channels: List should have at least 1 item after validation, not 0"),
        ({"channels": ["phone", "phone"]}, "campaign: a channel is listed twice"),
        (
            {"start": "2026-13-01"},
            "start: Input should be a valid date or datetime, month value "
            "is outside expected range of 1-12",
        ),
        ({"end": "2026-04-01"}, "campaign: end 2026-04-01 is before start 2026-04-06"),
        ({"windows": "sometimes"}, "windows: Input should be 'hours' or 'always'"),
        (
            {"calls": {"busy_retry_minutes": [20, 10]}},
            "calls: busy_retry_minutes must be [low, high] with 0 < low <= high",
        ),
        (
            {"calls": {"per_contact": 0}},
            "calls.per_contact: Input should be greater than or equal to 1",
        ),
        (
            {"calls": {"per_contact": 9, "per_organisation": 4}},
            "calls: per_contact cannot exceed per_organisation",
        ),
        (
            {"limits": {"quiet_minutes": -1}},
            "limits.quiet_minutes: Input should be greater than or equal to 0",
        ),
        ({"limits": {"emails_per_minut": 5}}, "limits.emails_per_minut: unknown field"),
        (
            {"email": {"deadline_working_days": 0}},
            "email.deadline_working_days: Input should be greater than or equal to 1",
        ),
        ({"options": {"fax": {}}}, "campaign: options for channels not in the campaign: ['fax']"),
    ],
)
def test_each_bad_field_has_an_exact_message(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(CampaignSpecError) as caught:
        parse_campaign(_with(**changes), source="q2.yaml")
    assert caught.value.problems == [message]
    assert str(caught.value) == f"q2.yaml: {message}"


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nchannels: []\norganisations: {all: true}\n", encoding="utf-8")
    with pytest.raises(CampaignSpecError) as caught:
        load_campaign_file(path)
    assert caught.value.problems == [
        "channels: List should have at least 1 item after validation, not 0",
        "start: Field required",
        "end: Field required",
    ]


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CampaignSpecError, match="the campaign must be a mapping of fields"):
        load_campaign_file(path)
    with pytest.raises(CampaignSpecError, match="cannot read"):
        load_campaign_file(tmp_path / "missing.yaml")


def test_the_documented_example_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "omsk-quarterly.yaml"
    spec = load_campaign_file(path)
    assert spec.channels == ["phone", "email"]
    assert spec.organisations.kind == ["КЦСОН"]

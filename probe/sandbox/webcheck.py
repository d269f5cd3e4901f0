"""The sandbox's summary for the websites: each centre's web checks against the kind of site it
was given, and Protocol 5 columns 7-12 and indicator 1.2 as the export scores them against what
the site was built to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from probe.sandbox.world import (
    SERVICES,
    Organisation,
    expected_indicator,
    expected_web_columns,
    expected_web_outcome,
)
from probe.scoring.model import Protocol5Row

if TYPE_CHECKING:
    from probe.sandbox.summary import SandboxReport

YES_NO = {True: "да", False: "нет", None: "—"}


def compare_web(
    result: SandboxReport,
    observed: list[str],
    organisation: Organisation,
    scored: Protocol5Row | None,
    working: tuple[bool | None, bool | None],
    *,
    unlisted: bool = False,
) -> dict[str, Any]:
    """The row's web fields for the summary; mismatches added to `result`. `unlisted`: the
    web check found contacts the directory lacks (the review queue's «справочник может быть
    устаревшим»), expected where the site publishes a number the directory lacks."""
    row = organisation.protocol_row
    site = organisation.website
    expected = expected_web_columns(site)
    expected_points = expected_indicator(*working, expected)
    columns: dict[str, tuple[bool | None, bool | None]] = dict.fromkeys(SERVICES, (None, None))
    points = None
    if scored is not None:
        columns = {s: (getattr(scored, s).present, getattr(scored, s).working) for s in SERVICES}
        points = scored.indicator_1_2
    if site is not None:
        outcome = expected_web_outcome(site)
        result.expected[f"web:{outcome}"] += 1
        result.observed.update(f"web:{o}" for o in observed[-1:])
        if not observed or set(observed) != {outcome}:
            result.mismatches.append(f"row {row} website ({site.kind}): {observed} != [{outcome}]")
        other = site.other_phone is not None and outcome == "site_checked"
        result.expected["web:directory_outdated"] += other
        result.observed["web:directory_outdated"] += unlisted
        if unlisted != other:
            result.mismatches.append(f"row {row}: directory outdated {unlisted} != {other}")
    for service in SERVICES:
        if columns[service] != expected[service]:
            result.mismatches.append(
                f"row {row} {service} (present, working) {columns[service]} != "
                f"{expected[service]} (Protocol 5 columns 7-12, site {site.kind if site else '-'})"
            )
    if points != expected_points:
        result.mismatches.append(f"row {row}: indicator 1.2 {points} != {expected_points}")
    return {
        "website": site.kind if site else None,
        "web_outcomes": observed,
        "directory_outdated": unlisted,
        "web": {s: list(columns[s]) for s in SERVICES},
        "expected_web": {s: list(expected[s]) for s in SERVICES},
        "indicator_1_2": points,
        "expected_indicator_1_2": expected_points,
    }


def web_cells(row: dict[str, Any]) -> str:
    """Columns 7-12 as «да/нет» pairs for the printed table (— while pending)."""
    web = row.get("web") or {}
    return " ".join("/".join(YES_NO[v] for v in web.get(s, (None, None))) for s in SERVICES)

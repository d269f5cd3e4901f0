"""The dashboard's parts that need no server: districts read from names, the SVG charts, the
Russian plural, the time it was counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from probe.clock import WarpClock, set_clock
from probe.directory.districts import district_of
from probe.web import svg
from probe.web.dashboard import dashboard_view
from probe.web.labels import plural
from storage.dashboard import CampaignFigures
from storage.models import Campaign


@pytest.mark.parametrize(
    ("name", "address", "district"),
    [
        ('БУ "КЦСОН "Вдохновение" Октябрьского административного округа"', "",
         "Октябрьский административный округ"),
        ("МБУ «ЦСО граждан пожилого возраста Ворошиловского района города Ростова-на-Дону»", "",
         "Ворошиловский район"),
        ("Управление Министерства по Азовскому немецкому национальному району", "",
         "Азовский немецкий национальный район"),
        ("БУ КЦСОН Омского муниципального района", "", "Омский муниципальный район"),
        ("КЦСОН «Забота»", "646530, Тарский район, г. Тара", "Тарский район"),
        ("Министерство труда и социального развития Омской области", "", ""),
    ],
)  # fmt: skip
def test_the_district_is_read_from_the_name_or_the_address(
    name: str, address: str, district: str
) -> None:
    assert district_of(name, address) == district


def test_chart_labels_and_titles_are_escaped() -> None:
    chart = svg.bars([("<script>alert(1)</script>", 3)], title="a & b")
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart and "<title>a &amp; b</title>" in chart
    columns = svg.columns(["<b>"], [svg.Series("<i>", [2])], title="t")
    assert "<b>" not in columns and "<i>" not in columns


def test_stacked_columns_are_as_tall_as_their_sum() -> None:
    chart = svg.columns(["x", "y"], [svg.Series("a", [1, 4]), svg.Series("b", [3, 0])], title="t")
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" fill', chart)]
    # Column x: 1 + 3 = 4 = column y: one full height each; nothing drawn for a zero; then
    # the legend's two squares.
    assert len(heights) == 5 and heights[3:] == [10.0, 10.0]
    assert abs(heights[0] + heights[1] - heights[2]) < 0.2


def test_empty_charts_draw_nothing() -> None:
    assert svg.bars([], title="t") == "" and svg.columns([], [], title="t") == ""


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "1 организация"), (3, "3 организации"), (11, "11 организаций"), (21, "21 организация"),
     (14, "14 организаций"), (0, "0 организаций"), (102, "102 организации")],
)  # fmt: skip
def test_counts_agree_with_their_noun(count: int, text: str) -> None:
    assert plural(count, "организация", "организации", "организаций") == text


def test_the_figures_are_counted_at_the_time_on_the_process_clock() -> None:
    """The sandbox's compressed clock: «Подсчитано» on the campaign's day, not the wall's."""
    previous = set_clock(WarpClock(datetime(2026, 4, 6, 4, 30, tzinfo=UTC), 1.0))
    try:
        view = dashboard_view(
            Campaign(id=1, name="c", status="running"),
            CampaignFigures(campaign_id=1, timezone="Asia/Omsk"),
        )
    finally:
        set_clock(previous)
    assert view.counted_at.startswith("06.04.2026 10:30")

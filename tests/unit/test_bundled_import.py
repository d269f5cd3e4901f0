"""The bundled Rostov and Omsk-offices directories import with their working hours parsed."""

from __future__ import annotations

from datetime import time

from probe.directory.importer import bundled_path, import_directory


def test_rostov_hours_are_parsed_for_every_organisation_that_states_them() -> None:
    report = import_directory(bundled_path("rostov"), engine=None, dry_run=True)
    assert report.rejected == []
    assert len(report.organisations) == 64  # 62 numbered rows and 2 unnumbered ones (seed 004)
    stating = [o for o in report.organisations if o.hours_raw]
    unparsed = [o.hours_raw for o in stating if o.hours is None]
    # Seed 004 row 37 gives only a break, no days or hours: reported, not guessed.
    assert unparsed == ["перерыв с 12.00 до 12.45."]
    hours_warnings = [w for w in report.warnings if w.field == "hours"]
    assert [w.row for w in hours_warnings] == [38]
    assert all(o.timezone == "Europe/Moscow" for o in report.organisations)
    assert len({o.hours_raw for o in stating}) >= 20  # distinct free-text forms in the seed


def test_omsk_offices_get_the_regulations_hours() -> None:
    report = import_directory(bundled_path("omsk-offices"), engine=None, dry_run=True)
    assert report.rejected == []
    assert len(report.organisations) == 34
    assert [w for w in report.warnings if w.field == "hours"] == []
    for org in report.organisations:
        assert org.timezone == "Asia/Omsk"
        assert org.hours is not None
        thursday, friday = org.hours.for_weekday(3), org.hours.for_weekday(4)
        assert thursday is not None and friday is not None
        assert (thursday.opens, thursday.closes) == (time(8, 30), time(17, 45))
        assert friday.closes == time(16, 30)
        assert org.hours.for_weekday(5) is None

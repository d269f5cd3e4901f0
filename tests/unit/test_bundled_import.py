"""The bundled Rostov and Omsk-offices directories import with their working hours parsed."""

from __future__ import annotations

from datetime import time

from probe.directory.importer import bundled_path, import_directory
from probe.directory.reasons import held_english
from probe.hours import default_schedule


def test_rostov_hours_are_parsed_for_every_organisation_that_states_them() -> None:
    report = import_directory(bundled_path("rostov"), engine=None, dry_run=True)
    assert report.rejected == []
    assert len(report.organisations) == 64  # 62 numbered rows and 2 unnumbered ones (seed 004)
    stating = [o for o in report.organisations if o.hours_raw]
    assert all(o.hours is not None for o in report.organisations)
    # Seed 004 No. 37 (row 38) gives only a break: it is kept, with the Rostov ministry's days
    # and hours around it (seed 004 item 1.3.1), and reported (was: hours unknown, then planned
    # with the Omsk ministry's schedule).
    assumed = {o.source_row: o.hours.assumed for o in report.organisations if o.hours.assumed}
    assert assumed == {38: "Ростовская область: default hours, published break 12:00-12:45"}
    no37 = report.organisations[37].hours
    monday, friday = no37.for_weekday(0), no37.for_weekday(4)
    assert monday is not None and friday is not None
    assert (monday.opens, monday.closes) == (time(9), time(18))
    assert (friday.opens, friday.closes) == (time(9), time(16, 45))
    assert [(b.start, b.end) for b in monday.breaks] == [(time(12), time(12, 45))]
    assert no37.for_weekday(5) is None
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
        assert org.hours.assumed is None  # the regulation's own text


def test_omsk_centres_without_published_hours_get_the_omsk_ministrys_schedule() -> None:
    report = import_directory(bundled_path("omsk-kcson"), engine=None, dry_run=True)
    assert [w for w in report.warnings if w.field == "hours"] == []  # a blank cell: documented
    for org in report.organisations:
        assert org.hours_raw == "" and org.hours is not None
        assert org.hours.assumed == "Омская область: default hours"
        assert org.hours.model_copy(update={"assumed": None}) == default_schedule()


def test_omsk_office_18_publishes_only_a_fax_which_is_kept_reported_and_never_called() -> None:
    report = import_directory(bundled_path("omsk-offices"), engine=None, dry_run=True)
    office = report.organisations[17]
    assert office.source_row == 18 and "Нижнеомскому" in office.name
    [phone] = [c for c in office.contacts if c.channel == "phone"]
    assert (phone.raw, phone.value, phone.label, phone.is_fax) == (
        "8 (3816)-52-31-63 (ф)",
        "+73816523163",
        "факс",
        True,
    )
    phone_warnings = [(w.row, w.reason) for w in report.warnings if w.field == "phones"]
    assert phone_warnings == [
        (18, "only a fax number is published ('8 (3816)-52-31-63 (ф)'): kept, never called")
    ]


def test_a_cyrillic_look_alike_in_an_address_is_reported_by_one_rule_in_every_directory() -> None:
    # Rostov No. 1 publishes "сsovor@yandex.ru" with a Cyrillic "с"; omsk-kcson row 1
    # "vдох_omsk@mail.ru". Both are kept as published, not called, and reported alike.
    reported = {}
    for name in ("rostov", "omsk-kcson"):
        report = import_directory(bundled_path(name), engine=None, dry_run=True)
        [email] = [c for c in report.organisations[0].contacts if c.channel == "email"]
        assert email.value is None and email.error is not None
        [warning] = [w for w in report.warnings if w.row == 1 and w.field == "emails"]
        assert warning.reason == email.error
        reported[name] = (email.raw, warning.reason)
    assert reported == {
        "rostov": (
            "\u0441sovor@yandex.ru",
            "Cyrillic letter '\u0441' in a Latin address '\u0441sovor@yandex.ru' (position 1); "
            "did you mean 'csovor@yandex.ru'?",
        ),
        "omsk-kcson": (
            "vдох_omsk@mail.ru",
            "Cyrillic letter 'д' in a Latin address 'vдох_omsk@mail.ru' (position 2); "
            "did you mean 'vdoh_omsk@mail.ru'?",
        ),
    }


def test_rostov_45_publishing_the_phones_of_38_holds_them_for_both_and_says_so() -> None:
    report = import_directory(bundled_path("rostov"), engine=None, dry_run=True)
    no38, no45 = report.organisations[38], report.organisations[45]  # rows 39 and 46
    assert "Красносулинского" in no38.name and "Мясниковского" in no45.name
    shared = [
        (w.row, w.reason.split("'")[1]) for w in report.warnings if "also published by" in w.reason
    ]
    # Seed 004: No. 45 (Мясниковский район) lists exactly No. 38's two phones and its fax, all
    # with Красносулинский's area code 86367. Faxes are held too (they are never called anyway).
    assert shared == [
        (39, "8(86367) 5-63-18"),
        (39, "5-63-19"),
        (39, "8(86367)5-63-15"),
        (46, "8(86367) 5-63-18"),
        (46, "5-63-19"),
        (46, "8(86367)5-63-15"),
    ]
    for org, other in ((no38, "row 46"), (no45, "row 39")):
        phones = [c for c in org.contacts if c.channel == "phone"]
        assert phones and all(
            c.held == "shared"
            and held_english(c.held, c.held_values).startswith(f"also published by {other} (")
            for c in phones
        )
        assert all(c.held is None for c in org.contacts if c.channel == "email")
    # Nothing else in the three bundled directories is shared.
    for name in ("omsk-kcson", "omsk-offices"):
        other_report = import_directory(bundled_path(name), engine=None, dry_run=True)
        assert not [w for w in other_report.warnings if "also published by" in w.reason]

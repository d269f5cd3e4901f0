"""Directory import: every bad row reported exactly, the good ones imported, nothing lost."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from probe.cli.main import app
from probe.directory.importer import StrictImportError, import_directory
from probe.directory.reasons import held_english
from probe.web.render import make_templates
from schedules.planner import windows_for
from schedules.spec import parse_campaign
from storage.campaigns import plan_inputs
from storage.directory import list_contacts, list_organisations
from storage.engine import session_scope
from storage.models import AuditLog

HEADER = "name;short_name;region;kind;address;website;phones;emails;hours;timezone\n"
GOOD_OMSK = (
    'БУ "КЦСОН "Любава";Любава;Омская область;КЦСОН;г. Омск;;'
    "+7(3812)63-19-10 +7(3812)63-19-80;lubava_kcson@omskmintrud.ru;"
    "пн-пт 9:00-18:00, перерыв с 13.00 до 14.00;\n"
)
GOOD_ROSTOV = (
    "МБУ ЦСО г. Азова;ЦСО Азов;Ростовская область;ЦСО;г. Азов;;"
    "8(86342) 4-03-61, 6-45-47;cso_azov@mail.ru;;\n"
)


def _broken_file(tmp_path: Path) -> Path:
    rows = [
        GOOD_OMSK,  # row 2
        'БУ "КЦСОН "Пенаты";;omsk;КЦСОН;;;8 (3812) 12;penaty@omskmintrud.ru;;\n',  # 3: bad phone
        'БУ "КЦСОН "Вдохновение";;omsk;КЦСОН;;;+7(3812) 54-28-88;vдох_omsk@mail.ru;;\n',  # 4
        ";;omsk;КЦСОН;;;+7(3812) 32-49-46;;;\n",  # 5: missing name
        "ЦСО Марса;;Марс;ЦСО;;;+7(3812) 32-49-46;;;\n",  # 6: unknown region
        "БУ «КЦСОН «Любава»;;Омская область;КЦСОН;;;+7(3812)63-19-10;;;\n",  # 7: duplicate of 2
        GOOD_ROSTOV,  # 8
        "ЦСО Тары;;omsk;ЦСО;;;8-381-71-2-25-21;;;Asia/Omskk\n",  # 9: bad time zone
    ]
    data = HEADER.encode() + b"".join(r.encode() for r in rows)
    # Row 10 pasted from a cp1251 file into this UTF-8 one.
    data += "ЦСО Шербакуль;;omsk;ЦСО;;;+7 (38177) 2-33-36;;;\n".encode("cp1251")
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    return path


def test_broken_rows_are_reported_exactly_and_the_good_rows_imported(
    tmp_path: Path, engine: Engine
) -> None:
    path = _broken_file(tmp_path)
    report = import_directory(path, engine=engine, display_name="broken.csv")
    rejected = [(p.row, p.field, p.reason) for p in report.rejected]
    assert rejected == [
        (5, "name", "missing organisation name"),
        (
            6,
            "region",
            "unknown region 'Марс'; give a Russian name such as 'Омская область' "
            "or a code such as 'omsk' (see `probe directory regions`)",
        ),
        (7, "name", "duplicate organisation: same name and region as row 2"),
        (9, "timezone", "unknown time zone 'Asia/Omskk'; use an IANA name (Asia/Omsk)"),
        (
            10,
            None,
            "row is not valid UTF-8 while the rest of the file is (a row pasted from a "
            "cp1251 file?); re-save the file as UTF-8 and import again",
        ),
    ]
    warnings = {(p.row, p.field): p.reason for p in report.warnings}
    assert set(warnings) == {(3, "phones"), (4, "emails")}
    assert warnings[(3, "phones")] == PHONE_ERROR
    assert warnings[(4, "emails")] == EMAIL_ERROR

    with session_scope(engine) as session:
        names = sorted(o.name for o in list_organisations(session=session))
        assert names == sorted(
            [
                'БУ "КЦСОН "Любава"',
                'БУ "КЦСОН "Пенаты"',
                'БУ "КЦСОН "Вдохновение"',
                "МБУ ЦСО г. Азова",
            ]
        )
        penaty = next(o for o in list_organisations(session=session) if "Пенаты" in o.name)
        assert penaty.id is not None
        bad = [
            c
            for c in list_contacts(session=session, organisation_id=penaty.id)
            if c.channel == "phone"
        ]
        # Kept with its error for an operator to correct, never called.
        assert [(c.raw, c.value, c.probeable) for c in bad] == [("8 (3812) 12", None, False)]
        rostov = next(o for o in list_organisations(session=session, region="rostov"))
        assert rostov.timezone == "Europe/Moscow"
        assert rostov.id is not None
        phones = [c for c in list_contacts(session=session, organisation_id=rostov.id)]
        assert [(c.value, c.inferred) for c in phones if c.channel == "phone"] == [
            ("+78634240361", False),
            ("+78634264547", True),
        ]


PHONE_ERROR = "phone number '8 (3812) 12' has 7 digits, expected 11 (trunk prefix 8 + 10 digits)"
EMAIL_ERROR = (
    "Cyrillic letter 'д' in a Latin address 'vдох_omsk@mail.ru' (position 2); "
    "did you mean 'vdoh_omsk@mail.ru'?"
)


def test_strict_import_writes_nothing_when_any_row_is_bad(tmp_path: Path, engine: Engine) -> None:
    path = _broken_file(tmp_path)
    with pytest.raises(StrictImportError, match=r"7 problem\(s\) in .* --strict is set"):
        import_directory(path, engine=engine, strict=True)
    with session_scope(engine) as session:
        assert list_organisations(session=session) == []


def test_cli_reports_rejected_rows_in_json_and_exits_2(tmp_path: Path, cli: CliRunner) -> None:
    path = _broken_file(tmp_path)
    result = cli.invoke(app, ["directory", "import", str(path), "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert [r["row"] for r in report["rejected"]] == [5, 6, 7, 9, 10]
    assert len(report["organisations"]) == 4
    contact = report["organisations"][0]["contacts"][0]
    assert set(contact) >= {"raw", "value", "extension", "inferred", "error"}


def test_dry_run_writes_nothing(tmp_path: Path, cli: CliRunner) -> None:
    path = tmp_path / "one.csv"
    path.write_text(HEADER + GOOD_OMSK, encoding="utf-8")
    result = cli.invoke(app, ["directory", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would import 1 organisation(s), 2 phone(s), 1 e-mail(s)" in result.stdout
    listing = cli.invoke(app, ["directory", "list", "--json"])
    assert json.loads(listing.stdout) == []


def test_the_summary_and_the_listing_count_websites_with_phones_and_addresses(
    tmp_path: Path, cli: CliRunner
) -> None:
    path = tmp_path / "sites.csv"
    with_site = GOOD_OMSK.replace("г. Омск;;", "г. Омск;Lubava.omskportal.ru ftp://tara.ru;")
    path.write_text(HEADER + with_site, encoding="utf-8")
    result = cli.invoke(app, ["directory", "import", str(path)])
    assert result.exit_code == 0, result.output
    # The site that cannot be read counts as read (its row has the warning), like a phone.
    assert "imported 1 organisation(s), 2 phone(s), 1 e-mail(s), 2 website(s)" in result.stdout
    as_json = cli.invoke(app, ["directory", "import", str(path), "--dry-run", "--json"])
    assert json.loads(as_json.stdout)["contacts_read"] == {"phones": 2, "emails": 1, "website": 2}
    listing = cli.invoke(app, ["directory", "list", "--json"])
    (row,) = json.loads(listing.stdout)
    # Probed contacts only: the readable site, not the one kept with its error.
    assert (row["phones"], row["emails"], row["websites"]) == (2, 1, 1)
    table = cli.invoke(app, ["directory", "list"])
    assert "websites" in table.stdout


def test_a_whole_cp1251_file_with_comma_separators_is_read(tmp_path: Path, engine: Engine) -> None:
    text = (HEADER + GOOD_OMSK + GOOD_ROSTOV).replace(";", ",")
    # Commas inside cells must be quoted in a comma-separated file.
    hours = "пн-пт 9:00-18:00, перерыв с 13.00 до 14.00"
    text = text.replace(hours, f'"{hours}"')
    text = text.replace("8(86342) 4-03-61, 6-45-47", '"8(86342) 4-03-61, 6-45-47"')
    path = tmp_path / "cp1251.csv"
    path.write_bytes(text.encode("cp1251"))
    report = import_directory(path, engine=engine)
    assert report.encoding == "cp1251"
    assert report.rejected == []
    assert [o.name for o in report.organisations] == ['БУ "КЦСОН "Любава"', "МБУ ЦСО г. Азова"]
    omsk = report.organisations[0]
    assert omsk.hours is not None and omsk.hours.for_weekday(0) is not None


def test_xlsx_with_russian_headers_is_read(tmp_path: Path, engine: Engine) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Наименование", "Регион", "Телефон", "Электронная почта", "Режим работы"])
    sheet.append(
        [
            'БУ "КЦСОН "Рябинушка"',
            "Омская область",
            "8 (3812) 78-48-16",
            "ryabinushka_kcson@omskmintrud.ru",
            "",
        ]
    )
    sheet.append([None, None, None, None, None])
    sheet.append(["ЦСО без региона", None, "8 (3812) 78-48-16", None, None])
    path = tmp_path / "dir.xlsx"
    book.save(path)
    report = import_directory(path, engine=engine)
    assert [o.name for o in report.organisations] == ['БУ "КЦСОН "Рябинушка"']
    assert [(p.row, p.field, p.reason) for p in report.rejected] == [
        (4, "region", "missing region (give a 'region' column or --region)")
    ]


def test_a_file_without_a_name_column_is_refused_whole(tmp_path: Path, cli: CliRunner) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("title;phones\nX;8 (3812) 78-48-16\n", encoding="utf-8")
    result = cli.invoke(app, ["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "missing required column(s) name; the header row has 'title', 'phones'" in (
        " ".join(result.output.split())
    )


def test_reimport_updates_in_place_and_deactivates_vanished_contacts(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "v1.csv"
    path.write_text(HEADER + GOOD_OMSK, encoding="utf-8")
    import_directory(path, engine=engine)
    path.write_text(
        HEADER + GOOD_OMSK.replace(" +7(3812)63-19-80", "").replace("г. Омск", "г. Омск, ул. Мира"),
        encoding="utf-8",
    )
    report = import_directory(path, engine=engine)
    assert report.stats is not None
    assert report.stats.organisations_updated == 1
    assert report.stats.contacts_deactivated == 1
    with session_scope(engine) as session:
        [org] = list_organisations(session=session)
        assert org.address == "г. Омск, ул. Мира"
        assert org.id is not None
        phones = {
            c.value: c.active
            for c in list_contacts(session=session, organisation_id=org.id)
            if c.channel == "phone"
        }
        assert phones == {"+73812631910": True, "+73812631980": False}
    # Published again later: the same contact row comes back to life, no duplicate.
    path.write_text(HEADER + GOOD_OMSK, encoding="utf-8")
    report = import_directory(path, engine=engine)
    assert report.stats is not None and report.stats.contacts_created == 0
    assert report.stats.contacts_updated == 1


def test_reimport_keeps_an_operators_correction(tmp_path: Path, engine: Engine) -> None:
    from storage.corrections import correct_contact

    path = tmp_path / "v1.csv"
    path.write_text(HEADER + GOOD_OMSK, encoding="utf-8")
    import_directory(path, engine=engine)
    with session_scope(engine) as session:
        [org] = list_organisations(session=session)
        assert org.id is not None
        old = next(
            c
            for c in list_contacts(session=session, organisation_id=org.id)
            if c.value == "+73812631980"
        )
        assert old.id is not None
        correct_contact(
            session=session,
            contact=old,
            kind="outdated",
            raw="+7 (3812) 63-19-81",
            value="+73812631981",
            extension=None,
            actor="operator1",
            reason="номер изменился",
        )
    report = import_directory(path, engine=engine)
    assert report.stats is not None and report.stats.contacts_deactivated == 0
    with session_scope(engine) as session:
        values = {c.value: c.active for c in list_contacts(session=session, organisation_id=org.id)}
        assert values["+73812631981"] is True


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_csv_as_excel_writes_it_keeps_doubled_quotes_and_commas_inside_a_name(
    tmp_path: Path, engine: Engine, separator: str
) -> None:
    # Excel quotes a cell holding quotes or the separator and doubles its quotes:
    # "БУ ""КЦСОН ""Надежда"", Тарского района""". Sniffing the header line alone guessed
    # doublequote=False and split the name into two cells.
    name = 'БУ "КЦСОН "Надежда", Тарского района"'
    header = HEADER.rstrip("\n").split(";")
    row = [name, "", "Омская область", "КЦСОН", "г. Тара, ул. Ленина, 1", "", "", "", "", ""]
    row[header.index("phones")] = "8 (38171) 2-30-89, 2-30-46"
    row[header.index("emails")] = "nadezhda@omskmintrud.ru"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerows([header, row])
    assert '"БУ ""КЦСОН ""Надежда"", Тарского района"""' in buffer.getvalue()
    path = tmp_path / "excel.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    report = import_directory(path, engine=engine)
    assert report.rejected == []
    [org] = report.organisations
    assert org.name == name
    assert org.address == "г. Тара, ул. Ленина, 1"
    assert [c.value for c in org.contacts] == [
        "+73817123089",
        "+73817123046",
        "nadezhda@omskmintrud.ru",
    ]


def test_an_address_keeps_its_local_part_as_published_and_stays_one_contact_in_any_case(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "case.csv"
    path.write_text(HEADER + GOOD_OMSK.replace("lubava_kcson@omskmintrud.ru", "CSO-Test@Mail.RU"))
    import_directory(path, engine=engine)
    with session_scope(engine) as session:
        [org] = list_organisations(session=session)
        assert org.id is not None
        [email] = [
            c
            for c in list_contacts(session=session, organisation_id=org.id)
            if c.channel == "email"
        ]
        assert (email.raw, email.value, email.key) == (
            "CSO-Test@Mail.RU",
            "CSO-Test@mail.ru",
            "cso-test@mail.ru",
        )
        first_id = email.id
    # The same mailbox published in another case is the same contact: updated, not replaced.
    path.write_text(HEADER + GOOD_OMSK.replace("lubava_kcson@omskmintrud.ru", "cso-test@mail.ru"))
    report = import_directory(path, engine=engine)
    assert report.stats is not None
    assert (report.stats.contacts_created, report.stats.contacts_deactivated) == (0, 0)
    with session_scope(engine) as session:
        [email] = [
            c
            for c in list_contacts(session=session, organisation_id=org.id)
            if c.channel == "email"
        ]
        assert (email.id, email.value) == (first_id, "cso-test@mail.ru")


def _monday_windows(org_input: Any) -> list[tuple[str, str]]:
    spec = parse_campaign(
        {
            "name": "hours",
            "organisations": {"all": True},
            "channels": ["phone"],
            "start": "2026-12-07",  # a Monday
            "end": "2026-12-07",
            "margins": {"after_opening_minutes": 0, "before_closing_minutes": 0},
        }
    )
    windows = windows_for(spec, org_input)
    zone = ZoneInfo(org_input.timezone)
    return [
        (f"{datetime.fromtimestamp(a, zone):%H:%M}", f"{datetime.fromtimestamp(b, zone):%H:%M}")
        for a, b in zip(windows.starts, windows.ends, strict=True)
    ]


def test_unknown_hours_fall_back_to_the_organisations_own_region_and_a_lone_break_is_kept(
    tmp_path: Path, engine: Engine
) -> None:
    rows = [
        GOOD_ROSTOV,  # row 2: no hours given
        # row 3: Rostov No. 37 publishes only its break
        "ЦСО Константиновского района;;rostov;ЦСО;;;8 (86393) 2-13-90;;"
        "перерыв с 12.00 до 12.45.;\n",
        # row 4: text that says nothing about hours
        "ЦСО Аксайского района;;rostov;ЦСО;;;8 (86350) 5-44-95;;по записи;\n",
        # row 5: a region no source document gives default hours for
        "ЦСО Москвы;;moscow;ЦСО;;;8 (495) 123-45-67;;;\n",
    ]
    path = tmp_path / "hours.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    report = import_directory(path, engine=engine, display_name="hours.csv")
    assert report.rejected == []
    warnings = [(w.row, w.reason) for w in report.warnings if w.field == "hours"]
    assert warnings == [
        (
            3,
            "only a break is given in 'перерыв с 12.00 до 12.45.': Ростовская область default "
            "days and hours are used with the published break 12:00-12:45",
        ),
        (
            4,
            "no working days and hours found in 'по записи'; Ростовская область default hours "
            "are used",
        ),
        (
            5,
            "working hours not given and Москва has no default schedule: imported with working "
            "hours unknown",
        ),
    ]
    with session_scope(engine) as session:
        orgs = list(list_organisations(session=session))
        inputs = {
            o.name: i
            for o, i in zip(
                orgs,
                plan_inputs(session=session, organisations=orgs, channels=["phone"]),
                strict=True,
            )
        }
        assert {o.name: o.hours["assumed"] if o.hours else None for o in orgs} == {
            "МБУ ЦСО г. Азова": "Ростовская область: default hours",
            "ЦСО Константиновского района": (
                "Ростовская область: default hours, published break 12:00-12:45"
            ),
            "ЦСО Аксайского района": "Ростовская область: default hours",
            "ЦСО Москвы": None,
        }
    # The Rostov ministry's hours (seed 004: Mon-Thu 9:00-18:00, break 13:00-13:45), not Omsk's
    # (8:30-17:45, lunch 13-14), even though the Moscow organisation in the same time zone with
    # the same (empty) text has no hours.
    assert _monday_windows(inputs["МБУ ЦСО г. Азова"]) == [("09:00", "13:00"), ("13:45", "18:00")]
    assert _monday_windows(inputs["ЦСО Константиновского района"]) == [
        ("09:00", "12:00"),
        ("12:45", "18:00"),
    ]
    assert _monday_windows(inputs["ЦСО Москвы"]) == [("08:30", "13:00"), ("14:00", "17:45")]


SHARED = [
    # row 2: Rostov No. 38 as seed 004 publishes it
    "МБУ «ЦСО» Красносулинского района;;rostov;ЦСО;;;"
    "тел: 8(86367) 5-63-18, 5-63-19;cso_ks@mail.ru;;\n",
    # row 3: No. 45 publishes No. 38's phones; its own address
    "МБУСО «ЦСО на дому Мясниковского района»;;rostov;ЦСО;;;"
    "тел: 8(86367) 5-63-18, 5-63-19;myasn_cso@mail.ru;;\n",
    # row 4: an e-mail address shared with row 2, its own phone
    "ЦСО Азова;;rostov;ЦСО;;;8(86342) 4-03-61;CSO_KS@mail.ru;;\n",
]
HELD_38 = (
    "also published by row 3 (МБУСО «ЦСО на дому Мясниковского района»): not called until an "
    "operator confirms it is this organisation's"
)


def test_a_contact_two_organisations_publish_is_reported_held_and_not_planned_until_confirmed(
    tmp_path: Path, engine: Engine, cli: CliRunner
) -> None:
    path = tmp_path / "shared.csv"
    path.write_text(HEADER + "".join(SHARED), encoding="utf-8")
    result = cli.invoke(app, ["directory", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(w["row"], w["field"], w["reason"]) for w in report["warnings"]] == [
        (2, "phones", f"'8(86367) 5-63-18' {HELD_38}"),
        (2, "phones", f"'5-63-19' {HELD_38}"),
        (
            2,
            "emails",
            "'cso_ks@mail.ru' also published by row 4 (ЦСО Азова): not called until an "
            "operator confirms it is this organisation's",
        ),
        (
            3,
            "phones",
            "'8(86367) 5-63-18' also published by row 2 (МБУ «ЦСО» Красносулинского "
            "района): not called until an operator confirms it is this organisation's",
        ),
        (
            3,
            "phones",
            "'5-63-19' also published by row 2 (МБУ «ЦСО» Красносулинского района): "
            "not called until an operator confirms it is this organisation's",
        ),
        (
            4,
            "emails",
            "'CSO_KS@mail.ru' also published by row 2 (МБУ «ЦСО» Красносулинского района): not "
            "called until an operator confirms it is this organisation's",
        ),
    ]
    text = cli.invoke(app, ["directory", "import", str(path), "--dry-run"])
    assert "also published by row 3" in text.output

    def planned() -> dict[str, list[str]]:
        with session_scope(engine) as session:
            orgs = list(list_organisations(session=session))
            inputs = plan_inputs(session=session, organisations=orgs, channels=["phone", "email"])
            values = {
                c.id: c.value
                for o in orgs
                for c in list_contacts(session=session, organisation_id=o.id or 0)
            }
            return {
                o.name: sorted(values[c.id] or "" for c in i.contacts)
                for o, i in zip(orgs, inputs, strict=True)
            }

    assert planned() == {
        "МБУ «ЦСО» Красносулинского района": [],
        "МБУСО «ЦСО на дому Мясниковского района»": ["myasn_cso@mail.ru"],
        "ЦСО Азова": ["+78634240361"],
    }
    with session_scope(engine) as session:
        first = list_organisations(session=session)[0]
        contacts = list_contacts(session=session, organisation_id=first.id or 0)
        assert {c.held for c in contacts} == {"shared"}
        held = {c.value: held_english(c.held or "", c.held_values) for c in contacts}
        assert held == {
            "+78636756318": HELD_38,
            "+78636756319": HELD_38,
            "cso_ks@mail.ru": (
                "also published by row 4 (ЦСО Азова): not called until an operator confirms it is "
                "this organisation's"
            ),
        }
        assert not any(c.probeable for c in contacts)
        phone_id = next(c.id for c in contacts if c.value == "+78636756318")
    # The CLI says why in English, from the stored code and values.
    shown = cli.invoke(app, ["directory", "show", str(first.id)])
    cells = [line.split("│") for line in shown.output.splitlines() if line.startswith("│")]
    notes = " ".join(c[-2].strip() for c in cells)  # the last column, its lines joined
    assert f"held (#{phone_id}): {HELD_38}" in " ".join(notes.split())
    as_json = json.loads(cli.invoke(app, ["directory", "show", str(first.id), "--json"]).stdout)
    phone = next(c for c in as_json["contacts"] if c["id"] == phone_id)
    assert (phone["held"], phone["held_reason"]) == ("shared", HELD_38)
    with session_scope(engine) as session:
        # The operator's organisation page says why the contact is not called, in Russian.
        page = make_templates().env.get_template("organisation.html")
        context = page.new_context(
            {"org": first, "region_name": "", "contacts": contacts, "checks": [], "campaigns": {}}
        )
        html = "".join(page.blocks["content"](context))
        assert html.count("не вызывается: указан и другой организацией") == 3
        assert "действует" not in html

    # The operator's word: No. 38's first number is its own.
    confirmed = cli.invoke(
        app, ["directory", "confirm", str(phone_id), "--reason", "district code 86367"]
    )
    assert confirmed.exit_code == 0, confirmed.output
    again = cli.invoke(app, ["directory", "confirm", str(phone_id)])
    assert again.exit_code == 1
    assert f"contact {phone_id} is not held: nothing to confirm" in again.output
    # A re-import finds the same sharing but keeps the operator's word.
    import_directory(path, engine=engine)
    assert planned()["МБУ «ЦСО» Красносулинского района"] == ["+78636756318"]
    with session_scope(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "confirm_shared")).all()
        assert [(a.entity_id, a.after["reason"]) for a in audit] == [
            (str(phone_id), "district code 86367")
        ]

    # No. 45 publishes its own numbers again: nothing is shared, nothing held.
    path.write_text(
        HEADER
        + SHARED[0]
        + SHARED[1].replace("5-63-18, 5-63-19", "2-11-11")
        + SHARED[2].replace("CSO_KS", "azov"),
        encoding="utf-8",
    )
    report2 = import_directory(path, engine=engine)
    assert [w for w in report2.warnings if "also published" in w.reason] == []
    assert planned()["МБУ «ЦСО» Красносулинского района"] == [
        "+78636756318",
        "+78636756319",
        "cso_ks@mail.ru",
    ]


def test_a_contact_already_published_by_an_organisation_of_another_file_is_held_for_both(
    tmp_path: Path, engine: Engine
) -> None:
    first, second = tmp_path / "krasnosulin.csv", tmp_path / "myasnikovsky.csv"
    first.write_text(HEADER + SHARED[0], encoding="utf-8")
    second.write_text(HEADER + SHARED[1], encoding="utf-8")
    assert import_directory(first, engine=engine).warnings == []
    report = import_directory(second, engine=engine)
    expected = (
        "also published by МБУ «ЦСО» Красносулинского района (krasnosulin.csv, row 2): not "
        "called until an operator confirms it is this organisation's"
    )
    assert [(w.row, w.field, w.reason) for w in report.warnings] == [
        (2, "phones", f"'8(86367) 5-63-18' {expected}"),
        (2, "phones", f"'5-63-19' {expected}"),
    ]
    with session_scope(engine) as session:
        orgs = list_organisations(session=session)
        held = {
            (o.name, c.value): held_english(c.held or "", c.held_values)
            for o in orgs
            for c in list_contacts(session=session, organisation_id=o.id or 0)
            if c.channel == "phone"
        }
        theirs = (
            "also published by МБУСО «ЦСО на дому Мясниковского района» (myasnikovsky.csv, "
            "row 2): not called until an operator confirms it is this organisation's"
        )
        assert held == {
            ("МБУ «ЦСО» Красносулинского района", "+78636756318"): theirs,
            ("МБУ «ЦСО» Красносулинского района", "+78636756319"): theirs,
            ("МБУСО «ЦСО на дому Мясниковского района»", "+78636756318"): expected,
            ("МБУСО «ЦСО на дому Мясниковского района»", "+78636756319"): expected,
        }
        inputs = plan_inputs(session=session, organisations=orgs, channels=["phone"])
        assert [i.contacts for i in inputs] == [(), ()]
        holds = session.exec(select(AuditLog).where(AuditLog.action == "hold_shared")).all()
        assert len(holds) == 2
    # Re-importing either file changes nothing: the same reasons from either side.
    for path in (second, first):
        again = import_directory(path, engine=engine)
        assert again.stats is not None
        assert (again.stats.organisations_unchanged, again.stats.contacts_updated) == (1, 0)
        assert len(again.warnings) == 2

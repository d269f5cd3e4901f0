"""Phone cells as published in the seed documents (000 table 1 column 3, 001 and 004 appendix 1)."""

from __future__ import annotations

import pytest

from probe.directory.phones import ParsedPhone, area_code_of, parse_phones

# (cell, [(raw, E.164, extension, label, is_fax, inferred)]) -- E.164 values checked by hand.
PARSED = [
    (
        "+7(3812) 35-70-00 (доб. номер секретаря 1380)",
        [
            (
                "+7(3812) 35-70-00 (доб. номер секретаря 1380)",
                "+73812357000",
                "1380",
                None,
                False,
                False,
            )
        ],
    ),
    ("8 (381 72) 2-30-89", [("8 (381 72) 2-30-89", "+73817223089", None, None, False, False)]),
    ("8-38-175-2-30-46", [("8-38-175-2-30-46", "+73817523046", None, None, False, False)]),
    ("(8 381 54) 2-20-62", [("(8 381 54) 2-20-62", "+73815422062", None, None, False, False)]),
    ("8 38150 2 11 23", [("8 38150 2 11 23", "+73815021123", None, None, False, False)]),
    ("7 3812 75–27–21", [("7 3812 75–27–21", "+73812752721", None, None, False, False)]),
    ("(3812) 32-49-46 –", [("(3812) 32-49-46", "+73812324946", None, None, False, False)]),
    ("8 (381-62) 2-15- 22", [("8 (381-62) 2-15- 22", "+73816221522", None, None, False, False)]),
    ("+7 (38141) 2-25- 38", [("+7 (38141) 2-25- 38", "+73814122538", None, None, False, False)]),
    ("8(38157) 21 - 122", [("8(38157) 21 - 122", "+73815721122", None, None, False, False)]),
    ("8 (38179) 21 905", [("8 (38179) 21 905", "+73817921905", None, None, False, False)]),
    ("8(38155)-27-415", [("8(38155)-27-415", "+73815527415", None, None, False, False)]),
    ("8 (38160) 22-1-15", [("8 (38160) 22-1-15", "+73816022115", None, None, False, False)]),
    ("8(38158)3-68-68", [("8(38158)3-68-68", "+73815836868", None, None, False, False)]),
    ("7 (38166) 21-0-33", [("7 (38166) 21-0-33", "+73816621033", None, None, False, False)]),
    ("8(38-178) 21-816", [("8(38-178) 21-816", "+73817821816", None, None, False, False)]),
    ("+7 (381) 562-15-08", [("+7 (381) 562-15-08", "+73815621508", None, None, False, False)]),
    (
        "Тел.: 8 (38161) 2- 23-54; 8 (38161) 2-16-61",
        [
            ("8 (38161) 2- 23-54", "+73816122354", None, "тел.", False, False),
            ("8 (38161) 2-16-61", "+73816121661", None, "тел.", False, False),
        ],
    ),
    (
        "+7(3812)63-19-10 +7(3812)63-19-80",
        [
            ("+7(3812)63-19-10", "+73812631910", None, None, False, False),
            ("+7(3812)63-19-80", "+73812631980", None, None, False, False),
        ],
    ),
    (
        "8(38157) 21 - 122 8(38157) 22 - 350",
        [
            ("8(38157) 21 - 122", "+73815721122", None, None, False, False),
            ("8(38157) 22 - 350", "+73815722350", None, None, False, False),
        ],
    ),
    (
        "8 38150 2 11 23 8 38150 2 17 98 8 38150 2 19 57",
        [
            ("8 38150 2 11 23", "+73815021123", None, None, False, False),
            ("8 38150 2 17 98", "+73815021798", None, None, False, False),
            ("8 38150 2 19 57", "+73815021957", None, None, False, False),
        ],
    ),
    (
        "+7(3812) 54-28-88 +7(3812) 35-70-00 (доб. номер секретаря 1380) +7(3812) 97-97-18 "
        "8 (3812)46-61-21",
        [
            ("+7(3812) 54-28-88", "+73812542888", None, None, False, False),
            (
                "+7(3812) 35-70-00 (доб. номер секретаря 1380)",
                "+73812357000",
                "1380",
                None,
                False,
                False,
            ),
            ("+7(3812) 97-97-18", "+73812979718", None, None, False, False),
            ("8 (3812)46-61-21", "+73812466121", None, None, False, False),
        ],
    ),
    (
        "8(86394) 7-07-36, 5-63-19",
        [
            ("8(86394) 7-07-36", "+78639470736", None, None, False, False),
            ("5-63-19", "+78639456319", None, None, False, True),
        ],
    ),
    (
        "8(38153) 2-31-39 (приемная)",
        [("8(38153) 2-31-39 (приемная)", "+73815323139", None, "приемная", False, False)],
    ),
    (
        "8 (3812) 35-70-00 (доб. 56-00)",
        [("8 (3812) 35-70-00 (доб. 56-00)", "+73812357000", "5600", None, False, False)],
    ),
    (
        "8 (3812) 46-61-21 вн. 12",
        [("8 (3812) 46-61-21 вн. 12", "+73812466121", "12", None, False, False)],
    ),
    (
        "8 (3812) 46-61-21, добавочный 5",
        [("8 (3812) 46-61-21, добавочный 5", "+73812466121", "5", None, False, False)],
    ),
    (
        "8 (3812) 46-61-21 ext. 7",
        [("8 (3812) 46-61-21 ext. 7", "+73812466121", "7", None, False, False)],
    ),
    ("факс 8 (863) 240-60-25", [("8 (863) 240-60-25", "+78632406025", None, "факс", True, False)]),
    (
        "тел./факс 8 (863) 240-60-25",
        [("8 (863) 240-60-25", "+78632406025", None, "тел./факс", False, False)],
    ),
    ("+7 913 123-45-67", [("+7 913 123-45-67", "+79131234567", None, None, False, False)]),
    ("8-913-123-45-67", [("8-913-123-45-67", "+79131234567", None, None, False, False)]),
    # Seed 004: Rostov-on-Don has a 3-digit code, so its local numbers have 7 digits.
    (
        "приемная граждан тел. (863) 234-00-99, 234-17-22;",
        [
            ("(863) 234-00-99", "+78632340099", None, "приемная", False, False),
            ("234-17-22", "+78632341722", None, "приемная", False, True),
        ],
    ),
    (
        "тел. (863) 234 12 99, 264 37 92.",
        [
            ("(863) 234 12 99", "+78632341299", None, "тел.", False, False),
            ("264 37 92", "+78632643792", None, "тел.", False, True),
        ],
    ),
    # Seed 001 "(ф)" marks office No. 18's only number as a fax (issue 14): kept as published,
    # labelled "факс", never called.
    (
        "8 (3816)-52-31-63 (ф)",
        [("8 (3816)-52-31-63 (ф)", "+73816523163", None, "факс", True, False)],
    ),
    (
        "8 (3816)-52-31-63 (ф.)",
        [("8 (3816)-52-31-63 (ф.)", "+73816523163", None, "факс", True, False)],
    ),
]


@pytest.mark.parametrize(("cell", "expected"), PARSED)
def test_every_published_form_parses_to_e164(
    cell: str, expected: list[tuple[str, str, str | None, str | None, bool, bool]]
) -> None:
    parsed = parse_phones(cell)
    assert [(p.raw, p.value, p.extension, p.label, p.is_fax, p.inferred) for p in parsed] == (
        expected
    )
    assert all(p.error is None for p in parsed)


def test_a_rostov_appendix_cell_with_address_phone_fax_and_email_yields_only_the_numbers() -> None:
    cell = (
        "347380, Ростовская область,            г. Волгодонск, ул. Дружбы,          д. 14,\n\n"
        "тел: 8(8639) 23-32-93, 23-32-93, \n\nфакс: 8(8639) 23-32-93, 23-32-93,\n\n"
        "эл. адрес: zso-2@volgodonsk.ru"
    )
    parsed = parse_phones(cell)
    assert [(p.value, p.label, p.is_fax, p.inferred) for p in parsed] == [
        ("+78639233293", "тел.", False, False),
        ("+78639233293", "тел.", False, True),
        ("+78639233293", "факс", True, False),
        ("+78639233293", "факс", True, True),
    ]


def test_an_omsk_appendix_cell_skips_postcode_house_number_and_web_addresses() -> None:
    cell = (
        "644007, г. Омск, ул. Яковлева, д. 6, 8 (3812) 25-25-01, www.mtsr.omskportal.ru, "
        "www.omskmintrud.ru"
    )
    assert [p.value for p in parse_phones(cell)] == ["+73812252501"]


def test_the_pdf_shifted_area_code_still_gives_the_right_number() -> None:
    # Seed 001 prints "(3814) 12-36-40" for the district code 38141: the digits are what count.
    assert [p.value for p in parse_phones("8 (3814) 12-36-40")] == ["+73814123640"]


def test_local_numbers_borrow_the_default_area_code_when_no_sibling_has_one() -> None:
    parsed = parse_phones("2-15-53, 2-16-34, 2-24-89", default_area_code="(38174)")
    assert [(p.value, p.inferred, p.error) for p in parsed] == [
        ("+73817421553", True, None),
        ("+73817421634", True, None),
        ("+73817422489", True, None),
    ]


def test_a_sibling_area_code_wins_over_the_default() -> None:
    parsed = parse_phones("8(86394) 7-07-36, 5-63-19", default_area_code="3812")
    assert [p.value for p in parsed] == ["+78639470736", "+78639456319"]


ERRORS = [
    (
        "2-15-53, 2-16-34",
        None,
        [
            (
                "2-15-53",
                "local number '2-15-53' has no area code: no sibling number and no "
                "default area code",
            ),
            (
                "2-16-34",
                "local number '2-16-34' has no area code: no sibling number and no "
                "default area code",
            ),
        ],
    ),
    (
        "54-37-76",
        None,
        [
            (
                "54-37-76",
                "local number '54-37-76' has no area code: no sibling number and no "
                "default area code",
            )
        ],
    ),
    (
        "2-15-53",
        "3812",
        [
            (
                "2-15-53",
                "local number '2-15-53' does not fit area code 3812 (the default area "
                "code): 4 + 5 digits, a Russian number has 10",
            )
        ],
    ),
    (
        "8 (3812) 46-61-21, 2-15-53",
        None,
        [
            ("8 (3812) 46-61-21", None),
            (
                "2-15-53",
                "local number '2-15-53' does not fit area code 3812 (from a sibling "
                "number): 4 + 5 digits, a Russian number has 10",
            ),
        ],
    ),
    (
        "8 (3812) 12",
        None,
        [
            (
                "8 (3812) 12",
                "phone number '8 (3812) 12' has 7 digits, expected 11 (trunk prefix 8 + 10 digits)",
            )
        ],
    ),
    (
        "+7 (3812) 35-70",
        None,
        [
            (
                "+7 (3812) 35-70",
                "phone number '+7 (3812) 35-70' has 9 digits, expected 11 "
                "(country code +7 + 10 digits)",
            )
        ],
    ),
    (
        "(3812) 35-70-0",
        None,
        [
            (
                "(3812) 35-70-0",
                "phone number '(3812) 35-70-0' has 9 digits, expected 10 (area "
                "code + local number)",
            )
        ],
    ),
    (
        "8 (212) 345-67-89",
        None,
        [
            (
                "8 (212) 345-67-89",
                "'+72123456789' (from '8 (212) 345-67-89') is not a valid Russian phone number",
            )
        ],
    ),
    (
        "+1 202 555 01 23",
        None,
        [("+1 202 555 01 23", "phone number '+1 202 555 01 23' is not a Russian (+7) number")],
    ),
    ("нет данных", None, [("нет данных", "cannot find a phone number in 'нет данных'")]),
]


@pytest.mark.parametrize(("cell", "default", "expected"), ERRORS)
def test_unusable_numbers_carry_an_exact_reason(
    cell: str, default: str | None, expected: list[tuple[str, str | None]]
) -> None:
    parsed = parse_phones(cell, default_area_code=default)
    assert [(p.raw, p.error) for p in parsed] == expected
    assert all((p.value is None) == (p.error is not None) for p in parsed)
    assert not any(p.inferred for p in parsed if p.value is None)


def test_an_empty_cell_has_no_numbers() -> None:
    assert parse_phones("  \n ") == []


def test_parsed_phone_is_immutable() -> None:
    phone = parse_phones("8 (3812) 46-61-21")[0]
    assert isinstance(phone, ParsedPhone)
    with pytest.raises(AttributeError):
        phone.value = "+70000000000"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("e164", "code"),
    [
        ("+73812357000", "3812"),
        ("+73817223089", "38172"),
        ("+73815422062", "38154"),
        ("+78639470736", "86394"),
        ("+78632333133", "863"),
        ("+78634611102", "8634"),
        ("+78634243235", "86342"),
        ("+78635222546", "8635"),
        ("+78636222510", "8636"),
        ("+78639222939", "8639"),
        ("+74951234567", "495"),
        ("+79131234567", None),
        ("+12025550123", None),
        ("not a number", None),
    ],
)
def test_area_code_of_a_number(e164: str, code: str | None) -> None:
    assert area_code_of(e164) == code

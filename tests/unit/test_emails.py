"""E-mail cells as published in the seed documents (000 table 2, 001 and 004 appendix 1)."""

from __future__ import annotations

import pytest

from probe.directory.emails import ParsedEmail, parse_emails

SPLIT = [
    ("lubava_kcson@omskmintrud.ru", ["lubava_kcson@omskmintrud.ru"]),
    (
        "isilkul_kcson@omskmintrud.ru tevriz_kcson@omskmintrud.ru",
        ["isilkul_kcson@omskmintrud.ru", "tevriz_kcson@omskmintrud.ru"],
    ),
    (
        "murom_cso@omskmintrud.ru,\nBYKCSO@yandex.ru",
        ["murom_cso@omskmintrud.ru", "BYKCSO@yandex.ru"],
    ),
    ("a@mail.ru; b@mail.ru", ["a@mail.ru", "b@mail.ru"]),
    ("e-mail: a@mail.ru; Эл. почта: b@mail.ru", ["a@mail.ru", "b@mail.ru"]),
    ("E-mail: cso-aksay@mail.ru", ["cso-aksay@mail.ru"]),
    (
        "эл. адрес: cso@remont.donpac.ru,\nremcso@mail.ru",
        ["cso@remont.donpac.ru", "remcso@mail.ru"],
    ),
    ("csonzv@mail.ru.", ["csonzv@mail.ru"]),
    ("(csonzv@mail.ru)", ["csonzv@mail.ru"]),
    ("CSOOKT@mail.RU", ["CSOOKT@mail.ru"]),
    ("CSO-Test@Mail.RU", ["CSO-Test@mail.ru"]),
    ("Kalachin_kcson@omskmintrud.ru", ["Kalachin_kcson@omskmintrud.ru"]),
    (
        '<a href="mailto:gb.mse.omsk@gmail.com">gb.mse.omsk@gmail.com</a>',
        ["gb.mse.omsk@gmail.com"],
    ),
    (
        "644007, г. Омск, ул. Булатова, д. 68, 8 (3812) 35-70-00 (доб. 56-00), omsk@omskmintrud.ru",
        ["omsk@omskmintrud.ru"],
    ),
    # A space next to "_", "." "-" or "@" left by PDF conversion is unambiguous: joined.
    ("kcson_ omsk@mail.ru", ["kcson_omsk@mail.ru"]),
    ("kcson_omsk @mail.ru", ["kcson_omsk@mail.ru"]),
    ("kcson_omsk@ mail.ru", ["kcson_omsk@mail.ru"]),
    # An all-Cyrillic domain is a real internationalised domain, not a typo.
    ("info@школа.рф", ["info@школа.рф"]),
]


@pytest.mark.parametrize(("cell", "expected"), SPLIT)
def test_a_cell_is_split_into_addresses_with_only_the_domain_lower_cased(
    cell: str, expected: list[str]
) -> None:
    parsed = parse_emails(cell)
    assert [p.value for p in parsed] == expected
    assert all(p.error is None for p in parsed)


def test_raw_keeps_the_address_as_published() -> None:
    assert parse_emails("E-mail: MYCSO780@rambler.ru ") == [
        ParsedEmail(raw="MYCSO780@rambler.ru", value="MYCSO780@rambler.ru", why=None)
    ]
    assert parse_emails("kcson_ omsk@mail.ru")[0].raw == "kcson_ omsk@mail.ru"


ERRORS = [
    (
        "vдох_omsk@mail.ru",
        "Cyrillic letter 'д' in a Latin address 'vдох_omsk@mail.ru' (position 2); "
        "did you mean 'vdoh_omsk@mail.ru'?",
    ),
    (
        "isilkul_kcson@mtsр.omsportal.ru",
        "Cyrillic letter 'р' in a Latin address 'isilkul_kcson@mtsр.omsportal.ru' "
        "(position 18); did you mean 'isilkul_kcson@mtsp.omsportal.ru'?",
    ),
    (
        "эл. адрес: сsovor@yandex.ru",
        "Cyrillic letter 'с' in a Latin address 'сsovor@yandex.ru' (position 1); "
        "did you mean 'csovor@yandex.ru'?",
    ),
    (
        "gorkov tu@omskmintrud.ru",
        "address 'gorkov tu@omskmintrud.ru' has a space inside: could be "
        "'gorkovtu@omskmintrud.ru' or 'gorkov_tu@omskmintrud.ru'; check the published source",
    ),
    (
        "эл. адрес: a-z 1715@yandex.ru",
        "address 'a-z 1715@yandex.ru' has a space inside: could be 'a-z1715@yandex.ru' or "
        "'a-z_1715@yandex.ru'; check the published source",
    ),
    (
        "эл. адрес: cso-veshki.donpac.ru",
        "invalid address 'cso-veshki.donpac.ru': there is no '@'",
    ),
    (
        "ivan..petrov@mail.ru",
        "invalid address 'ivan..petrov@mail.ru': An email address cannot have two periods "
        "in a row.",
    ),
    (
        "ivan@mail",
        "invalid address 'ivan@mail': The part after the @-sign is not valid. It should have "
        "a period.",
    ),
    ("нет", "cannot find an e-mail address in 'нет'"),
]


@pytest.mark.parametrize(("cell", "error"), ERRORS)
def test_a_defective_address_is_reported_not_corrected(cell: str, error: str) -> None:
    parsed = parse_emails(cell)
    assert [(p.value, p.error) for p in parsed] == [(None, error)]


def test_a_bad_address_does_not_hide_the_good_one_next_to_it() -> None:
    parsed = parse_emails("isilkul_kcson@omskmintrud.ru isilkul_kcson@mtsр.omsportal.ru")
    assert [p.value for p in parsed] == ["isilkul_kcson@omskmintrud.ru", None]
    assert parsed[1].error is not None and "position 18" in parsed[1].error


def test_an_empty_cell_has_no_addresses() -> None:
    assert parse_emails(" \n") == []

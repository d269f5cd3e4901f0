"""Headers as mailers really send them: encoded words split, unlabelled or mislabelled, raw
8-bit bytes; read from the raw value (not through email.policy.default's header objects)."""

from __future__ import annotations

import base64

import pytest

from adapters.email.classify import Kind, classify
from adapters.email.decode import decode_words, header_text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_character_split_between_two_encoded_words_is_joined_again() -> None:
    data = "Вопрос".encode()
    assert decode_words(f"=?utf-8?B?{b64(data[:5])}?= =?UTF-8?B?{b64(data[5:])}?=") == "Вопрос"


def test_space_between_encoded_words_is_dropped_and_plain_text_around_them_kept() -> None:
    text = "Re: =?utf-8?Q?=D0=9E=D1=82?=\r\n =?utf-8?Q?=D0=B2=D0=B5=D1=82?= [PRB-AAAAAAAA]"
    assert header_text(text) == "Re: Ответ [PRB-AAAAAAAA]"


def test_an_encoded_word_glued_to_a_prefix_is_decoded() -> None:
    assert header_text("Re:=?utf-8?B?" + b64("Ответ".encode()) + "?=") == "Re:Ответ"


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("x-unknown", "cp1251"), ("windows-1251", "koi8-r"), ("us-ascii", "utf-8")],
)
def test_an_encoded_word_in_an_unknown_or_wrong_charset_is_read_as_russian(
    charset: str, encoding: str
) -> None:
    data = "Ответ на ваше обращение".encode(encoding)
    assert header_text(f"=?{charset}?B?{b64(data)}?=") == "Ответ на ваше обращение"


def test_a_language_suffix_is_ignored_and_broken_base64_left_as_it_is() -> None:
    assert header_text("=?UTF-8*ru?Q?=D0=94=D0=B0?=") == "Да"
    assert header_text("=?utf-8?B?#?= ok") == "=?utf-8?B?#?= ok"


def test_undeclared_8bit_windows_1251_in_a_header_is_decoded() -> None:
    raw = "Ответ на обращение".encode("cp1251").decode("ascii", "surrogateescape")
    assert header_text(raw) == "Ответ на обращение"


def test_the_senders_address_survives_an_encoded_name_holding_a_comma() -> None:
    name = b64("Иванова, Анна (КЦСОН)".encode())
    raw = f"From: =?utf-8?B?{name}?= <Info@Kcson.RU>\r\nSubject: Re: x\r\n\r\nok\r\n".encode()
    assert classify(raw).from_address == "info@kcson.ru"


def test_auto_reply_wording_is_found_in_any_case_and_quoted_as_written() -> None:
    raw = "From: a@b.ru\r\nSubject: АВТОМАТИЧЕСКИЙ ОТВЕТ\r\n\r\nМеня нет.\r\n".encode()
    found = classify(raw)
    assert found.kind is Kind.AUTO_REPLY
    assert found.auto_reply_reason == "auto-reply wording: 'АВТОМАТИЧЕСКИЙ ОТВЕТ'"

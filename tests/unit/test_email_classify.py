"""The classifier over a corpus of real-world-shaped messages, each with its expected verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.email.classify import classify

CORPUS = Path(__file__).parent / "email_corpus"
PROBE_ID = "<prb-xtt2d3yn.1.1@prober.test>"
TOKEN = "PRB-XTT2D3YN"
SUBJECT = f"Вопрос о ежемесячной выплате на ребёнка [{TOKEN}]"

# file -> kind, what links it to the probe, and the facts that must be read from it
EXPECTED: dict[str, dict[str, object]] = {
    "human_reply_utf8_quoted_printable.eml": {
        "kind": "human_reply", "in_reply_to": PROBE_ID, "subject": f"Re: {SUBJECT}",
    },
    "human_reply_koi8r_8bit_token_in_body.eml": {
        "kind": "human_reply", "matched_token": TOKEN, "in_reply_to": None,
        "subject": "Ответ на обращение", "text": "обратитесь в МФЦ",
    },
    "human_reply_cp1251_base64_references_only.eml": {
        "kind": "human_reply", "references": ["<other@x.ru>", PROBE_ID],
        "subject": f"RE: {SUBJECT}", "text": "Регистрация по месту пребывания",
    },
    "human_reply_html_only_cp1251.eml": {
        "kind": "human_reply", "in_reply_to": PROBE_ID, "text": "Обратитесь в МФЦ.",
    },
    "human_reply_raw_8bit_cp1251_subject_mislabelled_body.eml": {
        "kind": "human_reply", "subject": f"Re: {SUBJECT}", "text": "С уважением",
    },
    "human_reply_that_opens_with_an_acknowledgement.eml": {"kind": "human_reply"},
    "auto_reply_rfc3834_auto_submitted.eml": {
        "kind": "auto_reply", "auto_reply_reason": "Auto-Submitted: auto-replied",
    },
    "auto_reply_x_autoreply_header.eml": {
        "kind": "auto_reply", "auto_reply_reason": "X-Autoreply: yes",
    },
    "auto_reply_precedence_bulk_with_wording_no_auto_submitted.eml": {
        "kind": "auto_reply", "auto_reply_reason": "Precedence: bulk with auto-reply wording",
    },
    "auto_reply_exchange_subject_wording_only.eml": {
        "kind": "auto_reply", "auto_reply_reason": "auto-reply wording: 'Автоответ'",
    },
    "auto_reply_short_acknowledgement_no_headers.eml": {
        "kind": "auto_reply",
        "auto_reply_reason": "acknowledgement wording: 'Ваше обращение зарегистрировано'",
    },
    "bounce_postfix_rfc3464_user_unknown.eml": {
        "kind": "bounce", "original_message_id": PROBE_ID, "matched_token": TOKEN,
        "bounce": {
            "status": "5.1.1", "action": "failed", "recipient": "nobody@kcson-omsk.ru",
            "diagnostic": "550 5.1.1 <nobody@kcson-omsk.ru>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
        },
    },
    "bounce_exchange_rfc3464_mailbox_full_headers_only.eml": {
        "kind": "bounce", "original_message_id": PROBE_ID,
        "bounce": {
            "status": "5.2.2", "action": "failed", "recipient": "secretary@minsoc.ru",
            "diagnostic": "552 5.2.2 Mailbox full",
        },
    },
    "bounce_yandex_prose_russian.eml": {
        "kind": "bounce", "original_message_id": PROBE_ID,
        "bounce": {
            "status": "5.7.1", "action": "failed", "recipient": "kcson-old@yandex.ru",
            "diagnostic": "550 5.7.1 Policy rejection on the target address",
        },
    },
    "bounce_exim_prose_english.eml": {
        "kind": "bounce", "original_message_id": PROBE_ID,
        "bounce": {
            "status": "5.0.0", "action": "failed", "recipient": "info@kcson32.ru",
            "diagnostic": "550 No Such User Here",
        },
    },
    "delay_postfix_rfc3464_delayed.eml": {
        "kind": "delay", "original_message_id": PROBE_ID,
    },
    "delay_prose_russian.eml": {
        "kind": "delay", "linked": False,
        "bounce": {
            "status": "4.4.2", "action": "delayed", "recipient": "info@kcson77.ru",
            "diagnostic": "421 4.4.2 Connection timed out",
        },
    },
    "unrelated_newsletter_precedence_bulk.eml": {"kind": "unrelated", "matched_token": None},
}  # fmt: skip


def test_every_corpus_message_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_is_classified_as_expected(name: str) -> None:
    result = classify((CORPUS / name).read_bytes())
    decision = result.as_json()
    for key, expected in EXPECTED[name].items():
        if key == "text":
            assert expected in result.text
        elif key == "linked":
            assert bool(result.linked_ids() or result.matched_token) is expected
        else:
            assert decision[key] == expected, key


def test_a_real_sieve_vacation_reply_is_an_auto_reply() -> None:
    raw = (
        b"From: org1@org.test\r\nTo: prober@prober.test\r\nAuto-Submitted: auto-replied "
        b"(vacation)\r\nPrecedence: bulk\r\n"
        b"Subject: =?utf-8?b?0JDQstGC0L7QvtGC0LLQtdGC?=\r\n\r\nx\r\n"
    )
    assert classify(raw).auto_reply_reason == "Auto-Submitted: auto-replied (vacation)"


def test_garbage_bytes_are_unrelated_not_an_error() -> None:
    assert classify(b"\x00\xff not a message at all").kind.value == "unrelated"

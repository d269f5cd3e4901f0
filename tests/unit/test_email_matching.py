"""Matching a message to its probe, strongest evidence first; the probe's identity and options."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.email.classify import Classified, Kind
from adapters.email.config import Config
from adapters.email.imap import mailbox_arg, parse_fetch, parse_internaldate
from adapters.email.matching import Candidate, match, subject_core
from adapters.email.message import find_token, identity_for
from probe.channels import ProbeTarget
from probe.scoring.names import Channel
from probe.settings import Settings

SENT = datetime(2025, 3, 4, 5, 0, tzinfo=UTC)
A = Candidate(
    1, "<a@prober.test>", "PRB-AAAAAAAA", "info@org.ru", "Вопрос о выплате [PRB-AAAAAAAA]", SENT
)
B = Candidate(
    2,
    "<b@prober.test>",
    "PRB-BBBBBBBB",
    "info@org.ru",
    "Вопрос о выплате [PRB-BBBBBBBB]",
    SENT + timedelta(hours=1),
)


def reply(**fields) -> Classified:  # type: ignore[no-untyped-def]
    return Classified(kind=fields.pop("kind", Kind.HUMAN_REPLY), **fields)


def test_in_reply_to_wins_over_a_token_of_another_probe() -> None:
    found = match(
        reply(in_reply_to="<a@prober.test>", matched_token="PRB-BBBBBBBB"),
        [A, B],
        received_at=SENT + timedelta(days=1),
    )
    assert (found.check_id, found.method, found.weak) == (1, "in_reply_to", False)


def test_a_bounce_is_matched_by_the_returned_message_id() -> None:
    found = match(
        reply(kind=Kind.BOUNCE, original_message_id="<b@prober.test>"),
        [A, B],
        received_at=SENT + timedelta(hours=2),
    )
    assert (found.check_id, found.method) == (2, "returned_message")


def test_references_are_used_when_in_reply_to_is_missing() -> None:
    found = match(
        reply(references=["<x@y>", "<a@prober.test>"]), [A, B], received_at=SENT + timedelta(days=1)
    )
    assert (found.check_id, found.method) == (1, "references")


def test_the_token_matches_when_headers_are_gone() -> None:
    found = match(reply(matched_token="PRB-BBBBBBBB"), [A, B], received_at=SENT + timedelta(days=1))
    assert (found.check_id, found.method) == (2, "token")


def test_sender_and_subject_match_as_a_last_resort_flagged_weak_to_the_latest_probe() -> None:
    message = reply(from_address="info@org.ru", subject="RE: Re: вопрос о выплате")
    found = match(message, [A, B], received_at=SENT + timedelta(days=1))
    assert (found.check_id, found.method, found.weak) == (2, "sender_subject", True)


def test_a_reply_matches_a_mixed_case_published_address_in_any_case() -> None:
    # The directory keeps a local part as published ("CSO-Test@mail.ru", issue 14); the
    # organisation's server answers from whatever case it likes.
    published = Candidate(
        3, "<c@prober.test>", "PRB-CCCCCCCC", "CSO-Test@mail.ru", "Вопрос о выплате", SENT
    )
    message = reply(from_address="cso-test@MAIL.RU", subject="Re: Вопрос о выплате")
    found = match(message, [published], received_at=SENT + timedelta(days=1))
    assert (found.check_id, found.method) == (3, "sender_subject")


def test_a_message_from_before_the_probe_was_sent_matches_nothing() -> None:
    stale = reply(in_reply_to="<a@prober.test>", matched_token="PRB-AAAAAAAA")
    assert match(stale, [A], received_at=SENT - timedelta(hours=1)) is None


def test_an_unrelated_message_matches_nothing() -> None:
    assert (
        match(
            reply(kind=Kind.UNRELATED, from_address="news@x.ru", subject="Новости"),
            [A, B],
            received_at=SENT + timedelta(days=1),
        )
        is None
    )


def test_subject_core_drops_prefixes_and_the_token() -> None:
    assert subject_core("Ответ: RE: Вопрос о выплате [PRB-AAAAAAAA]") == "вопрос о выплате"


def test_the_same_check_and_attempt_always_get_the_same_identity() -> None:
    settings = Settings(secret_key="k1")
    target = ProbeTarget(
        check_id=42, channel=Channel.EMAIL, value="x@y.ru", attempt=2, campaign_id=3
    )
    first, again = identity_for(target, settings), identity_for(target, settings)
    other = identity_for(
        ProbeTarget(check_id=42, channel=Channel.EMAIL, value="x@y.ru", attempt=3, campaign_id=3),
        settings,
    )
    assert first == again and first != other
    assert first.message_id.endswith(".42.2@localhost>")
    assert find_token(f"re: вопрос [{first.token.lower()}]") == first.token


def test_campaign_options_with_an_unknown_template_are_refused_with_the_choices() -> None:
    with pytest.raises(ValidationError) as error:
        Config.model_validate({"template": "nope"})
    assert (
        "unknown e-mail template 'nope'; one of: benefits, disability, home_care, large_family"
        in str(error.value)
    )


def test_campaign_options_with_an_unknown_key_or_bad_deadline_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Config.model_validate({"deadline": 3})
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Config.model_validate({"deadline_working_days": 0})


def test_mailbox_names_are_sent_in_modified_utf7() -> None:
    assert mailbox_arg("INBOX") == '"INBOX"'
    assert mailbox_arg("Отправленные") == '"&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"'
    assert mailbox_arg("A&B") == '"A&-B"'


def test_a_fetch_reply_is_split_into_messages_with_uid_size_and_date() -> None:
    lines = [
        b'1 FETCH (UID 7 RFC822.SIZE 20 INTERNALDATE "04-Mar-2025 11:00:00 +0600" BODY[]<0> {5}',
        bytearray(b"Hello"),
        b")",
        b"Fetch completed.",
    ]
    (fetched,) = parse_fetch(lines)
    assert (fetched.uid, fetched.size, fetched.raw, fetched.truncated) == (7, 20, b"Hello", True)
    assert fetched.internaldate == datetime(2025, 3, 4, 5, 0, tzinfo=UTC)
    assert parse_internaldate("garbage") is None


def test_probe_mail_classify_prints_the_decision_as_json(cli) -> None:  # type: ignore[no-untyped-def]
    from probe.cli.main import app

    eml = Path(__file__).parent / "email_corpus" / "bounce_postfix_rfc3464_user_unknown.eml"
    result = cli.invoke(app, ["mail", "classify", str(eml), "--json"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["kind"] == "bounce"
    assert decision["bounce"]["status"] == "5.1.1"
    assert decision["original_message_id"] == "<prb-xtt2d3yn.1.1@prober.test>"


def test_probe_mail_classify_refuses_a_missing_or_empty_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from probe.cli.main import app

    missing = cli.invoke(app, ["mail", "classify", str(tmp_path / "none.eml")])
    assert missing.exit_code == 1
    assert f"error: no such file: {tmp_path / 'none.eml'}" in " ".join(missing.output.split())
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"\n")
    result = cli.invoke(app, ["mail", "classify", str(empty)])
    assert result.exit_code == 1
    assert f"error: {empty}: empty file, not a message" in " ".join(result.output.split())


def test_probe_check_email_refuses_what_is_not_an_address(cli) -> None:  # type: ignore[no-untyped-def]
    from probe.cli.main import app

    result = cli.invoke(app, ["check", "email", "not an address"])
    assert result.exit_code == 1
    assert "error: not an e-mail address: 'not an address'" in " ".join(result.output.split())


def test_a_follow_up_is_matched_by_its_token_only_and_ends_with_its_channels_outcomes() -> None:
    """A question asked through a website's form (issue 17 item 3): no Message-ID, no sender
    and subject of its own, so nothing but its token matches it."""
    from adapters.email.outcome import declared_outcome

    question = Candidate(3, "", "PRB-CCCCCCCC", "", "", SENT)
    # An empty subject's core is in every subject: a follow-up must never match weakly.
    assert match(reply(subject="Ответ", from_address=""), [question], received_at=SENT) is None
    assert match(reply(subject="Ответ", from_address=None), [question], received_at=SENT) is None
    found = match(reply(matched_token="PRB-CCCCCCCC"), [A, question], received_at=SENT)
    assert found is not None and (found.check_id, found.method) == (3, "token")
    assert declared_outcome("web", "replied") == "question_answered"
    for ended in ("no_reply", "auto_replied", "bounced"):
        assert declared_outcome("web", ended) == "question_unanswered"
    assert declared_outcome("email", "no_reply") == "no_reply"

"""The review UI's pure parts: sessions, passwords, throttle, e-mail rendering, paths, filters."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from probe.web import labels
from probe.web.evidence import MailView, _ladder_row, evidence_path, parse_mail, sanitise_html
from probe.web.filters import FilterError, QueueQuery, page_position
from probe.web.security import (
    LoginThrottle,
    PasswordPolicyError,
    SessionCodec,
    WebSession,
    hash_password,
    verify_password,
)


def test_a_session_survives_the_round_trip_and_a_tampered_cookie_is_a_new_anonymous_one() -> None:
    codec = SessionCodec("key")
    session = WebSession(user_id=7, stamp="abc")
    back = codec.loads(codec.dumps(session))
    assert (back.user_id, back.stamp, back.csrf, back.dirty) == (7, "abc", session.csrf, False)
    forged = SessionCodec("another key").dumps(WebSession(user_id=1))
    for cookie in (forged, codec.dumps(session)[:-2] + "xx", "garbage", None):
        fresh = codec.loads(cookie)
        assert (fresh.user_id, fresh.dirty) == (None, True)


def test_logging_in_changes_the_csrf_token() -> None:
    session = WebSession()
    before = session.csrf
    session.login(user_id=3, stamp="s")
    assert session.csrf != before and session.csrf_matches(session.csrf)
    assert not session.csrf_matches(before) and not session.csrf_matches(None)


def test_passwords_are_hashed_with_argon2_and_short_ones_refused() -> None:
    hashed = hash_password("long enough password")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "long enough password")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "not-a-real-password")  # the dummy hash never logs in
    with pytest.raises(PasswordPolicyError) as error:
        hash_password("short")
    assert str(error.value) == "password too short: at least 10 characters"


def test_the_throttle_opens_again_when_the_window_has_passed() -> None:
    throttle = LoginThrottle(limit=2, window_s=0.2)
    assert throttle.retry_after("1.2.3.4") == 0
    throttle.failed("1.2.3.4")
    throttle.failed("1.2.3.4")
    assert throttle.retry_after("1.2.3.4") >= 1
    assert throttle.retry_after("5.6.7.8") == 0
    import time

    time.sleep(0.25)
    assert throttle.retry_after("1.2.3.4") == 0


def test_an_unlock_forgets_the_accounts_failures_and_lets_it_past_the_address_limit() -> None:
    throttle = LoginThrottle(limit=4, window_s=60)
    for name in ("colleague", "colleague", "operator", "operator"):
        throttle.failed("10.0.0.1", name)
    throttle.failed("10.0.0.2", "operator")
    assert throttle.retry_after("10.0.0.1", "operator") >= 1
    assert throttle.failing_usernames() == {"colleague", "operator"}
    assert throttle.release("operator") == 3  # at both addresses
    assert throttle.failing_usernames() == {"colleague"}
    throttle.failed("10.0.0.1", "intruder")
    throttle.failed("10.0.0.1", "intruder")
    throttle.failed("10.0.0.1", "intruder")
    # The address is at its limit again, by others: the unlocked account still gets in;
    # everyone else at that address waits.
    assert throttle.retry_after("10.0.0.1", "operator") == 0
    assert throttle.retry_after("10.0.0.1", "colleague") >= 1
    assert throttle.retry_after("10.0.0.1") >= 1


def test_sanitised_html_keeps_text_markup_and_drops_scripts_handlers_and_images() -> None:
    html = (
        '<p onclick="x()">Текст <a href="javascript:alert(1)">ссылка</a> '
        '<a href="https://mintrud.omskportal.ru">сайт</a></p><script>alert(1)</script>'
        '<img src="http://tracker/t.gif"><style>p{}</style><iframe src="x"></iframe>'
    )
    clean = sanitise_html(html)
    assert "script" not in clean and "onclick" not in clean and "<img" not in clean
    assert "javascript:" not in clean and "<iframe" not in clean and "<style" not in clean
    assert '<a href="https://mintrud.omskportal.ru" rel="noopener noreferrer nofollow">' in clean


def test_a_message_with_a_broken_charset_still_shows_its_text() -> None:
    raw = (
        b"From: a@b.ru\r\nSubject: test\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
        b"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
    )
    view = parse_mail(raw, MailView("in", "", "", None, "human_reply"))
    assert view.text == "Привет" and view.sender == "a@b.ru" and view.subject == "test"


def test_evidence_paths_must_stay_inside_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "var"
    (data / "mail").mkdir(parents=True)
    (data / "mail" / "a.eml").write_bytes(b"x")
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", data / "mail" / "link.eml")
    assert evidence_path(data, "mail/a.eml") == (data / "mail" / "a.eml").resolve()
    assert evidence_path(data, str(data / "mail" / "a.eml")) is not None
    for bad in ("../outside.txt", str(tmp_path / "outside.txt"), "mail/link.eml", "mail", "nope"):
        assert evidence_path(data, bad) is None, bad


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"t": "0.1", "dir": "tx", "method": "INVITE", "cseq": 1},
            ("0.1", "→", "INVITE", "cseq: 1"),
        ),
        (
            {"direction": "received", "code": 486, "reason": "Busy Here"},
            ("", "←", "486 Busy Here", ""),
        ),
        ({"event": "hold music detected"}, ("", "", "hold music detected", "")),
        ("INVITE sip:+7381@trunk", ("", "", "INVITE sip:+7381@trunk", "")),
    ],
)
def test_any_shape_of_sip_trace_entry_becomes_a_ladder_row(
    entry: object, expected: tuple[str, str, str, str]
) -> None:
    row = _ladder_row(entry)
    assert (row.at, row.arrow, row.label, row.extra) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (QueueQuery(campaign="abc"), "Неверный номер кампании: «abc»."),
        (QueueQuery(organisation="99999999999"), "Неверный номер организации: «99999999999»."),
        (QueueQuery(channel="fax"), "Неизвестное значение фильтра «канал»: «fax»."),
        (QueueQuery(outcome="great"), "Неизвестное значение фильтра «исход»: «great»."),
        (QueueQuery(age="100"), "Неизвестное значение фильтра «возраст»: «100»."),
    ],
)
def test_a_bad_queue_filter_gets_an_exact_message(query: QueueQuery, message: str) -> None:
    with pytest.raises(FilterError) as error:
        query.to_filter()
    assert str(error.value) == message


@pytest.mark.parametrize("text", ["abc", "-1", "+5", "1.5", str(2**31)])
def test_a_bad_page_position_gets_an_exact_message(text: str) -> None:
    with pytest.raises(FilterError) as error:
        page_position(f" {text} ")
    assert str(error.value) == f"Неверная позиция страницы: «{text}»."


def test_a_page_position_is_an_id_or_nothing() -> None:
    assert [page_position(t) for t in ("", "  ", "0", " 42 ", str(2**31 - 1))] == [
        None, None, 0, 42, 2**31 - 1
    ]  # fmt: skip


def test_queue_links_keep_the_filters_and_drop_empty_ones() -> None:
    query = QueueQuery(region="omsk", outcome="busy")
    assert query.link(after=40) == "/queue?region=omsk&outcome=busy&order=new&after=40"
    assert query.to_filter().region == "omsk"


def test_instants_show_in_the_organisations_own_zone() -> None:
    instant = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert labels.local_time(instant, "Asia/Omsk") == "02.03.2026 10:00:00 (Asia/Omsk)"
    assert labels.local_time(instant, "Nowhere/City") == "02.03.2026 04:00:00 UTC"
    assert labels.local_time(None) == "—"


def test_an_absolute_evidence_path_of_a_data_folder_since_moved_is_read_under_the_new_one(
    tmp_path: Path,
) -> None:
    data = tmp_path / "restored" / "var"
    (data / "evidence" / "000000" / "7").mkdir(parents=True)
    (data / "evidence" / "000000" / "7" / "trace.txt").write_text("INVITE")
    (data / "trace.txt").write_text("not this one")
    old = "/srv/prober/var/evidence/000000/7/trace.txt"
    assert evidence_path(data, old) == (data / "evidence/000000/7/trace.txt").resolve()
    # A bare file name is never looked up: it could be any folder's.
    assert evidence_path(data, "/srv/prober/var/evidence/000000/8/trace.txt") is None
    assert evidence_path(data, "/srv/trace.txt") is None


def test_evidence_paths_are_stored_relative_to_the_data_folder(tmp_path: Path) -> None:
    from adapters.email.evidence import name_raw
    from probe.results import CheckResult, EvidenceRef, evidence_path_in
    from probe.runner import with_relative_evidence
    from probe.scoring.names import Channel, Outcome

    data = tmp_path / "var"
    assert evidence_path_in(data, data / "evidence" / "1" / "a.wav") == "evidence/1/a.wav"
    assert evidence_path_in(data, "evidence/1/a.wav") == "evidence/1/a.wav"
    assert evidence_path_in(data, tmp_path / "elsewhere.wav") == str(tmp_path / "elsewhere.wav")
    now = datetime(2026, 3, 2, tzinfo=UTC)
    result = CheckResult(
        channel=Channel.PHONE, outcome=Outcome.CONNECTED, started_at=now, finished_at=now,
        evidence=[EvidenceRef(kind="recording", path=str(data / "evidence/1/call.wav"))],
    )  # fmt: skip
    assert [e.path for e in with_relative_evidence(result, data).evidence] == [
        "evidence/1/call.wav"
    ]
    kept = name_raw(data / "mail" / "inbound", b"From: a@b.ru\r\n\r\nx", max_bytes=100,
                    data_dir=data)  # fmt: skip
    assert kept.recorded == str(kept.path.relative_to(data)) and kept.path.is_absolute()
    assert kept.ref("eml_inbound").path.startswith("mail/inbound/")

import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from probe.logs import configure_logging, get_logger
from probe.settings import Settings


def test_environment_variables_with_prefix_and_nested_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBE_SMTP__HOST", "127.0.0.2")
    monkeypatch.setenv("PROBE_SMTP__PORT", "2525")
    settings = Settings()
    assert (settings.smtp.host, settings.smtp.port) == ("127.0.0.2", 2525)


def test_toml_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "probe.toml"
    config.write_text('log_level = "DEBUG"\n[imap]\nhost = "127.0.0.3"\nport = 1993\n')
    monkeypatch.setenv("PROBE_CONFIG", str(config))
    monkeypatch.setenv("PROBE_IMAP__PORT", "2993")
    settings = Settings()
    assert settings.log_level == "DEBUG"
    assert settings.imap.host == "127.0.0.3"
    assert settings.imap.port == 2993


def test_a_missing_config_file_is_an_exact_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROBE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ValueError, match=r"PROBE_CONFIG=.*nope.toml: no such file"):
        Settings()


def test_an_unknown_setting_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "probe.toml"
    config.write_text('databse_url = "sqlite:///x.db"\n')
    monkeypatch.setenv("PROBE_CONFIG", str(config))
    with pytest.raises(ValidationError, match="databse_url"):
        Settings()


def test_secrets_are_read_from_secret_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "probe_smtp__password").write_text("s3cret-from-file\n")
    monkeypatch.setenv("PROBE_SECRETS_DIR", str(tmp_path))
    settings = Settings()
    assert settings.smtp.password is not None
    assert settings.smtp.password.get_secret_value() == "s3cret-from-file"
    assert "s3cret" not in repr(settings)


def test_production_refuses_the_development_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="PROBE_SECRET_KEY must be set"):
        Settings()


def test_traffic_is_limited_to_loopback_unless_configured_otherwise() -> None:
    assert Settings().network == "loopback"


def test_secrets_never_reach_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_SMTP__PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("PROBE_SIP__PASSWORD", "tw-token-777")
    settings = Settings()
    stream = io.StringIO()
    configure_logging(fmt="json", secrets=settings.secret_values(), stream=stream)
    log = get_logger(check_id=7)
    log.info("smtp login failed", server_reply="535 bad password hunter2-smtp", password="x")
    log.info("twilio", headers={"Authorization": "Basic abc"}, note="token tw-token-777 used")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    assert "hunter2-smtp" not in text and "tw-token-777" not in text and "Basic abc" not in text
    assert lines[0]["password"] == "[redacted]"
    assert lines[0]["check_id"] == 7
    assert lines[1]["headers"]["Authorization"] == "[redacted]"


def test_library_warnings_reach_the_same_log_redacted_and_their_chatter_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    monkeypatch.setenv("PROBE_SMTP__PASSWORD", "hunter2-smtp")
    stream = io.StringIO()
    configure_logging(fmt="json", secrets=Settings().secret_values(), stream=stream)
    configure_logging(fmt="json", secrets=Settings().secret_values(), stream=stream)  # again
    logging.getLogger("apscheduler.scheduler").warning("job missed; login hunter2-smtp")
    logging.getLogger("apscheduler.executors.default").info("Running job tick")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines == [
        {
            "event": "job missed; login [redacted]",
            "level": "warning",
            "logger": "apscheduler.scheduler",
            "timestamp": lines[0]["timestamp"],
        }
    ]


def test_outage_thresholds_and_control_targets_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from schedules.outage import OutagePolicy

    monkeypatch.setenv("PROBE_OUTAGE__THRESHOLD", "3")
    monkeypatch.setenv("PROBE_OUTAGE__FIRST_PAUSE_SECONDS", "30")
    monkeypatch.setenv("PROBE_OUTAGE__SUSPECT_STREAK", "4")
    monkeypatch.setenv("PROBE_SIP__CONTROL_TARGET", "+73812000001")
    monkeypatch.setenv("PROBE_SMTP__CONTROL_ADDRESS", "control@prober.test")
    settings = Settings()
    policy = OutagePolicy.from_settings(settings.outage)
    assert (policy.threshold, policy.first_pause, policy.max_pause) == (
        3,
        timedelta(seconds=30),
        timedelta(minutes=15),
    )
    assert (policy.suspect_streak, policy.suspect_outcomes) == (4, frozenset({"unavailable"}))
    assert settings.sip.control_target == "+73812000001"
    assert settings.smtp.control_address == "control@prober.test"


def test_an_outage_pause_that_cannot_grow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_OUTAGE__FIRST_PAUSE_SECONDS", "600")
    monkeypatch.setenv("PROBE_OUTAGE__MAX_PAUSE_SECONDS", "60")
    with pytest.raises(
        ValidationError, match="max_pause_seconds must not be shorter than first_pause_seconds"
    ):
        Settings()


def test_a_control_target_that_cannot_be_dialled_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBE_SIP__CONTROL_TARGET", "8 (3812) 35-70-00")
    with pytest.raises(
        ValidationError,
        match=r"control_target must be an E\.164 number or a SIP URI: '8 \(3812\) 35-70-00'",
    ):
        Settings()


def test_the_trunk_registration_expiry_and_retry_come_from_the_environment_and_reach_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.sip.plugin import worker_settings

    assert (Settings().sip.registration_seconds, Settings().sip.registration_retry_seconds) == (
        300,
        30,
    )
    monkeypatch.setenv("PROBE_SIP__REGISTRATION_SECONDS", "120")
    monkeypatch.setenv("PROBE_SIP__REGISTRATION_RETRY_SECONDS", "10")
    workers = worker_settings(Settings())
    assert (workers.registration_seconds, workers.registration_retry_seconds) == (120, 10)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("REGISTRATION_SECONDS", "5", "greater than or equal to 6"),
        ("REGISTRATION_SECONDS", "3601", "less than or equal to 3600"),
        ("REGISTRATION_RETRY_SECONDS", "0", "greater than or equal to 1"),
    ],
)
def test_a_registration_expiry_or_retry_out_of_bounds_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, error: str
) -> None:
    monkeypatch.setenv(f"PROBE_SIP__{name}", value)
    with pytest.raises(ValidationError, match=rf"sip\.{name.lower()}\n  Input should be {error}"):
        Settings()

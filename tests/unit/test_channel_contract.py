"""The channel contract: a channel is what it declares, and the registry is the only truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from probe import metrics, ru
from probe.channels import (
    ChannelSpec,
    ContactKind,
    OutcomeSpec,
    ProbeContext,
    ProbeTarget,
    UnknownChannelError,
    add_plugin,
    channel_failure_outcomes,
    channel_spec,
    get_channel,
    our_failure_outcome,
    our_failure_outcomes,
)
from probe.results import CheckResult


class FormOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: str = "/contacts"


def _normalise_url(raw: str, area_code: str) -> tuple[str, str | None]:
    url = raw.strip().lower()
    if not url.startswith("https://"):
        raise ValueError(f"Адрес формы должен начинаться с https://: «{raw}».")
    return url, None


def _form_spec(backend: str = "http") -> ChannelSpec:
    return ChannelSpec(
        name="webform",
        label="веб-форма",
        backend=backend,
        outcomes=(
            OutcomeSpec("form_answered", "ответили через форму", success=True),
            OutcomeSpec("form_broken", "форма не работает", verdict=True),
            OutcomeSpec("form_send_failed", "сбой отправки формы (наша сторона)", ours=True),
        ),
        config_model=FormOptions,
        contact_kinds=(ContactKind("webform", "адрес формы", normalise=_normalise_url),),
    )


@dataclass
class FormPlugin:
    spec: ChannelSpec

    async def probe(self, target: ProbeTarget, context: ProbeContext) -> CheckResult:
        raise NotImplementedError


@pytest.fixture
def webform() -> Iterator[FormPlugin]:
    plugin = FormPlugin(_form_spec())
    remove = add_plugin(plugin)
    yield plugin
    remove()


def test_an_unknown_channel_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownChannelError, match=r"unknown channel 'fax'; available: email, phone, test, web"
    ):
        channel_spec("fax")


def test_a_channel_added_in_code_is_found_by_its_declared_name(webform: FormPlugin) -> None:
    assert get_channel("webform") is webform
    assert channel_spec("webform").label == "веб-форма"


def test_labels_are_read_from_the_registry(webform: FormPlugin) -> None:
    assert ru.OUTCOMES["form_broken"] == "форма не работает"
    assert ru.CHANNELS["webform"] == "веб-форма"
    assert ru.VALUES["verdict"]["form_broken"] == "исправлено на «форма не работает»"
    # The real channels' words come from their plugins too.
    assert ru.OUTCOMES["busy"] == "занято"
    assert ru.OUTCOMES["unknown"] == "неизвестно"


def test_labels_of_a_channel_that_left_the_registry_are_gone() -> None:
    remove = add_plugin(FormPlugin(_form_spec()))
    remove()
    assert "form_broken" not in ru.OUTCOMES


def test_our_failures_are_the_ones_each_channel_declares(webform: FormPlugin) -> None:
    assert {"failed", "send_failed", "form_send_failed", "unknown"} == our_failure_outcomes()
    assert {"failed", "send_failed", "form_send_failed"} == channel_failure_outcomes()
    assert our_failure_outcome("webform") == "form_send_failed"
    assert our_failure_outcome("phone") == "failed"
    assert our_failure_outcome("email") == "send_failed"


def test_an_outcome_of_another_channel_is_refused_by_the_registry() -> None:
    with pytest.raises(ValueError, match="outcome 'busy' does not belong to channel 'email'"):
        channel_spec("email").outcome("busy")


def test_two_backends_of_one_channel_are_chosen_by_the_settings(webform: FormPlugin) -> None:
    other = FormPlugin(_form_spec(backend="browser"))
    remove = add_plugin(other)
    try:
        with pytest.raises(
            UnknownChannelError,
            match=r"channel 'webform' has backends browser, http: "
            r"choose one with PROBE_BACKENDS__WEBFORM",
        ):
            get_channel("webform", settings=_Chosen({}))
        assert get_channel("webform", settings=_Chosen({"webform": "browser"})) is other
        assert get_channel("webform", settings=_Chosen({"webform": "http"})) is webform
        with pytest.raises(
            UnknownChannelError, match="channel 'webform' has no backend 'pigeon'; available: "
        ):
            get_channel("webform", settings=_Chosen({"webform": "pigeon"}))
    finally:
        remove()


@dataclass
class _Chosen:
    backends: dict[str, str]


def test_the_review_queue_reads_verdict_outcomes_from_the_registry(webform: FormPlugin) -> None:
    from storage.judgements import applicable_judgements, owned_judgements
    from storage.review_queue import failed_outcomes

    assert "form_broken" in failed_outcomes()
    assert "busy" in failed_outcomes() and "failed" not in failed_outcomes()
    assert owned_judgements()["connected"] == ("etiquette", "transfers", "grade")
    assert owned_judgements()["replied"] == ("grade",)
    assert "call_note" in applicable_judgements("connected")
    assert applicable_judgements("form_broken") == ("note", "verdict")


def test_a_corrected_contact_is_normalised_by_the_channel_that_declares_its_kind(
    webform: FormPlugin,
) -> None:
    from probe.web.operations import ActionError, _parse_contact

    assert _parse_contact("webform", " HTTPS://Org.ru/form ", "") == ("https://org.ru/form", None)
    with pytest.raises(ActionError, match="Адрес формы должен начинаться с https://"):
        _parse_contact("webform", "org.ru/form", "")
    assert _parse_contact("phone", "8 (3812) 35-70-00", "") == ("+73812357000", None)
    assert _parse_contact("email", "Info@Org.RU", "") == ("info@org.ru", None)


def test_a_contact_of_an_unknown_kind_is_refused_never_read_as_email() -> None:
    from probe.web.operations import ActionError, _parse_contact

    with pytest.raises(ActionError, match=r"Неизвестный вид контакта: «fax»\."):
        _parse_contact("fax", "info@org.ru", "")


def test_metrics_count_our_failures_by_the_registry() -> None:
    before = metrics.value("probe_our_failures_total", channel="phone", error_class="x_test")
    now = datetime.now(UTC)
    result = CheckResult(
        channel="phone", outcome="failed", started_at=now, finished_at=now, error_class="x_test"
    )
    metrics.observe_result(result, 0.1)
    after = metrics.value("probe_our_failures_total", channel="phone", error_class="x_test")
    assert after == before + 1


def test_a_result_of_an_unknown_channel_is_refused_even_while_pending() -> None:
    with pytest.raises(ValidationError, match="unknown channel 'fax'; available: email, phone"):
        CheckResult(channel="fax", outcome=None, pending=True, started_at=datetime.now(UTC))


def test_a_channel_settings_section_is_validated_by_the_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.sip.config import SipSettings
    from probe.settings import Settings

    monkeypatch.setenv("PROBE_SIP__CONTROL_TARGET", "not-a-number")
    with pytest.raises(
        ValidationError, match=r"sip\.control_target\n  Value error, control_target"
    ):
        Settings()
    monkeypatch.setenv("PROBE_SIP__CONTROL_TARGET", "+73812000000")
    monkeypatch.setenv("PROBE_SIP__ROUTES", '{"+73812000001": ["sip:a@127.0.0.1"]}')
    settings = Settings()
    assert isinstance(settings.sip, SipSettings)
    assert settings.sip.control_target == "+73812000000"
    assert settings.section("sip").routes == {"+73812000001": ["sip:a@127.0.0.1"]}  # type: ignore[attr-defined]


def test_a_settings_section_no_channel_declares_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from probe.settings import Settings

    monkeypatch.setenv("PROBE_TWILIO__AUTH_TOKEN", "x")
    with pytest.raises(
        ValidationError,
        match=(
            "unknown settings section 'twilio'; the channels declare: imap, sip, smtp, speech, web"
        ),
    ):
        Settings()


def test_a_plugin_brings_its_own_settings_section(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from pydantic import SecretStr

    from probe.channels import SettingsSection
    from probe.settings import Settings

    class FormSettings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        user_agent: str = "prober"
        api_key: SecretStr | None = None

    spec = replace(_form_spec(), settings=(SettingsSection("webform", FormSettings),))
    remove = add_plugin(FormPlugin(spec))
    try:
        monkeypatch.setenv("PROBE_WEBFORM__API_KEY", "form-secret-1")
        settings = Settings()
        assert settings.webform.user_agent == "prober"
        assert "form-secret-1" in settings.secret_values()
        monkeypatch.setenv("PROBE_WEBFORM__COLOUR", "red")
        with pytest.raises(ValidationError, match=r"webform\.colour\n  Extra inputs"):
            Settings()
    finally:
        remove()


def test_a_channel_section_comes_from_the_toml_file_and_secret_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from probe.settings import Settings

    config = tmp_path / "probe.toml"
    config.write_text('[sip]\nregistrar = "pbx.example:5060"\n[smtp]\nport = 2525\n')
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "probe_imap__password").write_text("imap-secret-9\n")
    monkeypatch.setenv("PROBE_CONFIG", str(config))
    monkeypatch.setenv("PROBE_SECRETS_DIR", str(secrets))
    settings = Settings()
    assert (settings.sip.registrar, settings.smtp.port) == ("pbx.example:5060", 2525)
    assert settings.imap.password.get_secret_value() == "imap-secret-9"
    assert "imap-secret-9" in settings.secret_values()


def test_the_command_groups_come_from_the_channels_declarations() -> None:
    from typer.testing import CliRunner

    from probe.channels import cli_groups
    from probe.cli.main import app

    groups = cli_groups()
    assert len(groups["check"]) == 3  # probe check email, phone, web
    assert [g.help for g in groups["mail"]] == [
        "Inbound e-mail: classify a message, list unmatched ones."
    ]
    result = CliRunner().invoke(app, ["mail", "--help"])
    assert result.exit_code == 0 and "classify" in result.output and "unmatched" in result.output


def test_suspect_outcomes_are_the_channels_failures_on_the_organisations_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from probe.settings import Settings

    monkeypatch.setenv("PROBE_OUTAGE__SUSPECT_OUTCOMES", '["unavailable", "bounced"]')
    assert Settings().outage.suspect_outcomes == ["unavailable", "bounced"]
    monkeypatch.setenv("PROBE_OUTAGE__SUSPECT_OUTCOMES", '["failed"]')
    with pytest.raises(
        ValidationError, match="'failed' is not a failure on the organisation's side; one of: "
    ):
        Settings()

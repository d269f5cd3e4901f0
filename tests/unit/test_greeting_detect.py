"""The greeting's parts found in a transcript, despite the recogniser's errors (issue 18)."""

from __future__ import annotations

import sys

import pytest

from adapters.sip.greeting import (
    OrganisationNames,
    SpeechUnavailable,
    Transcript,
    analyse_greeting,
    propose,
    speech_unavailable_reason,
)

TARA = OrganisationNames("Комплексный центр социального обслуживания населения Тарского района")
VDOKHNOVENIE = OrganisationNames(
    'Бюджетное учреждение Омской области "Комплексный центр социального обслуживания населения '
    '"Вдохновение" Октябрьского административного округа"',
    'БУ "КЦСОН "Вдохновение"',
)


def _proposal(text: str, names: OrganisationNames = TARA):  # type: ignore[no-untyped-def]
    return propose(Transcript.from_text(text), names)


def test_derived_names_are_the_forms_people_say_on_the_phone() -> None:
    assert {"КЦСОН", "комплексный центр", "центр социального обслуживания"} <= {
        p if p.isupper() else p.lower() for p in TARA.phrases
    }
    assert {"КЦСОН Вдохновение", "центр Вдохновение", "Вдохновение"} <= set(VDOKHNOVENIE.phrases)
    assert not any("учреждение" in p.lower() for p in VDOKHNOVENIE.phrases)


def test_an_empty_organisation_name_is_refused() -> None:
    with pytest.raises(ValueError, match="the organisation's full name is empty"):
        OrganisationNames("  ")


@pytest.mark.parametrize(
    ("text", "names", "etiquette"),
    [
        (
            "Комплексный центр сссоциального послуживания оторского района, специалист по "
            "социальной работе Смирного Ольга Николаевна, здравствуйте!",
            TARA,
            "full",
        ),
        ("КЦСОН Вдохновение, заведующая отделением Петрова Анна Сергеевна.", VDOKHNOVENIE, "full"),
        ("Центр Вдохновение, администратор Крапивина Елена, слушаю.", VDOKHNOVENIE, "full"),
        ("Комплексного центра, здравствуйте.", TARA, "organisation_only"),
        ("Центр социального обслуживания, администратор, слушаю.", TARA, "organisation_only"),
        ("Вдохновение, слушаю вас.", VDOKHNOVENIE, "organisation_only"),
        ("Алло, слушаю вас.", TARA, "none"),
        ("Да, здравствуйте, говорите.", TARA, "none"),
        ("Ольга Николаевна, слушаю.", TARA, "none"),
        ("Здравствуйте, вы позвонили в комплексный центр. Оставьте сообщение.", TARA, "machine"),
        ("Для связи с оператором нажмите ноль.", TARA, "machine"),
    ],
)
def test_each_kind_of_greeting_gets_its_column(
    text: str, names: OrganisationNames, etiquette: str
) -> None:
    proposal = _proposal(text, names)
    assert proposal.etiquette == etiquette, proposal
    assert 0.0 < proposal.confidence <= 1.0


def test_a_garbled_surname_still_gives_the_full_name_by_the_patronymic() -> None:
    proposal = _proposal("Комплексный центр, специалист Хрмпфшвов Илена Викторовна, слушаю.")
    assert proposal.found == {"organisation": True, "full_name": True, "position": True}
    name = next(p for p in proposal.parts if p.part == "full_name")
    assert name.words == "Хрмпфшвов Илена Викторовна"
    assert (name.start, name.end) == (1.2, 2.4)  # words 3 to 5 of 0.4 s each
    assert proposal.column == 7


def test_the_parts_carry_their_words_and_offsets() -> None:
    proposal = _proposal("Комплексный центр, специалист Смирнова Ольга Николаевна.")
    assert [(p.part, p.words, p.start, p.end) for p in proposal.parts] == [
        ("organisation", "Комплексный центр", 0.0, 0.8),
        ("position", "специалист", 0.8, 1.2),
        ("full_name", "Смирнова Ольга Николаевна", 1.2, 2.4),
    ]
    data = proposal.to_dict()
    assert data["etiquette"] == "full" and data["words"][0]["text"] == "Комплексный"


def test_a_recorded_message_is_a_machine_not_a_person() -> None:
    proposal = _proposal("Вы позвонили в комплексный центр, после сигнала оставьте сообщение.")
    assert proposal.etiquette == "machine" and proposal.column is None
    assert proposal.found == {"organisation": False, "full_name": False, "position": False}


def test_silence_proposes_no_introduction_with_low_confidence() -> None:
    proposal = propose(Transcript([], "", "ru"), TARA)
    assert (proposal.etiquette, proposal.confidence) == ("none", 0.5)


def test_without_the_speech_extra_analysis_says_so_and_the_rest_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if not installed
    wav = tmp_path / "greeting.wav"
    wav.write_bytes(b"RIFF")
    with pytest.raises(SpeechUnavailable, match=r"^speech extra not installed"):
        analyse_greeting(wav, TARA)
    assert (speech_unavailable_reason() or "").startswith("speech extra not installed")
    assert _proposal("Комплексный центр, здравствуйте.").etiquette == "organisation_only"

    from typer.testing import CliRunner

    from probe.cli.main import app

    result = CliRunner().invoke(app, ["analyse", "greeting", str(wav), "--organisation", "КЦСОН"])
    assert result.exit_code == 3 and "speech extra not installed" in result.output
    assert CliRunner().invoke(app, ["check", "phone", "--help"]).exit_code == 0


def test_a_model_that_is_not_the_pinned_one_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.sip.greeting import SpeechSettings
    from adapters.sip.greeting.model import MODEL_FILES

    for name in MODEL_FILES:
        (tmp_path / name).write_text("{}")
    settings = SpeechSettings(model_dir=tmp_path)
    reason = speech_unavailable_reason(settings) or ""
    assert f"speech model {tmp_path / 'model.bin'} has SHA-256 " in reason
    assert "refusing to load it" in reason
    with pytest.raises(ValueError, match="model_sha256 must be a SHA-256 digest"):
        SpeechSettings(model_sha256="abc")


def test_greetings_are_packed_in_order_into_passes_of_at_most_28_seconds() -> None:
    from adapters.sip.greeting.batch import _windows

    assert _windows([12.0, 12.0, 3.0, 2.0, 2.0, 20.0]) == [[0, 1], [2, 3, 4], [5]]
    assert _windows([]) == []

"""Russian speech for the organisations the phone tests play: the sandbox's own synthesis
(probe/sandbox/voice.py: festival with festvox-ru, sox), and the test phrases."""

from __future__ import annotations

import pytest

from probe.sandbox.voice import festival_missing, say, silence, ulaw, wav

__all__ = [
    "ANSWER",
    "FULL_GREETING",
    "RECORDED_MESSAGE",
    "require_festival",
    "say",
    "silence",
    "ulaw",
    "wav",
]

# The greeting regulation 001 asks for: organisation, position, full name (issue 14).
FULL_GREETING = (
    "Комплексный центр социального обслуживания Тарского района, специалист по социальной "
    "работе Смирнова Ольга Николаевна, здравствуйте."
)
ANSWER = "Да, конечно. Напишите заявление, и мы запишем вас на приём к специалисту."
RECORDED_MESSAGE = (
    "Здравствуйте, вы позвонили в комплексный центр социального обслуживания. "
    "Перезвоните, пожалуйста, в рабочее время."
)


def require_festival() -> None:
    if festival_missing():
        pytest.fail(f"missing {festival_missing()}: run `scripts/setup.sh --test`")

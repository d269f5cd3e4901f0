"""Indicator 1.2 of the federal methodology (Order of the Ministry of Labour of Russia No. 344н).

"Наличие на официальном сайте организации информации о дистанционных способах обратной связи и
взаимодействия с получателями услуг и их функционирование": 30 points for each remote channel
that is present and works, 100 when more than three work. The function is versioned: an export
prints the version and the formula it used.
"""

from __future__ import annotations

from collections.abc import Sequence

INDICATOR_1_2_VERSION = "344н-1.2/1"
POINTS_PER_CHANNEL = 30
MAXIMUM = 100
FORMULA_RU = (
    "Показатель 1.2 (приказ Минтруда России № 344н): по 30 баллов за каждый дистанционный "
    "способ взаимодействия, который имеется и функционирует (телефон, электронная почта, "
    "электронные сервисы, раздел «Часто задаваемые вопросы», анкета), но не более 100: "
    "П = min(100; 30 × N), где N — число функционирующих способов."
)
FORMULA_EN = (
    "Indicator 1.2 (Order No. 344н): 30 points per remote channel that is present and works "
    "(phone, e-mail, web form, FAQ section, opinion survey), capped at 100: "
    "P = min(100, 30 x N), N = number of working channels."
)


def indicator_1_2(working: Sequence[bool | None]) -> int | None:
    """Points for the channels' working flags; None (pending) when unknown flags could matter.

    A channel not yet judged is None. The result is known without it only when the channels
    already known to work reach the cap.
    """
    known = sum(1 for w in working if w is True)
    points = min(MAXIMUM, POINTS_PER_CHANNEL * known)
    if any(w is None for w in working) and points < MAXIMUM:
        return None
    return points

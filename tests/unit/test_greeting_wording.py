"""The greeting rule's wording (regulation 001, Protocol 6 columns 7-9) where operators read it."""

from __future__ import annotations

from probe.reviews import Etiquette
from probe.web.labels import review_value


def test_column_7_is_the_organisation_the_full_name_and_the_position() -> None:
    text = review_value("etiquette", Etiquette.FULL)
    assert text == "назвал(а) организацию, ФИО и должность (графа 7)"


def test_column_8_is_the_organisation_only_and_column_9_neither() -> None:
    assert review_value("etiquette", Etiquette.ORGANISATION_ONLY) == (
        "назвал(а) только организацию (графа 8)"
    )
    assert review_value("etiquette", Etiquette.NONE) == (
        "не представился(ась) и не назвал(а) организацию (графа 9)"
    )


def test_a_review_of_several_persons_reads_as_one_judgement_each_in_order() -> None:
    assert review_value("etiquette", "organisation_only,,none") == (
        "1) назвал(а) только организацию (графа 8); 2) не оценён; "
        "3) не представился(ась) и не назвал(а) организацию (графа 9)"
    )

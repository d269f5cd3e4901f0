"""What a greeting is made of: positions, patronymics, given names, answering-machine cues."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from adapters.sip.greeting.text import norm

# Usual positions of those who answer a centre's phone (the longest form is looked for first).
POSITIONS = (
    "специалист по социальной работе",
    "ведущий специалист",
    "главный специалист",
    "специалист",
    "заведующая отделением",
    "заведующий отделением",
    "заведующая",
    "заведующий",
    "заместитель директора",
    "директор",
    "социальный работник",
    "администратор",
    "секретарь",
    "дежурный",
    "дежурная",
    "оператор",
    "консультант",
    "методист",
    "психолог",
    "юрист",
    "юрисконсульт",
    "бухгалтер",
    "главный бухгалтер",
    "инспектор",
    "начальник отдела",
    "начальник",
    "руководитель",
    "менеджер",
    "медицинская сестра",
    "медсестра",
    "делопроизводитель",
    "специалист по кадрам",
    "социальный педагог",
)

# Recorded messages and IVR menus; one of these is enough to call the answer a machine.
MACHINE_CUES = (
    "вы позвонили",
    "вы дозвонились",
    "оставьте сообщение",
    "оставьте ваше сообщение",
    "после сигнала",
    "после звукового сигнала",
    "нажмите",
    "наберите добавочный номер",
    "в тональном режиме",
    "ваш звонок очень важен",
    "оставайтесь на линии",
    "все операторы заняты",
    "автоответчик",
    "абонент не может ответить",
    "перезвоните в рабочее время",
    "режим работы",
    "время работы",
    "ожидайте ответа",
    "ожидайте ответа оператора",
    "для связи с оператором",
)

_PATRONYMIC = re.compile(r"(?:ович|евич|овна|евна|ична|инична)$")
_PATRONYMIC_SHORT = re.compile(r"(?:ьич|ич)$")  # Ильич, Кузьмич, Фомич: only capitalised
_NOT_PATRONYMIC = frozenset({"кирпич", "москвич", "различна", "отлична", "публична", "типична"})
_SURNAME = re.compile(
    r"(?:ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ской|ко|ук|юк|ич|ых|их|"
    r"ян|дзе|швили|ер|ман|ий|ая)$"
)


@cache
def given_names() -> tuple[str, ...]:
    text = resources.files("adapters.sip.greeting").joinpath("data/given_names.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(norm(n) for n in lines if n.strip() and not n.startswith("#")))


def is_patronymic(word: str) -> bool:
    plain = norm(word)
    if plain in _NOT_PATRONYMIC or len(plain) < 6:
        return False
    if _PATRONYMIC.search(plain) and len(plain) >= 7:
        return True
    return bool(_PATRONYMIC_SHORT.search(plain) and word[:1].isupper())


def given_name_score(word: str) -> float:
    """1.0 for a listed given name, less for one garbled by a letter or two (0 if unlike)."""
    plain = norm(word)
    if len(plain) < 3:
        return 0.0
    names = given_names()
    if plain in names:
        return 1.0
    if len(plain) < 4:
        return 0.0
    best = process.extractOne(plain, names, scorer=Levenshtein.normalized_similarity)
    return float(best[1]) if best and best[1] >= 0.75 else 0.0


def looks_like_surname(word: str) -> bool:
    plain = norm(word)
    return len(plain) >= 4 and word[:1].isupper() and bool(_SURNAME.search(plain))

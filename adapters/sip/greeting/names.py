"""An organisation's names as people say them on the phone: the full and short names, and
the forms derived from them (the legal form dropped, the type of institution, its initials
«КЦСОН», its own name «Вдохновение», «комплексный центр», «центр социального обслуживания»)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_QUOTES = re.compile(r"[«»\"“”„]")
# Legal forms people do not say: «БУ», «Бюджетное учреждение Омской области», «ГБУ СО».
_LEGAL_ACRONYM = re.compile(r"^(?:[ГМОКБА]{0,3}[БКА]?У(?:СО)?|ГБУ|МБУ|МКУ|ГКУ|ГАУ|ОГБУ)\b\s*")
_LEGAL_WORDS = re.compile(
    r"^(?:(?:государственное|муниципальное|областное|краевое|окружное)\s+)?"
    r"(?:(?:бюджетное|казённое|казенное|автономное|стационарное)\s+)?"
    r"(?:учреждение)\s+(?:социального\s+обслуживания\s+)?"
    r"(?:(?:[А-ЯЁ][а-яё-]+ой|[А-ЯЁ][а-яё-]+ского)\s+(?:области|края|округа|республики)\s+)?",
    re.IGNORECASE,
)
# Head nouns of an institution's type: a usual short form contains one.
_HEADS = ("центр", "управление", "отдел", "дом", "департамент", "служба", "интернат", "приют")
_SKIP = frozenset({"и", "по", "для", "в", "с", "на", "г"})
# Usual names of kinds of institution: a name with the phrase or its initials is also called
# by the other forms («КЦСОН Любава» is a «комплексный центр»).
_USUAL = {
    "комплексный центр социального обслуживания населения": (
        "КЦСОН",
        ("комплексный центр", "центр социального обслуживания", "центр соцобслуживания"),
    ),
    "комплексный центр социального обслуживания": (
        "КЦСО",
        ("КЦСОН", "комплексный центр", "центр социального обслуживания"),
    ),
    "центр социального обслуживания населения": ("ЦСОН", ("центр социального обслуживания",)),
    "управление социальной защиты населения": ("УСЗН", ("управление соцзащиты", "соцзащита")),
    "отдел социальной защиты населения": ("ОСЗН", ("отдел соцзащиты", "соцзащита")),
    "социально-реабилитационный центр": ("СРЦ", ("реабилитационный центр",)),
}


def _clean(name: str) -> str:
    return " ".join(_QUOTES.sub(" ", name).split())


def _core(name: str) -> str:
    """The name without its legal form: what a person answering the phone might say."""
    text = _clean(name)
    text = _LEGAL_ACRONYM.sub("", text)
    return _LEGAL_WORDS.sub("", text).strip()


def _split_type(core: str) -> tuple[list[str], list[str]]:
    """(the type of institution, the rest): the type ends before the first capitalised word."""
    words = core.split()
    for i, word in enumerate(words[1:], start=1):
        if word[:1].isupper():
            return words[:i], words[i:]
    return words, []


def _acronym(words: list[str]) -> str:
    return "".join(w[0] for w in words if w.lower() not in _SKIP).upper()


@dataclass(frozen=True)
class OrganisationNames:
    full: str
    short: str | None = None
    abbreviations: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.full.strip():
            raise ValueError("the organisation's full name is empty")
        derived = [*self.abbreviations, *_derive(self.full), *_derive(self.short or "")]
        unique = tuple(dict.fromkeys(d for d in derived if d))
        object.__setattr__(self, "abbreviations", unique)

    @property
    def phrases(self) -> list[str]:
        """Every form to look for in a greeting, longest first."""
        forms = [
            _core(self.full),
            *([_core(self.short)] if self.short else []),
            *self.abbreviations,
        ]
        unique = {f.lower(): f for f in reversed(forms) if f}
        return sorted(unique.values(), key=len, reverse=True)


def _derive(name: str) -> list[str]:
    core = _core(name)
    if not core:
        return []
    kind, rest = _split_type(core)
    own = [w for w in rest if w[:1].isupper()][:1]  # «Вдохновение», «Тарского»
    forms: list[str] = []
    if len(kind) >= 2:
        initials = _acronym(kind)
        forms += [" ".join(kind), initials, " ".join([initials, *own]) if own else ""]
        lowered = [w.lower() for w in kind]
        heads = [i for i, w in enumerate(lowered) if w in _HEADS]
        if heads:
            h = heads[0]
            forms += [" ".join(kind[: h + 1])] if h > 0 else []  # «комплексный центр»
            forms += [" ".join(kind[h : h + 3])] if len(kind) > h + 2 else []  # «центр соц. обсл.»
            forms += [" ".join([kind[h], *own])] if own else []  # «центр Вдохновение»
    elif kind and kind[0].isupper() and len(kind[0]) >= 3:  # already initials: «КЦСОН ...»
        forms += [kind[0], " ".join([kind[0], *own]) if own else ""]
    lowered_core, initials_in = core.lower(), set(core.split())
    for phrase, (initials, usual) in _USUAL.items():
        if phrase in lowered_core or initials in initials_in:
            forms += [phrase, initials, *usual]
    if own and not own[0].lower().endswith(("ского", "цкого", "ской", "ого")):
        forms.append(own[0])  # its own name alone
    return forms

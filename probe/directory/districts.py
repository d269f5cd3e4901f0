"""The district (район, административный округ) an organisation serves, read from its name or
address as the directories write it: «…Октябрьского административного округа»,
«…Ворошиловского района города Ростова-на-Дону», «Управление … по Азовскому немецкому
национальному району», «…, Тарский район, …». Given in the nominative: «Октябрьский
административный округ», «Ворошиловский район»."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁа-яё][а-яё]+)?"
_ADJ = r"[а-яё]+"
# An adjective or two before the noun, in the genitive, dative or nominative.
_PATTERNS = (
    re.compile(
        rf"({_WORD}(?:\s+{_ADJ}(?:ого|ему|ому|ый|ий|ой))*)\s+(административного\s+|"
        r"административному\s+|административный\s+)?(округа|округу|округ)\b"
    ),
    re.compile(
        rf"({_WORD}(?:\s+{_ADJ}(?:ого|ему|ому|ый|ий|ой))*)\s+(муниципального\s+|муниципальному\s+|"
        r"муниципальный\s+)?(района|району|район)\b"
    ),
)
_NOUNS = {"округа": "округ", "округу": "округ", "района": "район", "району": "район"}
_DROP = {"административного", "административному", "муниципального", "муниципальному"}


def _nominative(word: str) -> str:
    """An adjective of the masculine singular in the nominative: «Тарского», «Тарскому» →
    «Тарский»; «Центрального» → «Центральный»; «Азовскому немецкому» → each in turn."""
    lower = word.lower()
    for ending, stem_tail in (("ого", ""), ("ому", ""), ("его", ""), ("ему", "")):
        if lower.endswith(ending):
            stem = word[: -len(ending)]
            if stem[-1:] in "кгхжшчщц" or stem.endswith(("ск", "цк")):
                return stem + stem_tail + "ий"
            return stem + ("ий" if ending in ("его", "ему") else "ый")
    return word


@lru_cache(maxsize=65536)  # pages group thousands of organisations by it on every view
def district_of(name: str, address: str = "") -> str:
    """The district named in `name`, else in `address`; "" when neither names one."""
    for text in (name, address):
        for pattern in _PATTERNS:
            found = pattern.search(text)
            if found is None:
                continue
            words = [_nominative(w) for w in found.group(1).split()]
            middle = found.group(2)
            if middle and middle.strip() not in _DROP:
                words.append(middle.strip())
            elif middle:
                words.append(_nominative(middle.strip()))
            words.append(_NOUNS.get(found.group(3), found.group(3)))
            return " ".join(words)
    return ""

"""Words of a transcript made comparable: lower case, ё as е, crude Russian stems, and fuzzy
phrase search over windows of words (rapidfuzz), so that «комплексного центра» finds
«комплексный центр» and «послуживания» finds «обслуживания»."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

_LETTERS = re.compile(r"[^0-9a-zа-я]+")
# Inflectional endings, longest first; a stem keeps at least 3 letters.
_ENDING_TEXT = """ыми ими ого его ому ему ая яя ое ее ые ие ый ий ой ей ую юю ых их ым им ом ем
ами ями ах ях ов ев ью ия ии а я о е ы и у ю ь й"""
_ENDINGS = sorted(set(_ENDING_TEXT.split()), key=len, reverse=True)


def norm(word: str) -> str:
    return _LETTERS.sub("", word.lower().replace("ё", "е"))


def stem(word: str) -> str:
    word = norm(word)
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def words_of(text: str) -> list[str]:
    """A phrase as normalised words (hyphens and quotes split words)."""
    return [w for w in (norm(p) for p in re.split(r"[\s\-«»\"“”„'()]+", text)) if w]


@dataclass(frozen=True)
class Match:
    score: float  # 0..1
    first: int  # index of the first matching word of the transcript
    last: int  # index of the last one (inclusive)
    phrase: str


def _aligned(window: list[str], target: list[str]) -> float:
    """Word by word, in order: the mean similarity of each target word to the window word it
    is aligned with (a word the recogniser split or inserted is skipped at a small cost)."""
    n, m = len(target), len(window)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            pair = best[i - 1][j - 1] + fuzz.ratio(target[i - 1], window[j - 1]) / 100.0
            best[i][j] = max(pair, best[i][j - 1], best[i - 1][j])
    return best[n][m] / n - 0.03 * max(0, m - n)


def find_phrase(stems: list[str], phrase: str, *, slack: int = 1) -> Match | None:
    """The window of transcript word stems most like the phrase (0..1), or None: compared as
    one string, and for phrases of several words also word by word."""
    target_words = [stem(w) for w in words_of(phrase)]
    if not target_words or not stems:
        return None
    target = " ".join(target_words)
    best: Match | None = None
    n = len(target_words)
    for size in range(max(1, n - slack), n + slack + (2 if n > 1 else 1)):
        for first in range(0, max(1, len(stems) - size + 1)):
            window = stems[first : first + size]
            if not window:
                continue
            score = fuzz.ratio(" ".join(window), target) / 100.0
            if n > 1 and len(window) >= n:
                score = max(score, _aligned(window, target_words))
            if best is None or score > best.score:
                best = Match(score, first, first + len(window) - 1, phrase)
    return best


def best_of(stems: list[str], phrases: list[str], *, slack: int = 1) -> Match | None:
    found = [m for m in (find_phrase(stems, p, slack=slack) for p in phrases) if m]
    return max(found, key=lambda m: (m.score, -m.first), default=None)

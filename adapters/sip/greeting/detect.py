"""From the words of a greeting to a proposed etiquette column (Protocol No. 6, columns 7-9).

The three parts the regulation asks for are looked for separately, each tolerant of
recognition errors: the organisation (fuzzy, against its names and their usual forms), a full
name (a patronymic is the strong cue; a given name beside a surname-like word too), a position
(a list of the usual ones). A recorded message or an IVR menu is a machine, whatever it says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from adapters.sip.greeting import lexicon
from adapters.sip.greeting.model import Transcript, Word
from adapters.sip.greeting.names import OrganisationNames
from adapters.sip.greeting.text import Match, best_of, norm, stem

Etiquette = Literal["full", "organisation_only", "none", "machine"]
COLUMNS: dict[str, int | None] = {"full": 7, "organisation_only": 8, "none": 9, "machine": None}

# A part is found at or above its threshold; the distance from it makes the confidence.
ORGANISATION_MIN = 0.78
ORGANISATION_ONE_WORD_MIN = 0.86
POSITION_MIN = 0.85
MACHINE_MIN = 0.85
NAME_MIN = 0.7
_PLAIN_TEXT = """здравствуйте добрый доброе день утро вечер слушаю алло да вас это я меня зовут
говорит на связи по и в с"""
_PLAIN = frozenset(_PLAIN_TEXT.split())  # words beside a name that are not part of it


@dataclass(frozen=True)
class Part:
    part: str  # organisation, full_name, position, machine
    words: str
    start: float
    end: float
    score: float


@dataclass
class GreetingProposal:
    etiquette: Etiquette
    found: dict[str, bool]  # organisation, full_name, position
    parts: list[Part]
    confidence: float  # 0..1
    transcript: str
    words: list[Word] = field(default_factory=list)

    @property
    def column(self) -> int | None:
        """Protocol No. 6 column: 7 full, 8 organisation only, 9 none (None: a machine)."""
        return COLUMNS[self.etiquette]

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcript": self.transcript,
            "etiquette": self.etiquette,
            "found": dict(self.found),
            "confidence": self.confidence,
            "parts": [asdict(p) for p in self.parts],
            "words": [asdict(w) for w in self.words],
        }


def _certainty(score: float, threshold: float) -> float:
    """0.5 at the threshold, 1.0 at 0.15 or more away from it, on either side."""
    return 0.5 + 0.5 * min(1.0, abs(score - threshold) / 0.15)


def _part(name: str, words: list[Word], first: int, last: int, score: float) -> Part:
    text = " ".join(w.text for w in words[first : last + 1]).strip(" ,.!?;:")
    return Part(name, text, words[first].start, words[last].end, round(score, 3))


def _organisation(stems: list[str], names: OrganisationNames) -> tuple[float, Match | None]:
    match = best_of(stems, names.phrases)
    if match is None:
        return 0.0, None
    one_word = len(match.phrase.split()) == 1
    # One-word forms (КЦСОН, «Вдохновение») must match more closely than whole phrases.
    score = match.score - (ORGANISATION_ONE_WORD_MIN - ORGANISATION_MIN if one_word else 0.0)
    return score, match


def _full_name(words: list[Word], taken: set[int]) -> tuple[float, int, int]:
    """(score, first, last) of the likeliest full name among the words (score 0: none)."""
    best = (0.0, 0, 0)

    def free(i: int) -> bool:
        return 0 <= i < len(words) and i not in taken and norm(words[i].text) not in _PLAIN

    for i, word in enumerate(words):
        if i in taken:
            continue
        if lexicon.is_patronymic(word.text):
            first, last, score = i, i, 0.6  # a patronymic alone
            if free(i - 1):
                given = lexicon.given_name_score(words[i - 1].text)
                # Given name + patronymic; or a garbled given name still beside a patronymic.
                first, score = i - 1, 1.0 if given >= 0.75 else 0.85
                if free(i - 2) and lexicon.looks_like_surname(words[i - 2].text):
                    first = i - 2
            if free(i + 1) and lexicon.looks_like_surname(words[i + 1].text):
                last = i + 1
            best = max(best, (score, first, last))
            continue
        given = lexicon.given_name_score(word.text)
        if given >= 0.85:
            for j in (i - 1, i + 1):
                if free(j) and lexicon.looks_like_surname(words[j].text):
                    best = max(best, (0.85 * given, min(i, j), max(i, j)))
            best = max(best, (0.5 * given, i, i))
    return best


def propose(transcript: Transcript, names: OrganisationNames) -> GreetingProposal:
    """The proposed etiquette of one greeting, with the parts found, their words and offsets."""
    words = [w for w in transcript.words if norm(w.text)]
    stems = [stem(w.text) for w in words]
    parts: list[Part] = []
    if not words:
        return GreetingProposal("none", _found(False, False, False), [], 0.5, transcript.text)
    recognised = sum(w.probability for w in words) / len(words)
    machine = best_of(stems, list(lexicon.MACHINE_CUES))
    if machine is not None and machine.score >= MACHINE_MIN:
        parts.append(_part("machine", words, machine.first, machine.last, machine.score))
        confidence = (0.5 + 0.5 * recognised) * _certainty(machine.score, MACHINE_MIN)
        return GreetingProposal(
            "machine", _found(False, False, False), parts, round(confidence, 3),
            transcript.text, words,
        )  # fmt: skip
    org_score, org = _organisation(stems, names)
    taken: set[int] = set()
    if org is not None and org_score >= ORGANISATION_MIN:
        parts.append(_part("organisation", words, org.first, org.last, org_score))
        taken |= set(range(org.first, org.last + 1))
    position = best_of(stems, list(lexicon.POSITIONS), slack=0)
    pos_score = position.score if position else 0.0
    if position is not None and pos_score >= POSITION_MIN:
        parts.append(_part("position", words, position.first, position.last, pos_score))
        taken |= set(range(position.first, position.last + 1))
    name_score, first, last = _full_name(words, taken)
    if name_score >= NAME_MIN:
        parts.append(_part("full_name", words, first, last, name_score))
    found = _found(org_score >= ORGANISATION_MIN, name_score >= NAME_MIN, pos_score >= POSITION_MIN)
    etiquette: Etiquette = (
        "full" if all(found.values()) else "organisation_only" if found["organisation"] else "none"
    )
    certainty = _certainty(org_score, ORGANISATION_MIN)
    if etiquette != "none":  # the other two parts decide between columns 7 and 8
        certainty = min(
            certainty, _certainty(name_score, NAME_MIN), _certainty(pos_score, POSITION_MIN)
        )
    elif found["full_name"] or found["position"]:
        certainty = min(certainty, 0.6)  # introduced themselves without the organisation
    confidence = (0.5 + 0.5 * recognised) * certainty
    parts.sort(key=lambda p: p.start)
    return GreetingProposal(etiquette, found, parts, round(confidence, 3), transcript.text, words)


def _found(organisation: bool, full_name: bool, position: bool) -> dict[str, bool]:
    return {"organisation": organisation, "full_name": full_name, "position": position}

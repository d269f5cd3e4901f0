"""The function of every rule that turns measurements and reviews into a protocol verdict.

Each rule has an id cited by the export's notes sheet and by docs/scoring.md; its text, in
Russian (for the assessment team) and English, is in `rule_texts.py`. Changing what a rule
decides means bumping RULES_VERSION, so an export always says which rules produced it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from probe.channels import channel_spec
from probe.results import CheckStatus
from probe.reviews import CallNote, Transfers
from probe.scoring.names import (
    EMAIL_OUTCOMES,
    OUR_FAILURE_OUTCOMES,
    PHONE_OUTCOMES,
    WEB_OUTCOMES,
    Channel,
    Outcome,
)
from probe.scoring.rule_texts import RULES, RULES_BY_ID, RULES_VERSION, Rule

__all__ = ["RULES", "RULES_BY_ID", "RULES_VERSION", "Rule"]


class ReviewLike(Protocol):
    """A review as the rules read it: a storage.models.Review or a row loaded for scoring."""

    @property
    def id(self) -> int | None: ...
    @property
    def value(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


R = TypeVar("R", bound=ReviewLike)

# --- R1-R4: calls --------------------------------------------------------------------------

# The web channel's outcomes (R15), as the protocol parts import them from here.
WEB = Channel.WEB
SITE_CHECKED = Outcome.SITE_CHECKED
SITE_UNREACHABLE = Outcome.SITE_UNREACHABLE
# The outcomes the protocols score, per channel (the protocol parts may name channels).
_SCORED_OUTCOMES: dict[str, frozenset[str]] = {
    Channel.PHONE: PHONE_OUTCOMES,
    Channel.EMAIL: EMAIL_OUTCOMES,
    WEB: WEB_OUTCOMES,
}
_ORG_CAUSED_PHONE = PHONE_OUTCOMES - OUR_FAILURE_OUTCOMES


def newest(reviews: Iterable[R]) -> R | None:
    """The review that wins: the latest created, the higher id on a tie."""
    # A loop, not max(key=...): scoring asks this of mostly empty lists, many times per row.
    best: R | None = None
    for review in reviews:
        if best is None or (review.created_at, review.id or 0) > (best.created_at, best.id or 0):
            best = review
    return best


def effective_outcome(
    channel: str, outcome: str | None, verdicts: Sequence[ReviewLike]
) -> str | None:
    """R4: the outcome after the newest valid operator verdict."""
    # A channel the protocols do not score (one defined in tests): its declared outcomes.
    allowed = _SCORED_OUTCOMES.get(channel) or channel_spec(channel).outcome_names
    valid = [v for v in verdicts if v.value == "confirmed" or v.value in allowed]
    verdict = newest(valid)
    if verdict is not None and verdict.value != "confirmed":
        return verdict.value
    return outcome or None


def counts_as_call(status: str, outcome: str | None) -> bool:
    """R1."""
    return status == CheckStatus.DONE and outcome in _ORG_CAUSED_PHONE


def call_group_key(check_id: int, details: dict[str, Any]) -> tuple[str, int]:
    """R2: checks with equal keys (within one organisation) are one call."""
    group = details.get("call_group")
    if isinstance(group, int) and not isinstance(group, bool):
        return ("logged", group)
    return ("check", check_id)


def call_connected(outcomes: Iterable[str | None]) -> bool:
    """R3."""
    return any(outcome == Outcome.CONNECTED for outcome in outcomes)


# --- R5: column 4 notes ---------------------------------------------------------------------

PHONE_NOTES: dict[str, str] = {
    Outcome.BUSY: "занято",
    Outcome.NO_ANSWER: "не отвечает",
    Outcome.UNAVAILABLE: "номер недоступен",
    Outcome.REJECTED: "вызов сброшен",
    Outcome.ANSWERING_MACHINE: "автоответчик",
}
CALL_NOTES: dict[str, str] = {CallNote.CALLBACK_REQUESTED.value: "попросили перезвонить"}


def dial_note(outcome: str | None, call_note: str | None, written: str | None = None) -> str | None:
    """R5: the Russian note after a dial in column 4, or None.

    `written` is the note as a manual protocol has it, given only while the dial's outcome is
    the one recorded with it: the operator's words win over our fixed list.
    """
    if written:
        return written
    if outcome == Outcome.CONNECTED:
        return CALL_NOTES.get(call_note or "")
    return PHONE_NOTES.get(outcome) if outcome is not None else None


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


# --- R7: transfers measured by the prober ---------------------------------------------------


def transfers_from_count(count: Any) -> Transfers | None:
    """R7: the protocol column for a measured number of transfers; None when not a count."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return None
    if count == 0:
        return Transfers.NONE
    return Transfers.ONCE if count == 1 else Transfers.SEVERAL


# --- R14: etiquette per person answered ----------------------------------------------------

_TRANSFER_COUNTS = {Transfers.NONE.value: 0, Transfers.ONCE.value: 1, Transfers.SEVERAL.value: 2}


def persons_answered(transfers_review: str | None, measured: Any) -> int:
    """R14: persons to judge in a connected call not judged yet: who picked up + one per transfer.

    The operator's transfers review wins ("several" counts two transfers: the least it means),
    then the prober's measured count; with neither, only the one who picked up.
    """
    if transfers_review in _TRANSFER_COUNTS:
        return 1 + _TRANSFER_COUNTS[transfers_review]
    if isinstance(measured, int) and not isinstance(measured, bool) and 0 <= measured < 20:
        return 1 + measured
    return 1


# --- R9-R10: letters ------------------------------------------------------------------------

_NOT_SENT = frozenset({Outcome.SEND_FAILED, Outcome.UNKNOWN})


def counts_as_letter(status: str, outcome: str | None) -> bool:
    """R9."""
    if status == CheckStatus.WAITING:
        return True
    return status == CheckStatus.DONE and outcome is not None and outcome not in _NOT_SENT


def _date_from(value: Any, zone: str) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None  # an instant without a zone is not trusted: R10 wants UTC
    return local(instant, zone).date()


def sent_date(started_at: datetime | None, details: dict[str, Any], zone: str) -> date | None:
    """R9: the day the letter left, in the organisation's time zone."""
    on = _date_from(details.get("sent_on"), zone)
    if on is not None:
        return on
    return local(started_at, zone).date() if started_at else None


def reply_date(
    outcome: str | None,
    finished_at: datetime | None,
    details: dict[str, Any],
    zone: str,
) -> date | None:
    """R10: the day the reply came, or None when there was none (or not yet)."""
    if outcome != Outcome.REPLIED:
        return None
    for key in ("replied_at", "replied_on"):
        found = _date_from(details.get(key), zone)
        if found is not None:
            return found
    return local(finished_at, zone).date() if finished_at else None


def replied_late(outcome: str | None, details: dict[str, Any]) -> bool:
    """R10: a reply that came after the campaign's working-day norm (still a reply)."""
    if outcome != Outcome.REPLIED:
        return False
    late = details.get("late")
    if isinstance(late, bool):
        return late
    return details.get("in_time") is False  # recorded before `late` existed


def reply_working_days(outcome: str | None, details: dict[str, Any]) -> int | None:
    """R10: the working days from the letter to its reply, as recorded with the reply."""
    days = details.get("working_days")
    if outcome != Outcome.REPLIED or isinstance(days, bool) or not isinstance(days, int):
        return None
    return days


# The Omsk regulation (seed 001, order No. 17-p of 01.02.2016, item 7): information by e-mail
# "не позднее трех рабочих дней с момента получения сообщения". The e-mail adapter's default.
DEFAULT_DEADLINE_WORKING_DAYS = 3


def deadline_working_days(spec: Any) -> int:
    """R10: the campaign's norm in working days, read where the e-mail channel reads it
    (adapters.email.config.config_from_spec): the channel options'
    `options.email.deadline_working_days`, else the campaign's `email.deadline_working_days`,
    else the default."""
    spec = spec if isinstance(spec, dict) else {}
    options = spec.get("options")
    places = [options.get("email") if isinstance(options, dict) else None, spec.get("email")]
    for place in places:
        value = place.get("deadline_working_days") if isinstance(place, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return DEFAULT_DEADLINE_WORKING_DAYS


# --- R11-R13: Protocol 5 --------------------------------------------------------------------


def phone_works(calls: int, connected: int, *, fully_tried: bool = True) -> bool | None:
    """R11: None while nothing was counted, or while no call connected and some number has not
    had its full set of attempts (`number_fully_tried`)."""
    if calls == 0:
        return None
    if connected > 0:
        return True
    return False if fully_tried else None


# The attempt policy's options R11 reads from a campaign's spec, with the defaults of
# adapters.sip.campaign.CallPolicy for a spec written before an option existed (a test keeps
# them equal; scoring does not import the channels).
CALL_POLICY_DEFAULTS: dict[str, Any] = {
    "per_contact": 3,
    "per_organisation": 6,
    "answering_machine_retry": True,
    "rejected_retry_minutes": [10, 20],
}


def number_fully_tried(
    outcomes: Sequence[str | None],
    calls: dict[str, Any],
    organisation_calls: int,
) -> bool:
    """R11: whether one number had its full set of attempts, from the outcomes of its counted
    calls in order: it connected, reached `per_contact`, the organisation reached
    `per_organisation`, or its last outcome is one the policy never calls again after."""
    options = {**CALL_POLICY_DEFAULTS, **calls}
    if not outcomes:
        return False
    if Outcome.CONNECTED in outcomes:
        return True
    if len(outcomes) >= options["per_contact"] or organisation_calls >= options["per_organisation"]:
        return True
    last = outcomes[-1]
    return (
        last == Outcome.UNAVAILABLE
        or (last == Outcome.REJECTED and options["rejected_retry_minutes"] is None)
        or (last == Outcome.ANSWERING_MACHINE and not options["answering_machine_retry"])
    )


def email_works(
    letters: int, answered: int, waiting: int, *, all_usable: bool = True
) -> bool | None:
    """R12: None while a letter waits, when none was sent, or when none was answered and a
    published address cannot be used until an operator corrects it (`all_usable` false)."""
    if answered > 0:
        return True
    if letters == 0 or waiting > 0 or not all_usable:
        return None
    return False


PRESENCE: dict[str, tuple[bool, bool]] = {
    "working": (True, True),
    "not_working": (True, False),
    "absent": (False, False),
}


def operator_channel(value: str | None) -> tuple[bool, bool] | None:
    """R13: (present, working) from the ChannelPresence value, None when not reviewed."""
    return PRESENCE.get(value or "")


# --- R15: Protocol 5 columns 7-12 from the web check ----------------------------------------

# What stops the prober from judging a service by itself, in the operator's words.
OPERATOR_NEEDED_RU = {
    "captcha": "форма защищена капчей",
    "login": "форма доступна только после входа",
    "robots": "сайт закрыт для проверки (robots.txt)",
}


@dataclass(frozen=True)
class SiteVerdict:
    """One service's columns from the web check (R15), and what they wait for when not judged:
    `awaits` says what, `rule` is R13 when an operator decides, R15 while a check is awaited."""

    present: bool | None
    working: bool | None
    awaits: str | None = None
    rule: str = "R15"


# Why a site failed (details.site_error, the probe's words), for the pending sheet: the first
# matching sign decides; the check's page shows the probe's own text.
_SITE_ERRORS_RU: tuple[tuple[tuple[str, ...], str], ...] = (
    (("expired",), "просроченный сертификат"),
    (("dns", "resolve", "resolution", "getaddrinfo", "name or service"), "адрес сайта не найден"),
    (("tls", "ssl", "certificate"), "ошибка защищённого соединения"),
    (("timeout", "timed out"), "истекло время ожидания"),
    (("redirect",), "слишком много перенаправлений"),
    (("refused", "connect", "reset", "unreachable"), "нет соединения с сайтом"),
)


def site_error_ru(reason: Any) -> str:
    """R15: the site's failure in the operator's words («сервер ответил ошибкой 503», ...)."""
    text = str(reason or "").lower()
    status = re.search(r"\b([45]\d\d)\b", text)
    if status and ("http" in text or "status" in text or text.strip() == status.group(1)):
        return f"сервер ответил ошибкой {status.group(1)}"
    for signs, words in _SITE_ERRORS_RU:
        if any(sign in text for sign in signs):
            return words
    return "ошибка сайта"


_NOT_RENDERED = "страница не открылась в браузере, отсутствие не установлено: решает оператор"


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def site_verdict(
    outcome: str | None, details: dict[str, Any], service: str, *, retry_planned: bool
) -> SiteVerdict:
    """R15: a service's present/working from the organisation's latest final web check.

    A site that failed after the policy's attempts leaves the service's presence to the
    operator (R13); a CAPTCHA or a login wall leaves its working to the operator."""
    if outcome == SITE_UNREACHABLE:
        reason = site_error_ru(details.get("site_error"))
        if retry_planned:
            return SiteVerdict(None, None, f"сайт недоступен ({reason}), проверка повторится")
        return SiteVerdict(
            None, None, f"сайт недоступен после всех попыток ({reason}): решает оператор", "R13"
        )
    found = details.get(service) if outcome == SITE_CHECKED else None
    if not isinstance(found, dict):
        return SiteVerdict(None, None, "сайт не проверен")
    present, working = _flag(found.get("present")), _flag(found.get("working"))
    needed = found.get("operator_needed")
    if present is False and details.get("render_error"):
        # A page the browser could not open keeps only its static verdict: a form a script
        # inserts would read as absent. Never a guess: the operator decides.
        return SiteVerdict(None, None, _NOT_RENDERED, "R13")
    if present is False:
        return SiteVerdict(False, False)
    if present is True and working is not None and not needed:
        return SiteVerdict(True, working)
    if needed:
        reason = OPERATOR_NEEDED_RU.get(str(needed), str(needed))
    else:
        reason = "работа не установлена" if present else "наличие не установлено"
    return SiteVerdict(present, None, f"{reason}: решает оператор", "R13")

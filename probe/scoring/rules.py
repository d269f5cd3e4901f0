"""Every rule that turns measurements and reviews into a protocol verdict, in one place.

Each rule has an id cited by the export's notes sheet and by docs/scoring.md, its text in
Russian (for the assessment team) and English, and the function that applies it. Changing what a
rule decides means bumping RULES_VERSION, so an export always says which rules produced it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from probe.channels import channel_spec
from probe.results import OUR_FAILURE_OUTCOMES, CheckStatus, Outcome, OutcomeName, outcome_of
from probe.reviews import CallNote, Transfers

RULES_VERSION = "5"  # 5: R11, R12 wait while a published contact needs an operator's correction


class ReviewLike(Protocol):
    """A review as the rules read it: a storage.models.Review or a row loaded for scoring."""

    @property
    def id(self) -> int | None: ...
    @property
    def value(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


R = TypeVar("R", bound=ReviewLike)


@dataclass(frozen=True)
class Rule:
    id: str
    ru: str
    en: str


RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "Звонком (графа 5) считается завершённая попытка с исходом, зависящим от организации: "
        "соединение, занято, не отвечает, номер недоступен, вызов сброшен, автоответчик. "
        "Сбои на нашей стороне, незавершённые и отменённые попытки звонками не считаются "
        "(они есть на листе аудита).",
        "A phone check counts as a call (column 5) when it is done with an outcome the "
        "organisation caused: connected, busy, no_answer, unavailable, rejected, "
        "answering_machine. Our-side failures (failed, unknown) and checks not done are not "
        "calls; they are on the audit sheet.",
    ),
    Rule(
        "R2",
        "Наборы, записанные оператором как один пронумерованный звонок (исторический импорт), "
        "считаются одним звонком; каждая попытка программы — отдельный звонок.",
        "Dials an operator logged as one numbered call (details.call_group, historical "
        "imports) count as one call; every check of the prober is a call of its own.",
    ),
    Rule(
        "R3",
        "Звонок завершился соединением с ОСО (графа 6), если хотя бы один его набор имеет исход "
        "«соединение». Автоответчик соединением не считается; ответ с последующим переводом "
        "и обрывом считается соединением.",
        "A call ended in a connection (column 6) when at least one of its dials is connected. "
        "An answering machine is not a connection; an answered call that was transferred and "
        "then dropped is.",
    ),
    Rule(
        "R4",
        "Решение оператора по попытке (подтвердить или исправить результат) заменяет "
        "автоматический исход: действует последнее; подтверждение оставляет исход; значение, "
        "не подходящее каналу, не учитывается.",
        "An operator's verdict review on a check replaces its automatic outcome (newest wins; "
        "'confirmed' keeps it; a value not valid for the channel is ignored).",
    ),
    Rule(
        "R5",
        "Графа 4: дата и время набора по часовому поясу организации, набранный номер и пометка "
        "по исходу: занято, не отвечает, номер недоступен, вызов сброшен, автоответчик; при "
        "соединении пометки нет, кроме «попросили перезвонить» по отметке оператора. Пометка "
        "из ручного протокола (исторический импорт) приводится так, как она записана, пока "
        "оператор не изменил исход набора; исход по-прежнему определяет подсчёт.",
        "Column 4: date and time of each dial in the organisation's time zone, the number, and "
        "a note from the outcome; a connected dial has no note unless a call_note review says "
        "callback_requested. A note imported from a manual protocol (details.note) is shown as "
        "written while no verdict changed the dial's outcome; the outcome still decides the "
        "counts.",
    ),
    Rule(
        "R6",
        "Перевод вызова и оценка: действует последняя отметка оператора по организации "
        "в кампании; если её нет — последняя отметка по попыткам организации в этом канале. "
        "Оценка по организации без привязки к попытке относится к таблице 1 только в кампании "
        "лишь по телефону, к таблице 2 — только по почте; иначе она неоднозначна и не "
        "учитывается.",
        "Transfers and grade per organisation: the newest organisation-level review "
        "in the campaign wins; otherwise the newest review on the organisation's checks of "
        "that channel. An organisation-level grade applies to table 1 only in a phone-only "
        "campaign and to table 2 only in an e-mail-only one; otherwise it is ambiguous and "
        "ignored.",
    ),
    Rule(
        "R7",
        "Без отметки оператора о переводе используется число переводов, измеренное программой "
        "в последнем соединившемся звонке: 0 — графа 10, 1 — графа 11, 2 и более — графа 12.",
        "With no transfers review, the prober's details.transfers on the newest connected call "
        "that has it decides: 0 -> column 10, 1 -> 11, 2 or more -> 12.",
    ),
    Rule(
        "R8",
        "Графа без оценки помечается «ожидает оценки» и вносится в лист «Ожидают оценки»: "
        "этикет и перевод — "
        "если было соединение; оценка по телефону — если был звонок; оценка по почте — если "
        "было отправлено письмо. Без соединения этикет и перевод не оцениваются. Этикет ждёт "
        "оценки, пока не оценён хотя бы один ответивший (R14).",
        "A column nobody judged is marked «ожидает оценки» and listed as pending: etiquette "
        "and transfers "
        "when a call connected; the phone grade when a call was counted; the e-mail grade when "
        "a letter was sent. Without a connection etiquette and transfers do not apply. "
        "Etiquette is pending while any person who answered is not judged (R14).",
    ),
    Rule(
        "R9",
        "Письмом считается попытка по почте, которая была отправлена (ожидает ответа или "
        "завершена с любым исходом, кроме ошибки отправки и неизвестного). Дата отправки — "
        "записанная при отправке (при импорте — дата из протокола), иначе дата начала попытки "
        "по часовому поясу организации.",
        "An e-mail check is a letter once sent: waiting, or done with any outcome except "
        "send_failed and unknown. Date sent: details.sent_on, else the local date of "
        "started_at.",
    ),
    Rule(
        "R10",
        "Ответ получен, если исход письма — «ответили»: ответ, пришедший в течение срока "
        "ожидания кампании (по умолчанию 30 дней, 59-ФЗ), засчитывается и после нормы в 3 "
        "рабочих дня, с отметкой об опоздании. Дата ответа — записанный момент получения "
        "ответа, иначе записанная дата ответа (при импорте — из протокола), иначе время "
        "завершения попытки, по часовому поясу организации. Автоответ, недоставка и отсутствие "
        "ответа — «нет ответа»; письмо, ожидающее ответа, — «ожидается ответ».",
        "A letter was answered when its outcome is replied: a reply inside the campaign's reply "
        "window (30 days by default, law 59-FZ) counts even after the 3-working-day norm, marked "
        "late (details.late). Reply date: details.replied_at (ISO "
        "instant, UTC), else details.replied_on (a date), else finished_at, in the "
        "organisation's time zone. auto_replied, bounced and no_reply are 'нет ответа'; a "
        "letter still waiting is 'ожидается ответ' and pending.",
    ),
    Rule(
        "R11",
        "Протокол 5, телефон: наличие — организация публикует телефон (не факс); "
        "функционирование — «да», если хотя бы один звонок завершился соединением, «нет», если "
        "соединения не было, а каждый опубликованный номер получил все попытки по правилам "
        "кампании (число попыток на номер или на организацию исчерпано, либо номер недоступен); "
        "без звонков, пока какой-то номер не получил всех попыток или пока опубликованный номер "
        "нельзя набрать без исправления оператором — ожидает.",
        "Protocol 5, phone: present when the organisation publishes a phone (not a fax); "
        "working 'да' when a call connected, 'нет' when none connected and every published "
        "number had its full set of attempts by the campaign's rules (per_contact or "
        "per_organisation reached, or an outcome after which the policy never calls the number "
        "again); pending when no call was counted, while a number has not had its full set, or "
        "while a published number cannot be dialled until an operator corrects it.",
    ),
    Rule(
        "R12",
        "Протокол 5, электронная почта: наличие — организация публикует адрес; "
        "функционирование — «да», если хотя бы на одно письмо получен ответ, «нет», если все "
        "письма без ответа; пока письмо ожидает ответа, писем не было или опубликованный адрес "
        "нельзя использовать без исправления оператором (например, русская буква в латинском "
        "адресе) — ожидает.",
        "Protocol 5, e-mail: present when the organisation publishes an address; working 'да' "
        "when a letter was answered, 'нет' when every letter is final and none was; pending "
        "while a letter waits, when none was sent, or while a published address cannot be used "
        "until an operator corrects it (e.g. a Cyrillic letter in a Latin address).",
    ),
    Rule(
        "R13",
        "Протокол 5, электронные сервисы, раздел «Часто задаваемые вопросы», анкета: по "
        "последней отметке оператора по организации: работает — да/да; не работает — да/нет; "
        "отсутствует — нет/нет; без отметки — ожидает.",
        "Protocol 5, web form, FAQ and survey: the newest organisation-level review: working -> "
        "да/да, not_working -> да/нет, absent -> нет/нет; none -> pending.",
    ),
    Rule(
        "R14",
        "Этикет (графы 7-9) оценивается для каждого ответившего: взявшего трубку в каждом "
        "звонке, завершившемся соединением, и каждого специалиста, к которому звонок перевели. "
        "Для звонка действует последняя отметка оператора по его попыткам — по одной оценке на "
        "ответившего, в порядке ответа. Без отметки ответивших столько: один плюс число "
        "переводов (по отметке оператора о переводе, иначе измеренное программой), и все ждут "
        "оценки. Отметка по организации (без привязки к звонкам) заменяет отметки по звонкам. "
        "В строке организации — все отметки: в каждой графе столько ответивших, сколько "
        "оценено по ней.",
        "Etiquette (columns 7-9) is judged for each person who answered: whoever picked up each "
        "connected call and each specialist the call was transferred to. A call's judgements "
        "are the newest etiquette review on its checks, one value per person in the order they "
        "answered. Without one, the call has 1 + its transfers persons (the operator's "
        "transfers review, else the prober's count; 'several' counts 2), all pending. An "
        "organisation-level etiquette review (persons not tied to calls) replaces the calls'. "
        "The organisation row shows every mark: the number of persons in each column.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}

# --- R1-R4: calls --------------------------------------------------------------------------

# The outcomes the protocols score, per channel (the protocol parts may name channels).
_PHONE = frozenset(
    {
        Outcome.CONNECTED,
        Outcome.BUSY,
        Outcome.NO_ANSWER,
        Outcome.UNAVAILABLE,
        Outcome.REJECTED,
        Outcome.ANSWERING_MACHINE,
        Outcome.FAILED,
        Outcome.UNKNOWN,
    }
)
_EMAIL = frozenset(
    {
        Outcome.REPLIED,
        Outcome.AUTO_REPLIED,
        Outcome.BOUNCED,
        Outcome.NO_REPLY,
        Outcome.SEND_FAILED,
        Outcome.UNKNOWN,
    }
)
_SCORED_OUTCOMES: dict[str, frozenset[Outcome]] = {
    "phone": _PHONE,
    "email": _EMAIL,
    "test": frozenset(Outcome),
}
_ORG_CAUSED_PHONE = _PHONE - OUR_FAILURE_OUTCOMES


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
) -> OutcomeName | None:
    """R4: the outcome after the newest valid operator verdict."""
    # A channel the protocols do not score (one defined in tests): its declared outcomes.
    allowed = _SCORED_OUTCOMES.get(channel) or channel_spec(channel).outcome_names
    valid = [v for v in verdicts if v.value == "confirmed" or v.value in allowed]
    verdict = newest(valid)
    if verdict is not None and verdict.value != "confirmed":
        return outcome_of(verdict.value)
    return outcome_of(outcome) if outcome else None


def counts_as_call(status: str, outcome: OutcomeName | None) -> bool:
    """R1."""
    return status == CheckStatus.DONE and outcome in _ORG_CAUSED_PHONE


def call_group_key(check_id: int, details: dict[str, Any]) -> tuple[str, int]:
    """R2: checks with equal keys (within one organisation) are one call."""
    group = details.get("call_group")
    if isinstance(group, int) and not isinstance(group, bool):
        return ("logged", group)
    return ("check", check_id)


def call_connected(outcomes: Iterable[OutcomeName | None]) -> bool:
    """R3."""
    return any(outcome is Outcome.CONNECTED for outcome in outcomes)


# --- R5: column 4 notes ---------------------------------------------------------------------

PHONE_NOTES: dict[Outcome, str] = {
    Outcome.BUSY: "занято",
    Outcome.NO_ANSWER: "не отвечает",
    Outcome.UNAVAILABLE: "номер недоступен",
    Outcome.REJECTED: "вызов сброшен",
    Outcome.ANSWERING_MACHINE: "автоответчик",
}
CALL_NOTES: dict[str, str] = {CallNote.CALLBACK_REQUESTED.value: "попросили перезвонить"}


def dial_note(
    outcome: OutcomeName | None, call_note: str | None, written: str | None = None
) -> str | None:
    """R5: the Russian note after a dial in column 4, or None.

    `written` is the note as a manual protocol has it, given only while the dial's outcome is
    the one recorded with it: the operator's words win over our fixed list.
    """
    if written:
        return written
    if outcome is Outcome.CONNECTED:
        return CALL_NOTES.get(call_note or "")
    return PHONE_NOTES.get(outcome) if isinstance(outcome, Outcome) else None


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


def counts_as_letter(status: str, outcome: OutcomeName | None) -> bool:
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
    outcome: OutcomeName | None,
    finished_at: datetime | None,
    details: dict[str, Any],
    zone: str,
) -> date | None:
    """R10: the day the reply came, or None when there was none (or not yet)."""
    if outcome is not Outcome.REPLIED:
        return None
    for key in ("replied_at", "replied_on"):
        found = _date_from(details.get(key), zone)
        if found is not None:
            return found
    return local(finished_at, zone).date() if finished_at else None


def replied_late(outcome: OutcomeName | None, details: dict[str, Any]) -> bool:
    """R10: a reply that came after the campaign's working-day norm (still a reply)."""
    if outcome is not Outcome.REPLIED:
        return False
    late = details.get("late")
    if isinstance(late, bool):
        return late
    return details.get("in_time") is False  # recorded before `late` existed


def reply_working_days(outcome: OutcomeName | None, details: dict[str, Any]) -> int | None:
    """R10: the working days from the letter to its reply, as recorded with the reply."""
    days = details.get("working_days")
    if outcome is not Outcome.REPLIED or isinstance(days, bool) or not isinstance(days, int):
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
# schedules.spec.CallPolicy for a spec written before an option existed (a test keeps them equal;
# scoring does not import the scheduler).
CALL_POLICY_DEFAULTS: dict[str, Any] = {
    "per_contact": 3,
    "per_organisation": 6,
    "answering_machine_retry": True,
    "rejected_retry_minutes": [10, 20],
}


def number_fully_tried(
    outcomes: Sequence[OutcomeName | None],
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
        last is Outcome.UNAVAILABLE
        or (last is Outcome.REJECTED and options["rejected_retry_minutes"] is None)
        or (last is Outcome.ANSWERING_MACHINE and not options["answering_machine_retry"])
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

"""Russian words for the stored English codes (outcomes, channels, statuses, review values).

One vocabulary for everything a ministry reader sees: the review UI (probe.web.labels) and the
exported documents (XLSX, CSV). The codes stay in the database and in JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from probe.reviews import PERSON_SEPARATOR


class _FromRegistry(Mapping[str, str]):
    """Words the channels declare (probe.channels), read from the registry at each use: the
    plugins load on first use, not when this module is imported."""

    def __init__(self, read: Callable[[], dict[str, str]]) -> None:
        self._read = read

    def __getitem__(self, code: str) -> str:
        return self._read()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def _outcomes() -> dict[str, str]:
    from probe.channels import outcome_labels

    return outcome_labels()


def _channels() -> dict[str, str]:
    from probe.channels import channel_labels

    return channel_labels()


def _verdicts() -> dict[str, str]:
    corrected = {code: f"исправлено на «{word}»" for code, word in _outcomes().items()}
    return {"confirmed": "автоматический результат подтверждён"} | corrected


OUTCOMES: Mapping[str, str] = _FromRegistry(_outcomes)
CHANNELS: Mapping[str, str] = _FromRegistry(_channels)
STATUSES = {
    "planned": "запланирована",
    "running": "выполняется",
    "waiting": "ожидает ответа",
    "done": "завершена",
    "cancelled": "отменена",
}
CAMPAIGN_STATUSES = {
    "draft": "черновик",
    "running": "идёт",
    "paused": "приостановлена",
    "done": "завершена",
    "cancelled": "отменена",
}
FIELDS = {
    "etiquette": "Этикет",
    "transfers": "Переадресация",
    "grade": "Качество консультации",
    "call_note": "Отметка о звонке",
    "verdict": "Вердикт",
    "note": "Заметка",
    "web_form": "Электронная форма обращения",
    "faq": "Раздел «Часто задаваемые вопросы»",
    "survey": "Анкета для опроса",
    "directory": "Справочник",
}
VALUES: dict[str, Mapping[str, str]] = {
    "etiquette": {
        # Regulation 001: the answer begins with the organisation, the full name and the position.
        "full": "назвал(а) организацию, ФИО и должность (графа 7)",
        "organisation_only": "назвал(а) только организацию (графа 8)",
        "none": "не представился(ась) и не назвал(а) организацию (графа 9)",
    },
    "transfers": {
        "none": "сразу специалист, способный проконсультировать",
        "once": "переадресовали один раз",
        "several": "переадресовали несколько раз",
    },
    "grade": {
        "excellent": "отлично",
        "good": "хорошо",
        "satisfactory": "удовлетворительно",
        "unsatisfactory": "неудовлетворительно",
    },
    "call_note": {"callback_requested": "попросили перезвонить"},
    "verdict": _FromRegistry(_verdicts),
}
_PRESENCE = {
    "working": "есть, работает",
    "not_working": "есть, не работает",
    "absent": "нет",
}
VALUES |= {"web_form": _PRESENCE, "faq": _PRESENCE, "survey": _PRESENCE}
VALUES["directory"] = {
    "updated": "справочник исправлен",
    "current": "справочник верен",
}
# A check's note that the organisation publishes contacts the directory lacks.
DIRECTORY_OUTDATED = "справочник может быть устаревшим"
ETIQUETTE_NOT_JUDGED = "не оценён"
# Authors that are not people: the importer of past protocols.
AUTHORS = {"history:protocol6": "импорт протокола № 6"}


def word(table: Mapping[str, str], code: str | None) -> str:
    """The Russian word for `code`; an unknown code as it is (never lost), None as empty."""
    if code is None:
        return ""
    return table.get(code, code)


def review_value(field: str, value: str) -> str:
    if field == "etiquette" and PERSON_SEPARATOR in value:
        # One judgement per person who answered, in the order they answered.
        persons = value.split(PERSON_SEPARATOR)
        return "; ".join(
            f"{n}) {VALUES['etiquette'].get(p, p) if p else ETIQUETTE_NOT_JUDGED}"
            for n, p in enumerate(persons, start=1)
        )
    return VALUES.get(field, {}).get(value, value)


def review_text(field: str, value: str, author: str) -> str:
    """One review as a reader sees it: «Этикет: назвал(а) только организацию (графа 8)»."""
    return f"{word(FIELDS, field)}: {review_value(field, value)} ({word(AUTHORS, author)})"


# --- the reply's timing against the campaign's norm (R10) -----------------------------------
# A reply after the norm still counts; it is marked late. "раб. дн." abbreviates both "рабочих
# дня" and "рабочих дней", so one wording serves every number.


def late_mark(norm: int) -> str:
    """The mark after a late reply's date in the exported table 2: «(позже нормы в 3 раб. дн.)»."""
    return f"(позже нормы в {norm} раб. дн.)"


def late_note(norm: int) -> str:
    """What the mark means, for the notes sheet: the campaign's norm and where 3 comes from."""
    return (
        f"Отметка «{late_mark(norm)}» при дате получения ответа (таблица 2 протокола № 6, "
        f"графа 5): ответ получен позже нормы кампании — {norm} раб. дн. после дня отправки "
        "письма, по производственному календарю. Норма в 3 рабочих дня — п. 7 "
        "Административного регламента, утверждённого приказом Министерства труда и "
        "социального развития Омской области от 01.02.2016 № 17-п: информация по электронной "
        "почте представляется «не позднее трех рабочих дней с момента получения сообщения». "
        "Такой ответ засчитан как полученный (правило R10)."
    )


def reply_term(*, late: bool, working_days: int | None, norm: int) -> str:
    """A reply's timing as the review UI shows it: «ответ позже нормы: 8 раб. дн. при норме 3»."""
    if not late:
        if working_days is None:
            return f"ответ в пределах нормы ({norm} раб. дн.)"
        return f"ответ в пределах нормы: {working_days} раб. дн. при норме {norm}"
    if working_days is not None and working_days > norm:
        return f"ответ позже нормы: {working_days} раб. дн. при норме {norm}"
    # Older records without the count, or a reply on a day off after the norm's last day.
    return f"ответ позже нормы в {norm} раб. дн."


# --- a phone call forwarded before anyone answered (evidence, not a transfer) ---------------
FORWARD_KINDS = {
    "redirect": "перенаправление сетью",
    "forwarded_181": "сеть сообщила о переадресации вызова (181)",
    "diversion": "заголовок переадресации (Diversion)",
    "history_info": "история переадресации (History-Info)",
}


def forward_text(forward: object) -> str:
    """One pre-answer forward recorded by the SIP probe (`details.forwards`): «переадресация до
    ответа: перенаправление сетью — 302 Moved Temporarily -> sip:…, через 0,4 с после вызова»."""
    if not isinstance(forward, dict):
        return f"переадресация до ответа: {forward}"
    text = f"переадресация до ответа: {word(FORWARD_KINDS, str(forward.get('kind') or '')) or '—'}"
    if forward.get("detail"):
        text += f" — {forward['detail']}"
    at = forward.get("at_ms")
    if isinstance(at, int | float) and not isinstance(at, bool):
        text += f", через {at / 1000:.1f} с после вызова".replace(".", ",")
    return text


def human_minutes(minutes: float) -> str:
    """A duration as staff say it: «20 мин», «2 ч», «1 ч 30 мин», «3 дн.»."""
    total = round(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} дн." if days else "",
        f"{hours} ч" if hours else "",
        f"{mins} мин" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 мин"

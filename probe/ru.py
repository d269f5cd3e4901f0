"""Russian words for the stored English codes (outcomes, channels, statuses, review values).

One vocabulary for everything a ministry reader sees: the review UI (probe.web.labels) and the
exported documents (XLSX, CSV). The codes stay in the database and in JSON.
"""

from __future__ import annotations

from probe.reviews import PERSON_SEPARATOR

OUTCOMES = {
    "replied": "ответили",
    "auto_replied": "автоответ",
    "bounced": "письмо не доставлено",
    "no_reply": "нет ответа на письмо",
    "send_failed": "сбой отправки (наша сторона)",
    "connected": "соединение",
    "busy": "занято",
    "no_answer": "не отвечает",
    "unavailable": "номер недоступен",
    "rejected": "вызов отклонён",
    "answering_machine": "автоответчик",
    "failed": "сбой (наша сторона)",
    "unknown": "неизвестно",
}
CHANNELS = {"email": "электронная почта", "phone": "телефон", "test": "тест"}
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
}
VALUES = {
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
    "verdict": {"confirmed": "автоматический результат подтверждён"}
    | {k: f"исправлено на «{v}»" for k, v in OUTCOMES.items()},
}
_PRESENCE = {
    "working": "есть, работает",
    "not_working": "есть, не работает",
    "absent": "нет",
}
VALUES |= {"web_form": _PRESENCE, "faq": _PRESENCE, "survey": _PRESENCE}
ETIQUETTE_NOT_JUDGED = "не оценён"
# Authors that are not people: the importer of past protocols.
AUTHORS = {"history:protocol6": "импорт протокола № 6"}


def word(table: dict[str, str], code: str | None) -> str:
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

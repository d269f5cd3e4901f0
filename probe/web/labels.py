"""Russian words the ministry's staff read in the UI, keyed by the stored English values."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
NEEDS = {
    "verdict": "подтвердить или исправить результат",
    "etiquette": "оценить этикет",
    "transfers": "отметить переадресацию",
    "grade": "оценить консультацию",
}
ROLES = {"admin": "администратор", "operator": "оператор", "viewer": "наблюдатель"}
MESSAGE_KINDS = {
    "human_reply": "ответ",
    "auto_reply": "автоответ",
    "bounce": "отказ в доставке",
    "delay": "задержка доставки",
    "unrelated": "не относится к проверке",
}
EVENTS = {
    "planned": "запланирована",
    "claimed": "взята в работу",
    "started": "начата",
    "result": "результат",
    "pending": "ожидание ответа",
    "requeued": "поставлена повторно",
}
CORRECTIONS = {"wrong": "контакт неверный", "outdated": "контакт устарел"}
AGES = {
    "1": "за последние сутки",
    "7": "за последнюю неделю",
    "30": "за последний месяц",
    "older30": "старше месяца",
}


def label(table: dict[str, str], value: str | None) -> str:
    if value is None:
        return "—"
    return table.get(value, value)


ETIQUETTE_NOT_JUDGED = "не оценён"


def review_value(field: str, value: str) -> str:
    if field == "etiquette" and "," in value:
        # One judgement per person who answered, in the order they answered.
        words = VALUES["etiquette"]
        persons = [words.get(v, v) if v else ETIQUETTE_NOT_JUDGED for v in value.split(",")]
        return "; ".join(f"{n}) {text}" for n, text in enumerate(persons, start=1))
    return VALUES.get(field, {}).get(value, value)


def person_label(index: int) -> str:
    """Who the index-th person of a call is: who picked up, then the specialist after each
    transfer."""
    if index == 0:
        return "1. Взявший(ая) трубку"
    return f"{index + 1}. Специалист после {index}-го перевода"


def local_time(instant: datetime | None, timezone: str | None = None) -> str:
    """An instant as the organisation's local time, the zone named: staff compare with its hours."""
    if instant is None:
        return "—"
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        return instant.strftime("%d.%m.%Y %H:%M:%S UTC")
    return instant.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S ") + f"({timezone})"


FLASH = {
    "saved": "Оценка сохранена.",
    "verdict": "Решение по результату записано.",
    "requeued": (
        "Проверка поставлена в очередь повторно: планировщик назначит время в рабочие часы."
    ),
    "corrected": "Контакт исправлен: создан новый контакт, прежний сохранён в истории.",
}

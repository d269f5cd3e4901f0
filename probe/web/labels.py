"""Russian words the ministry's staff read in the UI, keyed by the stored English values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from probe import ru
from probe.channels import UnknownChannelError, all_specs, channel_spec
from probe.results import utc_now
from probe.scoring.mail import reply_timing
from storage.models import Campaign, Check

# The shared vocabulary (the exports use it too); imported here under the names templates use.
# Outcomes and channels are the registered channels' own words (their ChannelSpec).
OUTCOMES, CHANNELS, STATUSES = ru.OUTCOMES, ru.CHANNELS, ru.STATUSES
CAMPAIGN_STATUSES, FIELDS, VALUES = ru.CAMPAIGN_STATUSES, ru.FIELDS, ru.VALUES
NEEDS = {
    "verdict": "подтвердить или исправить результат",
    "etiquette": "оценить этикет",
    "transfers": "отметить переадресацию",
    "grade": "оценить консультацию",
    "directory": "справочник может быть устаревшим: сверить контакты",
    "web_form": "решить: электронная форма обращения",
    "faq": "решить: раздел «Часто задаваемые вопросы»",
    "survey": "решить: анкета для опроса",
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
    "directory_outdated": ru.DIRECTORY_OUTDATED,
}
CORRECTIONS = {"wrong": "контакт неверный", "outdated": "контакт устарел"}
AGES = {
    "1": "за последние сутки",
    "7": "за последнюю неделю",
    "30": "за последний месяц",
    "older30": "старше месяца",
}


def label(table: Mapping[str, str], value: str | None) -> str:
    if value is None:
        return "—"
    return table.get(value, value)


ETIQUETTE_NOT_JUDGED = ru.ETIQUETTE_NOT_JUDGED
review_value = ru.review_value
# The reason of an etiquette review that confirms the machine's proposal with one click.
GREETING_CONFIRMED = "подтверждено предложение распознавания речи"


def person_label(index: int) -> str:
    """Who the index-th person of a call is: who picked up, then the specialist after each
    transfer."""
    if index == 0:
        return "1. Взявший(ая) трубку"
    return f"{index + 1}. Специалист после {index}-го перевода"


def duration(seconds: float) -> str:
    """A duration in human units: «45 с», «25 мин», «2 ч 5 мин», «3 дн 4 ч»."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} с"
    minutes = (seconds + 59) // 60
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} ч" + (f" {minutes} мин" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} дн" + (f" {hours} ч" if hours else "")


def minutes_left(until: datetime) -> str:
    """How long until `until`, from now, in human units."""
    return duration((until - utc_now()).total_seconds())


def local_time(
    instant: datetime | None, timezone: str | None = None, *, zone_named: bool = True
) -> str:
    """An instant as the organisation's local time, the zone named (unless the page names it
    once, `zone_named=False`): staff compare with its hours."""
    if instant is None:
        return "—"
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        return instant.strftime("%d.%m.%Y %H:%M:%S UTC")
    text = instant.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")
    return text + (f" ({timezone})" if zone_named else "")


def plural(count: int, one: str, few: str, many: str) -> str:
    """«1 организация», «3 организации», «11 организаций»."""
    tens, units = count % 100, count % 10
    if units == 1 and tens != 11:
        word = one
    elif 2 <= units <= 4 and not 12 <= tens <= 14:
        word = few
    else:
        word = many
    return f"{count} {word}"


def zone_title(timezone: str) -> str:
    """A zone as staff read it once per page: «Asia/Omsk (UTC+6)»."""
    try:
        offset = datetime.now(ZoneInfo(timezone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone
    minutes = int(offset.total_seconds() // 60) if offset else 0
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes >= 0 else "−"
    return f"{timezone} (UTC{sign}{hours}{f':{rest:02d}' if rest else ''})"


FLASH = {
    "saved": "Оценка сохранена.",
    "verdict": "Решение по результату записано.",
    "requeued": (
        "Проверка поставлена в очередь повторно: планировщик назначит время в рабочие часы."
    ),
    "corrected": "Контакт исправлен: создан новый контакт, прежний сохранён в истории.",
    "corrected_back": (
        "Контакт исправлен: такое значение у организации уже было — тот контакт снова "
        "действует, исправленный сохранён в истории."
    ),
    "claimed": "Проверка взята в работу: другим операторам она не выдаётся.",
    "saved_next": "Оценка сохранена. Следующая проверка из очереди взята в работу.",
    "verdict_next": "Решение записано. Следующая проверка из очереди взята в работу.",
}
# A test question's answer (probe.web.follow_up), as the site check's list of questions says it.
FOLLOW_UP_STATES = {
    "answered": "ответ получен",
    "unanswered": "ответа нет",
    "waiting": "ждём ответа",
}
QUEUE_FLASH = {
    "queue_empty": "Свободных проверок по выбранным условиям больше нет.",
    "released": "Проверка освобождена: её может взять другой оператор.",
}


def reply_term(check: Check, campaign: Campaign | None, *, late_only: bool = False) -> str | None:
    """An e-mail reply's timing against the campaign's norm (R10), as recorded with the reply:
    «ответ позже нормы: 8 раб. дн. при норме 3». None for anything else, or (`late_only`, the
    review list) for a reply in time."""
    timing = reply_timing(
        check.outcome, check.details or {}, campaign.spec if campaign is not None else None
    )
    if timing is None:
        return None
    late, days, norm = timing
    if (late_only and not late) or (not late and days is None):
        return None
    return ru.reply_term(late=late, working_days=days, norm=norm)


def forwards(check: Check) -> list[str]:
    """A call's forwards before anyone answered (`details.forwards`, recorded by a phone probe):
    evidence of how the call reached the organisation, not transfers (columns 10-12 count
    transfers from the first answer on)."""
    found = (check.details or {}).get("forwards")
    return [ru.forward_text(f) for f in found] if isinstance(found, list) else []


def verdict_outcomes(channel: str) -> list[str]:
    """The outcomes an operator may overturn a check's to: its channel's (registry); none for a
    channel no longer registered."""
    try:
        return sorted(channel_spec(channel).outcome_names)
    except UnknownChannelError:
        return []


def listed_channels() -> list[str]:
    """The channels staff choose among in filters (the registry's, less test-only ones)."""
    return sorted(spec.name for spec in all_specs() if spec.listed)

"""The phone's campaign section (`calls:` in a campaign file): the call policy's own fields, the
campaign form's fields and the campaign page's lines (probe.policies)."""

from __future__ import annotations

from pydantic import Field, model_validator

from probe.policies import (
    CampaignSection,
    FormField,
    OnePerOrganisationPolicy,
    moves_on_choices,
    refusal,
)
from probe.ru import human_minutes

# The call section's own checks across fields, by code (probe.policies.refusal); the form's
# Russian is in FORM (FormField.errors).
REFUSALS = {
    "busy_retry_range": "busy_retry_minutes must be [low, high] with 0 < low <= high",
    "rejected_retry_range": "rejected_retry_minutes must be [low, high] with 0 < low <= high",
}


class CallPolicy(OnePerOrganisationPolicy):
    """How the manual protocol was done (seed 000), as rules; the retry rules name the fields
    (adapters.sip.plugin)."""

    busy_retry_minutes: tuple[int, int] = (10, 20)  # jittered interval
    no_answer_retry_minutes: int = Field(120, ge=1)  # later the same day, else the next day
    answering_machine_retry: bool = True
    # A dropped call («вызов сброшен») is rung again like busy: seed 000 row 6 rang 11 minutes
    # later and got through. null: never this number again.
    rejected_retry_minutes: tuple[int, int] | None = (10, 20)

    @model_validator(mode="after")
    def _ranges(self) -> CallPolicy:
        ranges = {"busy_retry_range": self.busy_retry_minutes}
        if self.rejected_retry_minutes is not None:
            ranges["rejected_retry_range"] = self.rejected_retry_minutes
        for code, (low, high) in ranges.items():
            if not 0 < low <= high:
                raise refusal(REFUSALS, code)
        return self


FORM = (
    FormField(
        "calls.per_contact",
        "Попыток на один номер",
        errors=(
            (
                "per_contact_over_organisation",
                "Попыток на номер не может быть больше, чем на организацию.",
            ),
        ),
    ),
    FormField("calls.per_organisation", "Попыток на организацию (все номера)"),
    FormField("calls.per_organisation_per_day", "Звонков в организацию за день"),
    FormField(
        "calls.busy_retry_minutes.0",
        "«Занято»: повтор не раньше чем через",
        "мин",
        errors=(
            (
                "busy_retry_range",
                "Интервал повтора: «не раньше» больше нуля и не больше «не позже».",
            ),
        ),
    ),
    FormField("calls.busy_retry_minutes.1", "«Занято»: повтор не позже чем через", "мин"),
    FormField("calls.no_answer_retry_minutes", "«Не отвечает»: повтор через", "мин"),
    FormField(
        "calls.rejected_retry_minutes.0",
        "«Вызов отклонён»: повтор не раньше чем через",
        "мин",
        errors=(
            (
                "rejected_retry_range",
                "Интервал повтора: «не раньше» больше нуля и не больше «не позже».",
            ),
        ),
    ),
    FormField(
        "calls.rejected_retry_minutes.1",
        "«Вызов отклонён»: повтор не позже чем через",
        "мин; оба поля пусты — этот номер больше не набирать",
    ),
    FormField(
        "calls.our_failure_retry_minutes", "Сбой на нашей стороне: повтор звонка через", "мин"
    ),
    FormField(
        "calls.next_number_after",
        "Сразу звонить на другой номер организации, если",
        choices=moves_on_choices,
        items=True,
        errors=(("not_moving_on", "Выберите из списка."),),
    ),
    FormField(
        "limits.calls_in_parallel",
        "Одновременных звонков",
        group="limits",
        summary="одновременных звонков до {}",
    ),
    FormField(
        "calls.answering_machine_retry", "Перезванивать, если ответил автоответчик", switch=True
    ),
    FormField("options.phone.ring_timeout_seconds", "Ждать ответа на звонок", "с", "options"),
    FormField("options.phone.listen_seconds", "Оставаться на линии после ответа", "с", "options"),
    FormField("options.phone.record", "Записывать разговор", group="options", switch=True),
)


def summary(policy: CallPolicy) -> list[tuple[str, str]]:
    """The campaign page's lines for the calls."""
    low, high = policy.busy_retry_minutes
    return [
        (
            "Звонки",
            f"до {policy.per_contact} попыток на номер, до {policy.per_organisation} на "
            f"организацию, не больше {policy.per_organisation_per_day} в день",
        ),
        ("«Занято»", f"повтор через {human_minutes(low)} – {human_minutes(high)}"),
        ("«Не отвечает»", f"повтор через {human_minutes(policy.no_answer_retry_minutes)}"),
        ("«Вызов отклонён»", _rejected(policy.rejected_retry_minutes)),
        ("Другой номер организации", _next_number(policy.next_number_after)),
        (
            "Сбой на нашей стороне",
            f"повтор звонка через {human_minutes(policy.our_failure_retry_minutes)}",
        ),
    ]


def _rejected(minutes: tuple[int, int] | None) -> str:
    if minutes is None:
        return "этот номер больше не набирать"
    low, high = minutes
    return f"повтор через {human_minutes(low)} – {human_minutes(high)}"


def _next_number(outcomes: list[str]) -> str:
    """The outcomes after which the next number is rung at once, by the registry's labels."""
    if not outcomes:
        return "в свой черёд по плану, не сразу"
    labels = dict(moves_on_choices())
    return "сразу после: " + ", ".join(f"«{labels.get(o, o)}»" for o in outcomes)


SECTION = CampaignSection("calls", CallPolicy, form=FORM, summary=summary)

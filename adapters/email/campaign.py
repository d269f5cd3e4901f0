"""The e-mail channel's campaign section (`email:` in a campaign file): the norm, the reply
window and the move to the next address, the campaign form's fields and the campaign page's
line (probe.policies). The norm and the window reach the channel's options through
`adapters.email.config.config_from_spec`."""

from __future__ import annotations

from pydantic import Field, model_validator

from adapters.email.config import DEFAULT_DEADLINE_WORKING_DAYS, DEFAULT_REPLY_WINDOW_DAYS
from adapters.email.templates import TEMPLATES
from probe.policies import CampaignSection, FormField, ParallelPolicy, refusal

# The letter section's and options' own checks, by code (probe.policies.refusal); the form's
# Russian is in FORM (FormField.errors).
REFUSALS = {
    "reply_window_short": "reply_window_days ({reply_window_days}) is shorter than "
    "deadline_working_days ({deadline_working_days})",
}


class EmailPolicy(ParallelPolicy):
    # The norm (Omsk regulation, seed 001): a reply after it is marked late, still a reply.
    deadline_working_days: int = Field(DEFAULT_DEADLINE_WORKING_DAYS, ge=1, le=60)
    # Calendar days a letter waits for its reply before it is no_reply (59-FZ: 30 days).
    reply_window_days: int = Field(DEFAULT_REPLY_WINDOW_DAYS, ge=1, le=90)
    # After a bounce, the organisation's next address (the bounce rule's next_contact_switch).
    next_address_on_bounce: bool = True

    @model_validator(mode="after")
    def _window_covers_the_norm(self) -> EmailPolicy:
        if self.reply_window_days < self.deadline_working_days:
            raise refusal(
                REFUSALS,
                "reply_window_short",
                reply_window_days=self.reply_window_days,
                deadline_working_days=self.deadline_working_days,
            )
        return self


def letters() -> tuple[tuple[str, str], ...]:
    """The letters a campaign can send (`options.email.template`), by their subject."""
    return tuple((name, template.subject) for name, template in TEMPLATES.items())


FORM = (
    FormField("email.deadline_working_days", "Норма ответа на письмо", "раб. дн."),
    FormField(
        "email.reply_window_days",
        "Ждать ответа на письмо",
        "дн.",
        errors=(("reply_window_short", "Ждать ответа нужно не меньше нормы ответа."),),
    ),
    FormField(
        "limits.emails_per_minute", "Писем в минуту", group="limits", summary="писем до {} в минуту"
    ),
    FormField("email.max_send_attempts", "Попыток отправить письмо при сбое на нашей стороне"),
    FormField(
        "email.our_failure_retry_minutes", "Сбой на нашей стороне: повтор письма через", "мин"
    ),
    FormField(
        "email.next_address_on_bounce",
        "При отказе в доставке писать на следующий адрес",
        switch=True,
    ),
    FormField(
        "options.email.template",
        "Письмо (тема)",
        group="options",
        choices=letters,
        errors=(("unknown_template", "Выберите письмо из списка."),),
    ),
    FormField("options.email.sender_name", "Имя отправителя письма", group="options", text=True),
    FormField(
        "options.email.retry_delays",
        "Паузы перед новой отправкой, если почтовый сервер временно отказал",
        "с, через запятую",
        "options",
        items=True,
        errors=(("negative_delay", "Паузы не могут быть отрицательными."),),
    ),
)


def summary(policy: EmailPolicy) -> list[tuple[str, str]]:
    return [
        (
            "Письма",
            f"норма ответа {policy.deadline_working_days} раб. дн., ожидание ответа "
            f"{policy.reply_window_days} дн.",
        )
    ]


SECTION = CampaignSection("email", EmailPolicy, form=FORM, summary=summary)

"""The questions a probe asks: plausible letters from a citizen, in Russian (staff read them).

Several templates, chosen per campaign (`Config.template`), so two campaigns do not send an
organisation the same letter. Each carries the reference token twice, in the subject and in the
body, because a reply often drops the headers or rewrites the subject.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


TEMPLATES: dict[str, Template] = {
    "benefits": Template(
        subject="Вопрос о ежемесячной выплате на ребёнка",
        body=(
            "Здравствуйте!\n\n"
            "Подскажите, пожалуйста, какие документы нужны для оформления ежемесячной выплаты "
            "на ребёнка до трёх лет и можно ли подать заявление через Госуслуги, если мы "
            "недавно переехали и ещё не оформили регистрацию по новому адресу?\n\n"
            "Заранее спасибо за ответ."
        ),
    ),
    "home_care": Template(
        subject="Социальное обслуживание на дому для пожилой мамы",
        body=(
            "Добрый день!\n\n"
            "Моей маме 78 лет, она живёт одна и ей стало трудно ходить в магазин и аптеку. "
            "Как оформить социальное обслуживание на дому, куда обращаться и сколько это "
            "стоит?\n\n"
            "Буду благодарна за ответ."
        ),
    ),
    "large_family": Template(
        subject="Статус многодетной семьи",
        body=(
            "Здравствуйте.\n\n"
            "У нас родился третий ребёнок. Какие документы нужны, чтобы получить "
            "удостоверение многодетной семьи, и в какие сроки его выдают?\n\n"
            "Спасибо."
        ),
    ),
    "disability": Template(
        subject="Технические средства реабилитации",
        body=(
            "Добрый день!\n\n"
            "Отцу установили инвалидность второй группы, в программе реабилитации указана "
            "трость и кресло-коляска. Куда подать заявление, чтобы их получить, и можно ли "
            "получить компенсацию, если купить самим?\n\n"
            "С уважением."
        ),
    ),
}


def render(name: str, *, token: str, sender_name: str) -> tuple[str, str]:
    """Subject and plain-text body carrying `token`."""
    template = TEMPLATES[name]
    subject = f"{template.subject} [{token}]"
    body = f"{template.body}\n{sender_name}\n\nНомер обращения: {token}\n"
    return subject, body

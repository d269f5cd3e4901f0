"""The pages of the sandbox's organisation websites, one builder per kind of site: the variety
real public-sector sites show (menus in different words, a form a script inserts, the Gosuslugi
widget, FAQ as an accordion or as a page, a survey link or form, a broken form, a CAPTCHA, a login
wall, none of the three). Each returns {path: content}; nginx serves them (websites.py).

What each kind is built to answer is `EXPECTED` (the tests and the demo's checks read it).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import phonenumbers

FEEDBACK_MENU = ("Обратная связь", "Интернет-приёмная", "Написать обращение", "Обращения граждан")
FAQ_MENU = ("Часто задаваемые вопросы", "Вопрос-ответ", "Вопросы и ответы")
SURVEY_MENU = ("Независимая оценка качества", "Анкета получателя услуг", "Опрос")
OTHER_MENU = (("Об учреждении", "О нас"), ("Новости", "События"), ("Документы", "Услуги"))

# kind -> outcome and (present, working, operator_needed) of web_form, faq, survey.
Verdict = tuple[bool | None, bool | None, str | None]
ABSENT: Verdict = (False, False, None)
WORKS: Verdict = (True, True, None)
UNREACHABLE: Verdict = (None, False, None)


def _expect(
    web_form: Verdict = ABSENT, faq: Verdict = ABSENT, survey: Verdict = ABSENT
) -> dict[str, object]:
    return {"outcome": "site_checked", "web_form": web_form, "faq": faq, "survey": survey}


EXPECTED: dict[str, dict[str, object]] = {
    "plain_form": _expect(web_form=WORKS),
    "script_form": _expect(web_form=WORKS),
    "gosuslugi_widget": _expect(web_form=WORKS),
    "faq_accordion": _expect(faq=WORKS),
    "faq_page": _expect(faq=WORKS),
    "survey_link": _expect(survey=WORKS),
    "survey_form": _expect(survey=WORKS),
    "all_three": _expect(WORKS, WORKS, WORKS),
    "form_500": _expect(web_form=(True, False, None)),
    "captcha_form": _expect(web_form=(True, None, "captcha")),
    "login_wall": _expect(web_form=(True, None, "login")),
    "nothing": _expect(),
    "redirect_chain": _expect(web_form=WORKS),
    # The form's page is disallowed: reported in robots_disallowed, never fetched.
    "robots_disallow": _expect(faq=WORKS),
    "down": _expect(UNREACHABLE, UNREACHABLE, UNREACHABLE) | {"outcome": "site_unreachable"},
    "expired_cert": _expect(UNREACHABLE, UNREACHABLE, UNREACHABLE)
    | {"outcome": "site_unreachable"},
    # robots.txt disallows everything: nothing is examined, the operator is asked.
    "robots_closed": {
        "outcome": "site_checked",
        "web_form": (None, None, "robots"),
        "faq": (None, None, "robots"),
        "survey": (None, None, "robots"),
    },
    # The server answers, the home page does not (503).
    "home_error": _expect(UNREACHABLE, UNREACHABLE, UNREACHABLE) | {"outcome": "site_unreachable"},
}
KINDS = tuple(EXPECTED)


class Site:
    """One organisation's site being written: its menu, its pages, its footer."""

    def __init__(self, index: int, name: str, phones: tuple[str, ...], emails: tuple[str, ...]):
        self.index = index
        self.name = name
        self.phones = phones
        self.emails = emails
        self.menu: list[tuple[str, str]] = [
            (f"/{slug}/", words[index % len(words)])
            for slug, words in zip(("about", "news", "docs"), OTHER_MENU, strict=True)
        ]
        self.files: dict[str, str] = {}

    def word(self, words: tuple[str, ...]) -> str:
        return words[self.index % len(words)]

    def link(self, path: str, words: tuple[str, ...]) -> str:
        text = self.word(words)
        self.menu.insert(1, (path, text))
        return text

    def footer(self) -> str:
        shown = []
        for number in self.phones:
            parsed = phonenumbers.parse(number, "RU")
            text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            shown.append(f'<a href="tel:{escape(number)}">{escape(text)}</a>')
        mails = [f'<a href="mailto:{escape(e)}">{escape(e)}</a>' for e in self.emails]
        return (
            f"<footer><p>{escape(self.name)}</p><p>Телефон: {', '.join(shown) or '—'}</p>"
            f"<p>Электронная почта: {', '.join(mails) or '—'}</p></footer>"
        )

    def page(self, path: str, title: str, body: str, head: str = "") -> None:
        items = "".join(f'<li><a href="{p}">{escape(t)}</a></li>' for p, t in self.menu)
        self.files[path] = (
            '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
            f"<title>{escape(title)} — {escape(self.name)}</title>{head}</head><body>"
            f'<header><div class="logo">{escape(self.name)}</div><nav class="menu"><ul>{items}'
            f"</ul></nav></header><main><h1>{escape(title)}</h1>{body}</main>"
            f"{self.footer()}</body></html>"
        )

    def common_pages(self) -> None:
        about = "<p>Учреждение оказывает социальные услуги жителям района.</p>"
        self.page("/about/index.html", self.menu[-3][1], about)
        news = "<article><h2>День открытых дверей</h2><p>Приглашаем всех желающих.</p></article>"
        self.page("/news/index.html", self.menu[-2][1], news)
        self.page("/docs/index.html", self.menu[-1][1], "<p>Устав учреждения.</p>")
        home = "<p>Добро пожаловать на официальный сайт учреждения.</p>"
        self.page("/index.html", "Главная", home + self.files.pop("home_extra", ""))


FORM = (
    '<form action="{action}" method="post" class="feedback">'
    '<label>Ваше имя <input type="text" name="name" required></label>'
    '<label>E-mail <input type="email" name="email" required></label>'
    '<label>Текст обращения <textarea name="message" rows="6" required></textarea></label>'
    '{extra}<button type="submit">Отправить</button></form>'
)
ACTIONS = {  # nginx answers these (websites.py)
    "/feedback/send": 200,
    "/broken/send": 500,
    "/survey/send": 200,
}


def _form_page(site: Site, path: str, action: str, extra: str = "") -> None:
    title = site.link(path, FEEDBACK_MENU)
    body = "<p>Направьте нам своё обращение.</p>" + FORM.format(action=action, extra=extra)
    site.page(path + "index.html", title, body)


def plain_form(site: Site) -> None:
    _form_page(site, "/feedback/", "/feedback/send")


def form_500(site: Site) -> None:
    _form_page(site, "/feedback/", "/broken/send")


def captcha_form(site: Site) -> None:
    captcha = (
        '<div class="captcha"><img src="/captcha.png" alt="Код с картинки">'
        '<label>Введите код с картинки <input type="text" name="captcha_code"></label></div>'
    )
    _form_page(site, "/feedback/", "/feedback/send", captcha)


SCRIPT_FORM = """
document.addEventListener('DOMContentLoaded', function () {
  var root = document.getElementById('feedback-root');
  var form = document.createElement('form');
  form.action = '/feedback/send'; form.method = 'post';
  form.innerHTML = '<label>Текст обращения <textarea name="message"></textarea></label>' +
    '<label>E-mail <input type="email" name="email"></label>' +
    '<button type="submit">Отправить обращение</button>';
  root.appendChild(form);
});
"""


def script_form(site: Site) -> None:
    title = site.link("/priemnaya/", FEEDBACK_MENU)
    body = '<p>Форма загружается…</p><div id="feedback-root"></div>'
    head = '<script src="/js/feedback.js"></script>'
    site.page("/priemnaya/index.html", title, body, head)
    site.files["/js/feedback.js"] = SCRIPT_FORM


# A local stand-in of the Gosuslugi feedback platform's script (pos.gosuslugi.ru/bin/...): the
# same mount point and call; it draws the widget's button and fetches nothing.
WIDGET_SCRIPT = """
function Widget(url, id) {
  var wrapper = document.getElementById('js-show-iframe-wrapper');
  var button = document.createElement('button');
  button.id = 'js-show-iframe'; button.className = 'pos-banner-btn_2';
  button.textContent = 'Написать';
  button.dataset.form = url + '?id=' + id;
  wrapper.appendChild(button);
}
"""


def gosuslugi_widget(site: Site) -> None:
    body = (
        '<div id="js-show-iframe-wrapper"><div class="pos-banner-fluid">'
        "<p>Решаем вместе. Есть предложения или не знаете, куда обратиться?</p></div></div>"
        "<script>Widget('https://pos.gosuslugi.ru/form', 226571)</script>"
    )
    head = '<script src="/static/pos.gosuslugi.ru/bin/script.min.js"></script>'
    site.files["/static/pos.gosuslugi.ru/bin/script.min.js"] = WIDGET_SCRIPT
    site.files["home_extra"] = body
    site.files["head"] = head


QUESTIONS = (
    ("Как получить путёвку в центр?", "Обратитесь к специалисту по месту жительства с паспортом."),
    ("Какие документы нужны для оформления услуг?", "Паспорт, СНИЛС и заявление."),
    ("Сколько стоят услуги?", "Большинство услуг бесплатны для получателей."),
)


def faq_accordion(site: Site) -> None:
    title = site.link("/faq/", FAQ_MENU)
    items = "".join(
        f'<details class="accordion-item"><summary>{escape(q)}</summary><p>{escape(a)}</p>'
        "</details>"
        for q, a in QUESTIONS
    )
    site.page("/faq/index.html", title, f'<section class="accordion">{items}</section>')


def faq_page(site: Site) -> None:
    site.menu.insert(1, ("/vopros-otvet/", "Вопрос-ответ"))
    items = "".join(
        f'<div class="qa"><h3>{escape(q)}</h3><p>{escape(a)}</p></div>' for q, a in QUESTIONS
    )
    site.page("/vopros-otvet/index.html", "Вопрос-ответ", items)


def survey_link(site: Site) -> None:
    title = site.link("/nok/", SURVEY_MENU)
    body = (
        "<p>Примите участие в независимой оценке качества условий оказания услуг.</p>"
        '<p><a href="https://bus.gov.ru/qrcode/rate/226571">Оценить качество услуг на '
        "сайте bus.gov.ru</a></p>"
    )
    site.page("/nok/index.html", title, body)


def survey_form(site: Site) -> None:
    title = site.link("/anketa/", SURVEY_MENU)
    groups = "".join(
        f"<fieldset><legend>{escape(q)}</legend>"
        + "".join(
            f'<label><input type="radio" name="q{n}" value="{v}"> {v}</label>' for v in range(1, 6)
        )
        + "</fieldset>"
        for n, q in enumerate(
            ("Насколько вы довольны услугами?", "Вежливы ли сотрудники?", "Удобен ли график?")
        )
    )
    body = (
        '<form action="/survey/send" method="post"><h2>Анкета получателя услуг</h2>'
        f'{groups}<button type="submit">Отправить анкету</button></form>'
    )
    site.page("/anketa/index.html", title, body)


def login_wall(site: Site) -> None:
    site.menu.insert(1, ("/cabinet/", "Интернет-приёмная"))
    body = (
        "<p>Для подачи обращения войдите в личный кабинет.</p>"
        '<form action="/cabinet/login" method="post"><label>Логин <input name="login"></label>'
        '<label>Пароль <input type="password" name="password"></label>'
        '<button type="submit">Войти</button></form>'
    )
    site.page("/cabinet/index.html", "Интернет-приёмная", body)


def all_three(site: Site) -> None:
    plain_form(site)
    faq_accordion(site)
    survey_link(site)


def robots_disallow(site: Site) -> None:
    plain_form(site)
    faq_page(site)
    site.files["/robots.txt"] = "User-agent: *\nDisallow: /feedback/\n"


def robots_closed(site: Site) -> None:
    plain_form(site)
    site.files["/robots.txt"] = "User-agent: *\nDisallow: /\n"


def nothing(site: Site) -> None:
    pass


BUILDERS: dict[str, Callable[[Site], None]] = {
    "plain_form": plain_form,
    "script_form": script_form,
    "gosuslugi_widget": gosuslugi_widget,
    "faq_accordion": faq_accordion,
    "faq_page": faq_page,
    "survey_link": survey_link,
    "survey_form": survey_form,
    "all_three": all_three,
    "form_500": form_500,
    "captcha_form": captcha_form,
    "login_wall": login_wall,
    "nothing": nothing,
    "redirect_chain": plain_form,
    "robots_disallow": robots_disallow,
    "down": nothing,
    "expired_cert": plain_form,
    "home_error": plain_form,
    "robots_closed": robots_closed,
}


def build_site(
    kind: str, index: int, name: str, phones: tuple[str, ...], emails: tuple[str, ...]
) -> dict[str, str]:
    """The files of one site: {path under its root: content}."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown site kind {kind!r}; known: {', '.join(KINDS)}")
    site = Site(index, name, phones, emails)
    BUILDERS[kind](site)
    head = site.files.pop("head", "")
    site.common_pages()
    if head:
        home = site.files["/index.html"]
        site.files["/index.html"] = home.replace("</head>", head + "</head>", 1)
    site.files.setdefault("/robots.txt", "User-agent: *\nAllow: /\n")
    return site.files

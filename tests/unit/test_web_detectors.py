"""The web channel's detectors on page variants the sandbox's sites do not all show."""

from __future__ import annotations

from adapters.web.contacts import emails, phones
from adapters.web.detect import detect
from adapters.web.page import Page


def _page(body: str, title: str = "Главная", via: str = "") -> Page:
    html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    return Page("https://centr.test/page/", html, via_text=via)


def _found(page: Page) -> list[tuple[str, str]]:
    return [(f.service, f.kind) for f in detect(page)]


def test_a_search_form_is_not_a_feedback_form() -> None:
    body = '<form role="search" action="/search"><input name="q"><button>Найти</button></form>'
    assert _found(_page(body)) == []


def test_a_faq_as_a_definition_list_with_answers_works() -> None:
    body = (
        "<section><h2>Вопросы и ответы</h2><dl>"
        "<dt>Как записаться на приём?</dt><dd>По телефону регистратуры.</dd>"
        "<dt>Где вы находитесь?</dt><dd>Улица Ленина, дом 1.</dd></dl></section>"
    )
    [finding] = detect(_page(body))
    assert (finding.service, finding.answered) == ("faq", True)
    assert "вопросов 2, с ответами 2" in finding.text


def test_a_faq_heading_over_questions_without_answers_does_not_work() -> None:
    body = (
        "<main><h1>Часто задаваемые вопросы</h1><h3>Как получить путёвку в центр?</h3>"
        "<h3>Какие документы нужны для оформления?</h3></main>"
    )
    [finding] = detect(_page(body))
    assert (finding.service, finding.answered) == ("faq", False)


def test_the_word_faq_counts_only_as_a_word() -> None:
    assert _found(_page("<h2>Faqtory news</h2><p>Нет вопросов.</p>")) == []


def test_a_questionnaire_is_a_survey_not_a_feedback_form() -> None:
    groups = "".join(
        f'<fieldset><legend>Вопрос {n}</legend><input type="radio" name="q{n}" value="1">'
        f'<input type="radio" name="q{n}" value="2"></fieldset>'
        for n in range(3)
    )
    body = f'<form action="/send" method="post">{groups}<textarea name="c"></textarea>'
    body += "<button>Отправить</button></form>"
    assert _found(_page(body)) == [("survey", "form")]


def test_a_login_form_counts_only_where_the_page_is_about_appeals() -> None:
    login = (
        '<form action="/login" method="post"><input name="login">'
        '<input type="password" name="password"><button>Войти</button></form>'
    )
    assert _found(_page(login)) == []
    assert _found(_page(login, via="Электронная приёмная")) == [("web_form", "login")]


def test_a_recaptcha_makes_the_form_a_question_for_the_operator() -> None:
    body = (
        '<form action="/send" method="post"><textarea name="text"></textarea>'
        '<div class="g-recaptcha" data-sitekey="x"></div><button>Отправить</button></form>'
    )
    [finding] = detect(_page(body))
    assert (finding.service, finding.captcha) == ("web_form", True)


def test_contacts_in_text_and_links_are_normalised_and_deduplicated() -> None:
    body = (
        '<p>Приёмная: 8 (3812) 35-70-00, <a href="tel:+73812357000">позвонить</a>,'
        " факс +7 3812 35-70-01</p>"
        '<p>Пишите: <a href="mailto:Priemnaya@Centr.TEST">Priemnaya@Centr.TEST</a>,'
        " kcson@mail.ru</p>"
        "<script>var x = 'noreply@tracker.test';</script>"
    )
    page = _page(body)
    assert phones(page) == ["+73812357000", "+73812357001"]
    assert emails(page) == ["Priemnaya@centr.test", "kcson@mail.ru"]


def test_a_site_is_its_host_with_or_without_www() -> None:
    from adapters.web.page import same_site

    assert same_site("http://www.centr.ru/faq/", "https://centr.ru/")
    assert not same_site("https://centr.ru.evil.test/", "https://centr.ru/")
    assert not same_site("https://centr.ru:8443/", "https://centr.ru/")
    assert not same_site("mailto:a@centr.ru", "https://centr.ru/")

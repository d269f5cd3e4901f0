"""The detectors: a feedback form, a FAQ, a survey, each found on a parsed page with what
shows it (the element, its selector and text). Whether it works is judged later (working.py).

Words are matched on folded text (lower case, ё as е); structure is read from the parsed tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborNode

from adapters.web.page import Page, folded, selector_of, text_of

SERVICES = ("web_form", "faq", "survey")

FEEDBACK_WORDS = (
    "обратная связь",
    "интернет-приемная",
    "интернет приемная",
    "электронная приемная",
    "виртуальная приемная",
    "обращения граждан",
    "написать обращение",
    "задать вопрос",
    "направить обращение",
    "подать обращение",
    "электронное обращение",
)
FAQ_WORDS = (
    "часто задаваемые вопросы",
    "вопрос-ответ",
    "вопрос - ответ",
    "вопросы и ответы",
    "ответы на вопросы",
    "ответы на часто",
    "faq",
    "чаво",
)
SURVEY_WORDS = ("анкет", "опрос", "оцените качество", "оценка качества", "независимая оценка")
CAPTCHA_MARKS = ("captcha", "recaptcha", "hcaptcha", "smartcaptcha", "smart-captcha", "капч")
ASSESSMENT_HOST = "bus.gov.ru"
WIDGET_MOUNT = "#js-show-iframe-wrapper"
WIDGET_HOST = "pos.gosuslugi.ru"


@dataclass
class Finding:
    service: str  # web_form | faq | survey
    kind: str  # form | widget | login | section | accordion | link
    page: Page
    selector: str
    text: str
    target: str | None = None  # a form's action, the widget's script, a link
    method: str = "GET"
    captcha: bool = False
    login: bool = False
    answered: bool | None = None  # a FAQ: its questions have answers
    fields: dict[str, str] = field(default_factory=dict)  # a form's fields: name -> type
    hidden: dict[str, str] = field(default_factory=dict)  # a form's hidden values
    screenshot: str | None = None  # relative to the check's evidence folder
    snapshot: str | None = None  # the page as fetched, relative to the evidence folder

    @property
    def url(self) -> str:
        return self.page.url


def has_words(text: str, words: tuple[str, ...]) -> bool:
    """One of `words` in the text; a short one (faq) only as a word of its own."""
    text = folded(text)
    return any(
        re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) if len(w) <= 4 else w in text
        for w in words
    )


def page_about(page: Page, words: tuple[str, ...]) -> bool:
    """The page's title, headings or the link that led here use one of `words`."""
    if has_words(page.via_text, words):
        return True
    return any(has_words(text_of(h), words) for h in page.tree.css("title, h1, h2"))


# -- forms ----------------------------------------------------------------------------------


def _fields(form: LexborNode) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in form.css("input, textarea, select"):
        name = node.attributes.get("name") or node.attributes.get("id") or f"field{len(found)}"
        kind = (node.tag or "") if node.tag != "input" else (node.attributes.get("type") or "text")
        found[name] = kind.lower()
    return found


def _has_submit(form: LexborNode) -> bool:
    for node in form.css("button, input[type=submit], input[type=image]"):
        if node.tag == "button" and (node.attributes.get("type") or "submit").lower() not in (
            "submit",
        ):
            continue
        return True
    return False


def _captcha(node: LexborNode, page: Page) -> bool:
    marks = []
    for element in node.css("*"):
        attrs = element.attributes
        marks += [attrs.get("class") or "", attrs.get("id") or "", attrs.get("name") or ""]
        marks.append(attrs.get("src") or "")
    marks += [s.attributes.get("src") or "" for s in page.tree.css("script[src]")]
    marks.append(text_of(node, 2000))
    return any(has_words(m, CAPTCHA_MARKS) for m in marks if m)


def _radio_groups(fields: dict[str, str]) -> int:
    return len({name for name, kind in fields.items() if kind in ("radio", "checkbox")})


def _form_context(form: LexborNode) -> str:
    """The form's own words: its legend and headings, and the heading just before it."""
    words = [text_of(n) for n in form.css("legend, h1, h2, h3, h4, label")]
    node = form.prev
    while node is not None and not words[:1]:
        if node.tag in ("h1", "h2", "h3", "h4"):
            words.append(text_of(node))
        node = node.prev
    return " ".join(words)


def form_findings(page: Page) -> list[Finding]:
    found = []
    for form in page.tree.css("form"):
        fields = _fields(form)
        action = urljoin(page.url, (form.attributes.get("action") or "").strip() or page.url)
        method = (form.attributes.get("method") or "GET").upper()
        common = {
            "page": page,
            "selector": selector_of(form),
            "text": text_of(form),
            "target": action,
            "method": method,
            "captcha": _captcha(form, page),
            "fields": fields,
            "hidden": {
                n.attributes.get("name") or "": n.attributes.get("value") or ""
                for n in form.css("input[type=hidden][name]")
            },
        }
        context = _form_context(form) + " " + (page.via_text or "")
        is_survey = _radio_groups(fields) >= 2 or has_words(_form_context(form), SURVEY_WORDS)
        if is_survey and (page_about(page, SURVEY_WORDS) or _radio_groups(fields) >= 2):
            found.append(Finding("survey", "form", **common))  # type: ignore[arg-type]
        elif "textarea" in fields.values() and _has_submit(form):
            found.append(Finding("web_form", "form", **common))  # type: ignore[arg-type]
        elif "password" in fields.values() and (
            page_about(page, FEEDBACK_WORDS) or has_words(context, FEEDBACK_WORDS)
        ):
            found.append(Finding("web_form", "login", login=True, **common))  # type: ignore[arg-type]
    return found


def widget_findings(page: Page) -> list[Finding]:
    """The Gosuslugi feedback platform's widget: its script and its mount point."""
    mount = page.tree.css_first(WIDGET_MOUNT)
    if mount is None:
        return []
    scripts = [s.attributes.get("src") or "" for s in page.tree.css("script[src]")]
    source = next((urljoin(page.url, s) for s in scripts if WIDGET_HOST in s), None)
    inline = any(
        WIDGET_HOST in (s.text() or "") and "Widget(" in (s.text() or "")
        for s in page.tree.css("script:not([src])")
    )
    if source is None and not inline:
        return []
    return [
        Finding(
            "web_form",
            "widget",
            page,
            selector_of(mount),
            text_of(mount) or "виджет обратной связи Госуслуг",
            target=source,
        )
    ]


# -- FAQ --------------------------------------------------------------------------------------


def _is_question(text: str) -> bool:
    return text.rstrip().endswith("?") and len(text) >= 8


def _pairs(region: LexborNode) -> tuple[int, int]:
    """(questions, questions with an answer) in a region: details/summary, dl, or a question
    element followed by the answer's text."""
    questions = answered = 0
    for details in region.css("details"):
        summary = details.css_first("summary")
        if summary is not None and _is_question(text_of(summary)):
            questions += 1
            answered += len(text_of(details, 2000)) > len(text_of(summary, 2000)) + 10
    for term in region.css("dt"):
        if _is_question(text_of(term)):
            questions += 1
            answer = term.next
            while answer is not None and answer.tag == "-text":
                answer = answer.next
            answered += answer is not None and answer.tag == "dd" and bool(text_of(answer))
    if questions:
        return questions, answered
    for node in region.css("h2, h3, h4, h5, button, strong, p, a, .question"):
        if _is_question(text_of(node)):
            questions += 1
            answer = node.next
            while answer is not None and (answer.tag == "-text" and not text_of(answer)):
                answer = answer.next
            text = text_of(answer) if answer is not None else ""
            answered += len(text) > 10 and not _is_question(text)
    return questions, answered


def faq_findings(page: Page) -> list[Finding]:
    headings = page.headings()
    for heading in sorted(headings, key=lambda h: h.tag == "title"):
        if not has_words(text_of(heading), FAQ_WORDS):
            continue
        region = heading.parent if heading.tag != "title" else page.tree.body
        while region is not None and region.tag not in ("body", "section", "main", "article"):
            if _pairs(region)[0]:
                break
            region = region.parent
        if region is None:
            continue
        questions, answered = _pairs(region)
        kind = "accordion" if region.css_first("details, .accordion") is not None else "section"
        node = region if region.tag != "body" else heading
        text = f"{text_of(heading)}: вопросов {questions}, с ответами {answered}"
        finding = Finding("faq", kind, page, selector_of(node), text, answered=answered > 0)
        return [finding] if questions or page_about(page, FAQ_WORDS) else []
    questions, answered = _pairs(page.tree.body) if page.tree.body is not None else (0, 0)
    first = page.tree.css_first("details, .accordion")
    if questions >= 2 and first is not None:
        region = first.parent or first
        text = f"вопросов {questions}, с ответами {answered}"
        return [Finding("faq", "accordion", page, selector_of(region), text, answered=True)]
    return []


# -- links to the assessment's questionnaire ----------------------------------------------------


def survey_link_findings(page: Page) -> list[Finding]:
    found = []
    for node in page.tree.css("a[href]"):
        href = urljoin(page.url, node.attributes.get("href") or "")
        host = (urlsplit(href).hostname or "").lower()
        if host == ASSESSMENT_HOST or host.endswith("." + ASSESSMENT_HOST):
            found.append(
                Finding("survey", "link", page, selector_of(node), text_of(node), target=href)
            )
    return found[:3]


def detect(page: Page) -> list[Finding]:
    return (
        form_findings(page)
        + widget_findings(page)
        + faq_findings(page)
        + survey_link_findings(page)
    )

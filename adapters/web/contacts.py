"""Phone numbers and e-mail addresses published on a page: `tel:`/`mailto:` links and the
visible text, normalised as the directory stores them (E.164 by `phonenumbers`, e-mail
addresses as `email_validator` normalises them), so the two compare as strings."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from adapters.web.page import Page

# Over visible text only (the HTML is parsed first): a candidate, then validated.
_EMAIL_CANDIDATE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def _e164(text: str) -> list[str]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.VALID):
        found.append(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return found


def phones(page: Page) -> list[str]:
    found: list[str] = []
    for node in page.tree.css("a[href^='tel:']"):
        found += _e164(unquote((node.attributes.get("href") or "")[4:]))
    found += _e164(page.visible_text)
    return list(dict.fromkeys(found))


def _email(raw: str) -> str | None:
    try:
        # test_environment: the special-use `.test` domains (the sandbox's) are addresses too.
        address = validate_email(raw.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return None
    return str(address.normalized)  # as the directory stores an address


def emails(page: Page) -> list[str]:
    raw: list[str] = []
    for node in page.tree.css("a[href^='mailto:']"):
        href = node.attributes.get("href") or ""
        raw.append(unquote(urlsplit(href).path))
    raw += _EMAIL_CANDIDATE.findall(page.visible_text)
    found = [e for e in (_email(r) for r in raw) if e]
    return list(dict.fromkeys(found))

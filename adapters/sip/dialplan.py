"""From a normalised E.164 number to the request URI the trunk expects, and back to a host."""

from __future__ import annotations

import re
import string

import phonenumbers

from probe.errors import OurSideError

PLACEHOLDERS = frozenset({"e164", "digits", "national", "trunk"})
_URI_HOST = re.compile(r"^sips?:(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)")


class DialPlanError(ValueError):
    pass


def validate_template(template: str) -> str:
    if not template.startswith(("sip:", "sips:")):
        raise DialPlanError(f"the dial plan must produce a SIP URI (sip:...): {template!r}")
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise DialPlanError(
            f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)} in dial plan "
            f"{template!r}; known: {', '.join('{' + n + '}' for n in sorted(PLACEHOLDERS))}"
        )
    return template


def request_uri(template: str, *, e164: str, trunk: str | None) -> str:
    """`sip:8{national}@{trunk}` and +73812357000 -> sip:83812357000@trunk."""
    validate_template(template)
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise DialPlanError(f"not an E.164 number: {e164!r}") from None
    if not e164.startswith("+") or not phonenumbers.is_possible_number(number):
        raise DialPlanError(f"not an E.164 number: {e164!r}")
    if "{trunk}" in template and not trunk:
        raise OurSideError(
            "no SIP trunk configured: set PROBE_SIP__REGISTRAR (or call a SIP URI)",
            error_class="sip_not_configured",
            permanent=True,
        )
    digits = e164.lstrip("+")
    return template.format(
        e164=e164, digits=digits, national=str(number.national_number), trunk=trunk or ""
    )


def uri_host(uri: str) -> str:
    """The host of a SIP URI or of a bare `host[:port]`, brackets of IPv6 removed."""
    text = uri.strip().strip("<>")
    if not text.startswith(("sip:", "sips:")):
        text = "sip:" + text
    match = _URI_HOST.match(text)
    if match is None or not match.group(1):
        raise DialPlanError(f"no host in SIP URI {uri!r}")
    return match.group(1).strip("[]")

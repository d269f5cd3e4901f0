"""Protocol No. 5, table 1 for one organisation (rules R11-R13, R15) and its indicator 1.2."""

from __future__ import annotations

from probe.results import CheckStatus
from probe.reviews import ReviewField
from probe.scoring.data import CheckRow, ReviewRow
from probe.scoring.indicator import indicator_1_2
from probe.scoring.model import ChannelState, MailRow, PhoneRow, Protocol5Row
from probe.scoring.names import Channel
from probe.scoring.phone import HISTORICAL_SOURCE, numbers_not_fully_tried
from probe.scoring.rules import (
    SITE_CHECKED,
    SITE_UNREACHABLE,
    WEB,
    email_works,
    newest,
    operator_channel,
    phone_works,
    site_verdict,
)
from probe.scoring.view import OrganisationView

TABLE = "Протокол 5, таблица 1"
_SERVICES = (
    (ReviewField.WEB_FORM, "7-8", "электронные сервисы не проверены"),
    (ReviewField.FAQ, "9-10", "раздел «Часто задаваемые вопросы» не проверен"),
    (ReviewField.SURVEY, "11-12", "анкета для опроса не проверена"),
)
_SITE_OUTCOMES = frozenset({SITE_CHECKED, SITE_UNREACHABLE})
_ENDED = frozenset({CheckStatus.DONE.value, CheckStatus.CANCELLED.value})


def _published(view: OrganisationView, channel: str) -> bool:
    return any(
        c.channel == channel and c.active and not c.is_fax and c.source != HISTORICAL_SOURCE
        for c in view.contacts()
    )


def to_correct(view: OrganisationView, channel: str) -> list[str]:
    """R11, R12: the published numbers or addresses that cannot be tried as written (unparsable,
    a look-alike letter) and that no operator has corrected yet. While one is left, a channel
    that has not worked is not judged «нет»: the organisation may answer at the corrected one
    (seed 000 rows 1 and 12: the checker wrote to the addresses as meant and got replies)."""
    if view.data.campaign.historical:
        return []
    return [
        c.raw
        for c in view.contacts()
        if c.channel == channel
        and c.active
        and c.value is None
        and not c.is_fax
        and c.source != HISTORICAL_SOURCE
    ]


def _operator_review(view: OrganisationView, field: ReviewField) -> ReviewRow | None:
    """R13: the newest review of `field`, organisation-level or on one of its web checks."""
    on_checks = (r for c in view.of_channel(WEB) for r in view.reviews_of(c, field))
    return newest([*(r for r in view.org_reviews if r.field == field), *on_checks])


def _latest_site_check(view: OrganisationView) -> tuple[CheckRow | None, bool]:
    """R15: the latest final web check (the site answered or failed; our failures do not
    count), and whether a newer attempt is still to come."""
    final = None
    for check in view.of_channel(WEB):
        if check.status == CheckStatus.DONE and view.outcome(check) in _SITE_OUTCOMES:
            final = check
    after = final.id if final is not None else 0
    # A follow-up (a test question's answer awaited by e-mail) is not a newer attempt.
    coming = any(
        c.status not in _ENDED and c.id > after and not (c.details or {}).get("follow_up")
        for c in view.of_channel(WEB)
    )
    return final, coming


def _service(view: OrganisationView, field: ReviewField, columns: str, what: str) -> ChannelState:
    review = _operator_review(view, field)
    state = operator_channel(review.value if review else None)
    if state is not None:
        return ChannelState(*state)
    if WEB not in view.data.channels:
        view.wait_for(table=TABLE, columns=columns, what=what, rule="R13")
        return ChannelState(None, None)
    check, coming = _latest_site_check(view)
    if check is None:
        if not any(c.channel == WEB and c.active for c in view.contacts()):
            awaits = "адрес сайта не указан в справочнике: решает оператор"
            view.wait_for(table=TABLE, columns=columns, what=awaits, rule="R13")
        else:
            awaits = "проверка сайта не завершена" if coming else "сайт не проверен"
            view.wait_for(table=TABLE, columns=columns, what=awaits, rule="R15")
        return ChannelState(None, None)
    verdict = site_verdict(view.outcome(check), check.details, field.value, retry_planned=coming)
    if verdict.awaits is not None:
        # Presence established, working awaited: only the "working" column waits.
        waiting = columns.partition("-")[2] if verdict.present is not None else columns
        view.wait_for(
            table=TABLE, columns=waiting, what=f"{verdict.awaits} (проверка {check.id})",
            rule=verdict.rule,
        )  # fmt: skip
    return ChannelState(verdict.present, verdict.working)


def protocol5_row(view: OrganisationView, phone: PhoneRow, mail: MailRow) -> Protocol5Row:
    untried = (
        numbers_not_fully_tried(view) if phone.total_calls and not phone.connected_calls else []
    )
    phone_fix = [] if phone.connected_calls else to_correct(view, Channel.PHONE)
    phone_state = ChannelState(
        _published(view, Channel.PHONE),
        phone_works(
            phone.total_calls, phone.connected_calls, fully_tried=not (untried or phone_fix)
        ),
    )
    if phone_state.working is None:
        reasons = [
            *(
                ["номер требует исправления оператором: " + ", ".join(phone_fix)]
                if phone_fix
                else []
            ),
            *(["не все номера получили все попытки: " + ", ".join(untried)] if untried else []),
        ]
        what = "; ".join(reasons) or "телефон не проверен"
        view.wait_for(table=TABLE, columns="4", what=what, rule="R11")
    answered = sum(1 for x in mail.letters if x.state == "replied")
    waiting = sum(1 for x in mail.letters if x.state == "awaiting")
    mail_fix = [] if answered else to_correct(view, Channel.EMAIL)
    email_state = ChannelState(
        _published(view, Channel.EMAIL),
        email_works(len(mail.letters), answered, waiting, all_usable=not mail_fix),
    )
    if email_state.working is None:
        what = (
            "адрес требует исправления оператором: " + ", ".join(mail_fix)
            if mail_fix
            else "электронная почта не проверена"
        )
        view.wait_for(table=TABLE, columns="6", what=what, rule="R12")
    others = [_service(view, field, columns, what) for field, columns, what in _SERVICES]
    states = [phone_state, email_state, *others]
    # A channel that is absent cannot work: its None "working" is a known False.
    working = [False if s.present is False else s.working for s in states]
    return Protocol5Row(
        number=view.number,
        organisation_id=view.id,
        protocol_row=view.org.protocol_row,
        name=view.name,
        phone=phone_state,
        email=email_state,
        web_form=others[0],
        faq=others[1],
        survey=others[2],
        indicator_1_2=indicator_1_2(working),
    )

"""What an operator can change, shared by the forms and the JSON API.

Each operation validates its input with an exact message for staff, then writes through the
storage functions, which put every change in the audit log under the operator's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from probe.channels import UnknownChannelError, contact_kind, contact_kinds
from probe.directory.normalize import ContactParseError, parse_one_contact
from probe.reviews import ALLOWED_VALUES, ReviewField, etiquette_value, parse_etiquette
from probe.web import labels
from probe.web.deps import CurrentUser
from storage.checks import RequeueError, add_review, requeue_check
from storage.corrections import CORRECTION_KINDS, CorrectionError, add_contact, correct_contact
from storage.engine import session_scope
from storage.judgements import JudgementError, refuse_inapplicable
from storage.models import Check, Contact, Organisation
from storage.review_claims import ClaimedByAnother, before_saving
from storage.review_queue import failed_outcomes, needs_human

# The judgements a check page offers (verdict has its own form, with a required reason).
CHECK_FIELDS = (
    ReviewField.ETIQUETTE,
    ReviewField.TRANSFERS,
    ReviewField.GRADE,
    ReviewField.CALL_NOTE,
    ReviewField.NOTE,
    # A web check's services (Protocol 5 columns 7-12): confirmed or overturned on its page.
    ReviewField.WEB_FORM,
    ReviewField.FAQ,
    ReviewField.SURVEY,
    # The directory may be outdated (storage.published): corrected, or found current.
    ReviewField.DIRECTORY,
)
MAX_TEXT = 4000


class ActionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(value: str, what: str, *, required: bool, field: str) -> str:
    """`what`: what to ask for («Укажите причину.»); `field`: the form field's own name."""
    value = value.strip()
    if required and not value:
        raise ActionError(400, f"Укажите {what}.")
    if len(value) > MAX_TEXT:
        raise ActionError(
            400,
            f"Слишком длинный текст в поле «{field}»: допускается не более {MAX_TEXT} "
            f"символов (введено {len(value)}).",
        )
    if "\x00" in value:
        raise ActionError(400, f"Недопустимый символ в поле «{field}».")
    return value


def _check(db: Session, check_id: int, user: CurrentUser | None = None) -> Check:
    """The check; with `user` (about to change it), refused while another operator has it «в
    работе», the user's own claim renewed."""
    check = db.get(Check, check_id)
    if check is None:
        raise ActionError(404, f"Проверка №{check_id} не найдена.")
    if user is not None:
        try:
            before_saving(session=db, check_id=check_id, username=user.username)
        except ClaimedByAnother as held:
            raise ActionError(409, claimed_message(held)) from None
    return check


def claimed_message(held: ClaimedByAnother) -> str:
    left = labels.minutes_left(held.until)
    return (
        f"Проверку №{held.check_id} сейчас разбирает {held.username} (в работе ещё {left}): "
        "выберите другую проверку в очереди."
    )


def review(
    *, engine: Engine, user: CurrentUser, check_id: int, field: str, value: str, reason: str = ""
) -> None:
    try:
        review_field = ReviewField(field)
    except ValueError:
        review_field = None
    if review_field not in CHECK_FIELDS:
        raise ActionError(400, f"Неизвестное поле оценки: «{field}».")
    assert review_field is not None
    allowed = ALLOWED_VALUES[review_field]
    what = labels.FIELDS[review_field.value]
    if review_field is ReviewField.ETIQUETTE:
        value = _etiquette(value, what)
    elif allowed is None:
        value = _text(value, f"текст ({what})", required=True, field=what)
    elif value not in allowed:
        raise ActionError(400, f"Недопустимое значение для «{what}»: «{value}».")
    reason = _text(reason, "причину", required=False, field="Причина")
    with session_scope(engine) as db:
        check = _check(db, check_id, user)
        try:
            refuse_inapplicable(session=db, check=check, field=review_field.value)
        except JudgementError as error:
            outcome = labels.label(labels.OUTCOMES, error.outcome)
            raise ActionError(
                400, f"«{what}» не оценивается у проверки с результатом «{outcome}»."
            ) from None
        add_review(
            session=db,
            author=user.username,
            field=review_field.value,
            value=value,
            reason=reason,
            check_id=check_id,
        )


def _etiquette(value: str, what: str) -> str:
    """One judgement per person who answered, comma-separated; empty: that person not judged."""
    try:
        return etiquette_value(parse_etiquette(value))
    except ValueError:
        pass
    if not value.replace(",", "").strip():
        raise ActionError(400, "Оцените этикет хотя бы одного ответившего.")
    raise ActionError(400, f"Недопустимое значение для «{what}»: «{value}».")


def verdict(*, engine: Engine, user: CurrentUser, check_id: int, value: str, reason: str) -> None:
    """Confirm the automatic outcome ("confirmed") or overturn it to another outcome."""
    with session_scope(engine) as db:
        check = _check(db, check_id, user)
        allowed = {"confirmed"} | set(labels.verdict_outcomes(check.channel))
        if value not in allowed:
            raise ActionError(400, f"Недопустимый вердикт для этого канала: «{value}».")
        if value == check.outcome:
            raise ActionError(
                400, "Исправленный результат совпадает с автоматическим: выберите «подтвердить»."
            )
        reason = reason_text(reason)
        add_review(
            session=db,
            author=user.username,
            field=ReviewField.VERDICT.value,
            value=value,
            reason=reason,
            check_id=check_id,
            campaign_id=check.campaign_id,
        )


def confirm_failure(*, engine: Engine, user: CurrentUser, check_id: int, reason: str) -> None:
    """Bulk confirm from the queue: the automatic outcome of a failure still waiting for a
    verdict (in the queue) is confirmed; anything else is refused (judged meanwhile, retried,
    not a failure, or another operator's)."""
    reason = reason_text(reason)
    with session_scope(engine) as db:
        check = _check(db, check_id, user)
        waiting = db.exec(select(Check.id).where(Check.id == check_id, needs_human())).first()
        if waiting is None or check.outcome not in failed_outcomes():
            raise ActionError(400, f"Проверка №{check_id} уже не ждёт подтверждения.")
        add_review(
            session=db,
            author=user.username,
            field=ReviewField.VERDICT.value,
            value="confirmed",
            reason=reason,
            check_id=check_id,
            campaign_id=check.campaign_id,
        )


def reason_text(reason: str) -> str:
    """A verdict's reason, required."""
    return _text(reason, "причину решения", required=True, field="Причина")


def requeue(*, engine: Engine, user: CurrentUser, check_id: int, reason: str) -> int:
    reason = _text(reason, "причину повторной проверки", required=True, field="Причина")
    with session_scope(engine) as db:
        check = _check(db, check_id, user)
        try:
            again = requeue_check(session=db, check=check, actor=user.username, reason=reason)
        except RequeueError as error:
            raise ActionError(400, _requeue_message(error, check)) from None
        assert again.id is not None
        return again.id


def _requeue_message(error: RequeueError, check: Check) -> str:
    if error.reason == "newer_pending":
        return f"Проверка уже поставлена повторно: попытка №{error.other_id} ещё не выполнена."
    if error.reason == "newer_done":
        return f"По этому контакту уже есть более новая попытка №{error.other_id}: повторяйте её."
    if error.reason == "contact_inactive":
        text = f"Контакт №{check.contact_id} заменён или отключён: повторять по нему нельзя."
        return text + (f" Действующий контакт: №{error.other_id}." if error.other_id else "")
    if error.reason == "campaign_over":
        status = labels.label(labels.CAMPAIGN_STATUSES, error.detail)
        return f"Кампания {status}: повторная проверка в ней невозможна."
    return "Повторить можно только завершённую проверку."


def _parse_contact(kind: str, raw: str, area_code: str) -> tuple[str, str | None]:
    """One corrected contact of `kind`, normalised by the channel that declares the kind (its
    own function) or the directory's parser; an undeclared kind is refused, never guessed."""
    try:
        declared = contact_kind(kind)
    except UnknownChannelError:
        raise ActionError(400, f"Неизвестный вид контакта: «{kind}».") from None
    try:
        if declared.normalise is not None:
            return declared.normalise(raw, area_code)
        return parse_one_contact(kind, raw, area_code)
    except (ContactParseError, ValueError) as error:
        raise ActionError(400, str(error)) from None


@dataclass(frozen=True)
class Entered:
    """A contact an operator entered: the one now in use, and whether it is one the
    organisation had before (replaced or switched off), switched back on."""

    contact_id: int
    reactivated: bool


def _write_contact(
    store: Callable[..., Any],
    *,
    contact_kind: str,
    raw: str,
    area_code: str,
    user: CurrentUser,
    reason: str,
    contact_id: int | None = None,
    **where: Any,
) -> Any:
    """What correcting and adding a contact share: `raw` normalised as a contact of
    `contact_kind`, then written by the storage function `store` (`where`: what it is for);
    a refusal worded for staff. `contact_id`: the contact being corrected, if any."""
    value, extension = _parse_contact(contact_kind, raw, area_code)
    try:
        return store(
            raw=raw, value=value, extension=extension, actor=user.username, reason=reason, **where
        )
    except CorrectionError as error:
        raise ActionError(400, _refusal(error, contact_id)) from None


def _refusal(error: CorrectionError, contact_id: int | None) -> str:
    number = error.other_id
    if error.reason == "inactive":
        return f"Контакт №{contact_id} уже заменён или отключён: исправляйте действующий."
    if error.reason == "has":
        return f"У организации уже есть такой контакт: {error.key} (№{number})."
    return str(error)


def correct(
    *, engine: Engine, user: CurrentUser, contact_id: int, kind: str, raw: str, reason: str
) -> Entered:
    """Mark a contact wrong or outdated and give the corrected value: a new contact replaces it,
    or the organisation's earlier contact with that value is switched back on."""
    if kind not in CORRECTION_KINDS:
        raise ActionError(400, f"Неизвестный вид исправления: «{kind}».")
    raw = _text(raw, "исправленный контакт", required=True, field="Правильное значение")
    reason = _text(reason, "причину", required=False, field="Откуда известно")
    with session_scope(engine) as db:
        contact = db.get(Contact, contact_id)
        if contact is None:
            raise ActionError(404, f"Контакт №{contact_id} не найден.")
        org = db.get(Organisation, contact.organisation_id)
        new, reactivated = _write_contact(
            correct_contact,
            contact_kind=contact.channel,
            raw=raw,
            area_code=org.area_code if org else "",
            user=user,
            reason=reason,
            contact_id=contact_id,
            session=db,
            contact=contact,
            kind=kind,
        )
        assert new.id is not None
        return Entered(new.id, reactivated)


def add(
    *, engine: Engine, user: CurrentUser, organisation_id: int, kind: str, raw: str, reason: str
) -> Entered:
    """A contact the directory lacks (a website, a phone, an address), of a registered kind,
    normalised by its channel; one the organisation has is refused, one it had (replaced or
    switched off) is switched back on (audited)."""
    channel = next((ch for ch, k in contact_kinds() if k.name == kind), None)
    if channel is None:
        raise ActionError(400, f"Неизвестный вид контакта: «{kind}».")
    raw = _text(raw, "значение контакта", required=True, field="Значение")
    reason = _text(reason, "причину", required=False, field="Откуда известно")
    with session_scope(engine) as db:
        org = db.get(Organisation, organisation_id)
        if org is None or org.id is None:
            raise ActionError(404, "Организация не найдена.")
        new, reactivated = _write_contact(
            add_contact,
            contact_kind=kind,
            raw=raw,
            area_code=org.area_code,
            user=user,
            reason=reason,
            session=db,
            organisation_id=org.id,
            channel=channel,
        )
        assert new.id is not None
        return Entered(new.id, reactivated)

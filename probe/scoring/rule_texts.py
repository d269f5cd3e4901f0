"""The text of every rule that turns measurements and reviews into a protocol verdict.

Each rule has an id cited by the export's notes sheet and by docs/scoring.md, its text in
Russian (for the assessment team) and English; the function that applies it is in `rules.py`.
Changing what a rule decides means bumping RULES_VERSION, so an export always says which rules
produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

# 5: R11, R12 wait while a published contact needs an operator's correction
# 6: R15, Protocol 5 columns 7-12 from the web check; R13 also reads reviews on web checks
# 7: R15, a service found absent on a site whose pages the browser could not open is the
#    operator's to judge
RULES_VERSION = "7"


@dataclass(frozen=True)
class Rule:
    id: str
    ru: str
    en: str


RULES: tuple[Rule, ...] = (
    Rule(
        "R1",
        "Звонком (графа 5) считается завершённая попытка с исходом, зависящим от организации: "
        "соединение, занято, не отвечает, номер недоступен, вызов сброшен, автоответчик. "
        "Сбои на нашей стороне, незавершённые и отменённые попытки звонками не считаются "
        "(они есть на листе аудита).",
        "A phone check counts as a call (column 5) when it is done with an outcome the "
        "organisation caused: connected, busy, no_answer, unavailable, rejected, "
        "answering_machine. Our-side failures (failed, unknown) and checks not done are not "
        "calls; they are on the audit sheet.",
    ),
    Rule(
        "R2",
        "Наборы, записанные оператором как один пронумерованный звонок (исторический импорт), "
        "считаются одним звонком; каждая попытка программы — отдельный звонок.",
        "Dials an operator logged as one numbered call (details.call_group, historical "
        "imports) count as one call; every check of the prober is a call of its own.",
    ),
    Rule(
        "R3",
        "Звонок завершился соединением с ОСО (графа 6), если хотя бы один его набор имеет исход "
        "«соединение». Автоответчик соединением не считается; ответ с последующим переводом "
        "и обрывом считается соединением.",
        "A call ended in a connection (column 6) when at least one of its dials is connected. "
        "An answering machine is not a connection; an answered call that was transferred and "
        "then dropped is.",
    ),
    Rule(
        "R4",
        "Решение оператора по попытке (подтвердить или исправить результат) заменяет "
        "автоматический исход: действует последнее; подтверждение оставляет исход; значение, "
        "не подходящее каналу, не учитывается.",
        "An operator's verdict review on a check replaces its automatic outcome (newest wins; "
        "'confirmed' keeps it; a value not valid for the channel is ignored).",
    ),
    Rule(
        "R5",
        "Графа 4: дата и время набора по часовому поясу организации, набранный номер и пометка "
        "по исходу: занято, не отвечает, номер недоступен, вызов сброшен, автоответчик; при "
        "соединении пометки нет, кроме «попросили перезвонить» по отметке оператора. Пометка "
        "из ручного протокола (исторический импорт) приводится так, как она записана, пока "
        "оператор не изменил исход набора; исход по-прежнему определяет подсчёт.",
        "Column 4: date and time of each dial in the organisation's time zone, the number, and "
        "a note from the outcome; a connected dial has no note unless a call_note review says "
        "callback_requested. A note imported from a manual protocol (details.note) is shown as "
        "written while no verdict changed the dial's outcome; the outcome still decides the "
        "counts.",
    ),
    Rule(
        "R6",
        "Перевод вызова и оценка: действует последняя отметка оператора по организации "
        "в кампании; если её нет — последняя отметка по попыткам организации в этом канале. "
        "Оценка по организации без привязки к попытке относится к таблице 1 только в кампании "
        "лишь по телефону, к таблице 2 — только по почте; иначе она неоднозначна и не "
        "учитывается.",
        "Transfers and grade per organisation: the newest organisation-level review "
        "in the campaign wins; otherwise the newest review on the organisation's checks of "
        "that channel. An organisation-level grade applies to table 1 only in a phone-only "
        "campaign and to table 2 only in an e-mail-only one; otherwise it is ambiguous and "
        "ignored.",
    ),
    Rule(
        "R7",
        "Без отметки оператора о переводе используется число переводов, измеренное программой "
        "в последнем соединившемся звонке: 0 — графа 10, 1 — графа 11, 2 и более — графа 12.",
        "With no transfers review, the prober's details.transfers on the newest connected call "
        "that has it decides: 0 -> column 10, 1 -> 11, 2 or more -> 12.",
    ),
    Rule(
        "R8",
        "Графа без оценки помечается «ожидает оценки» и вносится в лист «Ожидают оценки»: "
        "этикет и перевод — "
        "если было соединение; оценка по телефону — если был звонок; оценка по почте — если "
        "было отправлено письмо. Без соединения этикет и перевод не оцениваются. Этикет ждёт "
        "оценки, пока не оценён хотя бы один ответивший (R14).",
        "A column nobody judged is marked «ожидает оценки» and listed as pending: etiquette "
        "and transfers "
        "when a call connected; the phone grade when a call was counted; the e-mail grade when "
        "a letter was sent. Without a connection etiquette and transfers do not apply. "
        "Etiquette is pending while any person who answered is not judged (R14).",
    ),
    Rule(
        "R9",
        "Письмом считается попытка по почте, которая была отправлена (ожидает ответа или "
        "завершена с любым исходом, кроме ошибки отправки и неизвестного). Дата отправки — "
        "записанная при отправке (при импорте — дата из протокола), иначе дата начала попытки "
        "по часовому поясу организации.",
        "An e-mail check is a letter once sent: waiting, or done with any outcome except "
        "send_failed and unknown. Date sent: details.sent_on, else the local date of "
        "started_at.",
    ),
    Rule(
        "R10",
        "Ответ получен, если исход письма — «ответили»: ответ, пришедший в течение срока "
        "ожидания кампании (по умолчанию 30 дней, 59-ФЗ), засчитывается и после нормы в 3 "
        "рабочих дня, с отметкой об опоздании. Дата ответа — записанный момент получения "
        "ответа, иначе записанная дата ответа (при импорте — из протокола), иначе время "
        "завершения попытки, по часовому поясу организации. Автоответ, недоставка и отсутствие "
        "ответа — «нет ответа»; письмо, ожидающее ответа, — «ожидается ответ».",
        "A letter was answered when its outcome is replied: a reply inside the campaign's reply "
        "window (30 days by default, law 59-FZ) counts even after the 3-working-day norm, marked "
        "late (details.late). Reply date: details.replied_at (ISO "
        "instant, UTC), else details.replied_on (a date), else finished_at, in the "
        "organisation's time zone. auto_replied, bounced and no_reply are 'нет ответа'; a "
        "letter still waiting is 'ожидается ответ' and pending.",
    ),
    Rule(
        "R11",
        "Протокол 5, телефон: наличие — организация публикует телефон (не факс); "
        "функционирование — «да», если хотя бы один звонок завершился соединением, «нет», если "
        "соединения не было, а каждый опубликованный номер получил все попытки по правилам "
        "кампании (число попыток на номер или на организацию исчерпано, либо номер недоступен); "
        "без звонков, пока какой-то номер не получил всех попыток или пока опубликованный номер "
        "нельзя набрать без исправления оператором — ожидает.",
        "Protocol 5, phone: present when the organisation publishes a phone (not a fax); "
        "working 'да' when a call connected, 'нет' when none connected and every published "
        "number had its full set of attempts by the campaign's rules (per_contact or "
        "per_organisation reached, or an outcome after which the policy never calls the number "
        "again); pending when no call was counted, while a number has not had its full set, or "
        "while a published number cannot be dialled until an operator corrects it.",
    ),
    Rule(
        "R12",
        "Протокол 5, электронная почта: наличие — организация публикует адрес; "
        "функционирование — «да», если хотя бы на одно письмо получен ответ, «нет», если все "
        "письма без ответа; пока письмо ожидает ответа, писем не было или опубликованный адрес "
        "нельзя использовать без исправления оператором (например, русская буква в латинском "
        "адресе) — ожидает.",
        "Protocol 5, e-mail: present when the organisation publishes an address; working 'да' "
        "when a letter was answered, 'нет' when every letter is final and none was; pending "
        "while a letter waits, when none was sent, or while a published address cannot be used "
        "until an operator corrects it (e.g. a Cyrillic letter in a Latin address).",
    ),
    Rule(
        "R13",
        "Протокол 5, электронные сервисы, раздел «Часто задаваемые вопросы», анкета: "
        "последняя отметка оператора по организации или по проверке её сайта в кампании "
        "решает: работает — да/да; не работает — да/нет; отсутствует — нет/нет. Без отметки — "
        "по проверке сайта (R15), а без неё — ожидает.",
        "Protocol 5, web form, FAQ and survey: the newest operator review, organisation-level "
        "or on one of the organisation's web checks in the campaign, decides: working -> "
        "да/да, not_working -> да/нет, absent -> нет/нет. Without one, the web check decides "
        "(R15); without that, pending.",
    ),
    Rule(
        "R14",
        "Этикет (графы 7-9) оценивается для каждого ответившего: взявшего трубку в каждом "
        "звонке, завершившемся соединением, и каждого специалиста, к которому звонок перевели. "
        "Для звонка действует последняя отметка оператора по его попыткам — по одной оценке на "
        "ответившего, в порядке ответа. Без отметки ответивших столько: один плюс число "
        "переводов (по отметке оператора о переводе, иначе измеренное программой), и все ждут "
        "оценки. Отметка по организации (без привязки к звонкам) заменяет отметки по звонкам. "
        "В строке организации — все отметки: в каждой графе столько ответивших, сколько "
        "оценено по ней.",
        "Etiquette (columns 7-9) is judged for each person who answered: whoever picked up each "
        "connected call and each specialist the call was transferred to. A call's judgements "
        "are the newest etiquette review on its checks, one value per person in the order they "
        "answered. Without one, the call has 1 + its transfers persons (the operator's "
        "transfers review, else the prober's count; 'several' counts 2), all pending. An "
        "organisation-level etiquette review (persons not tied to calls) replaces the calls'. "
        "The organisation row shows every mark: the number of persons in each column.",
    ),
    Rule(
        "R15",
        "Протокол 5, графы 7-12 по последней завершённой проверке сайта организации в "
        "кампании: наличие и функционирование каждого сервиса — как их установила проверка "
        "(страница и форма открываются без ошибки, адрес отправки формы отвечает). Если "
        "сервис защищён капчей или требует входа, функционирование решает оператор; если "
        "сервис не найден, а страница сайта не открылась в браузере (содержимое, которое "
        "добавляют скрипты, не проверено), наличие решает оператор; если сайт "
        "недоступен (адрес не найден, нет соединения, ошибка защищённого соединения или "
        "просроченный сертификат, ошибка сервера, истекло время ожидания) после всех попыток "
        "по правилам кампании, наличие решает оператор; пока попытки не "
        "исчерпаны или сайт не проверен — ожидает проверки. Сбои на нашей стороне не "
        "учитываются.",
        "Protocol 5 columns 7-12 from the organisation's latest final web check in the "
        "campaign: each service present and working as the check found it (the page and the "
        "form load without error, the form's target answers). A CAPTCHA or a login wall "
        "leaves 'working' to the operator; a service not found on a site whose page the browser "
        "could not open (script-inserted content unseen) leaves 'present' to the operator; a "
        "site unreachable (DNS, TCP, TLS, an expired "
        "certificate, an HTTP error, a timeout) after the campaign's attempts leaves 'present' "
        "to the operator; while an attempt is planned or the site is not checked, the columns "
        "wait for the check. Our own failures do not count.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}

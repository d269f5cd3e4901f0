"""The XLSX export: the protocol tables in their own layout, pending work, notes and audit.

Written with openpyxl's write-only mode: rows stream to disk, so memory stays flat however many
organisations a campaign has.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from probe import ru
from probe.export import headers as h
from probe.export.labels import (
    GRADE_ORDER,
    GRADE_RU,
    PENDING,
    TRANSFER_ORDER,
    UNCHECKED,
    PendingRanges,
    call_log,
    channel_cells,
    etiquette_marks,
    marks,
    pending_ranges,
    reply_text,
    ru_date,
)
from probe.export.sheet import Sheet, register_styles
from probe.scoring.indicator import FORMULA_RU, INDICATOR_1_2_VERSION
from probe.scoring.mail import TABLE as MAIL_TABLE
from probe.scoring.model import (
    AuditRow,
    CampaignScore,
    Letter,
    MailRow,
    Pending,
    PhoneRow,
    Protocol5Row,
)
from probe.scoring.phone import TABLE as PHONE_TABLE
from probe.scoring.protocol5 import TABLE as P5_TABLE
from probe.scoring.rules import CALL_NOTES, PHONE_NOTES, RULES

CELL, MARK = "protocol_cell", "protocol_mark"
PENDING_SHEET = "Ожидают оценки"
NOTES_SHEET = "Примечания"
AUDIT_SHEET = "Аудит проверок"


def _caption(score: CampaignScore) -> str:
    campaign = score.campaign
    kind = "исторический импорт" if campaign.historical else "автоматическая проверка"
    # The title is the campaign's Russian name; the code name only when it has none.
    return (
        f"Кампания «{campaign.title or campaign.name}» ({kind}); правила подсчёта, версия "
        f"{score.rules_version} (лист «{NOTES_SHEET}»)"
    )


def _mark_pending(cells: list[tuple[Any, str]], ranges: PendingRanges) -> list[tuple[int, int]]:
    """Write the pending word into each pending range left empty (a blank cell would read as
    "no"); return the ranges to merge, so the word spans its columns."""
    merges = []
    for first, last, word in ranges:
        if all(value in ("", None) for value, _ in cells[first - 1 : last]):
            cells[first - 1] = (word, MARK)
            merges.append((first, last))
    return merges


def _append(sheet: Sheet, cells: list[tuple[Any, str]], ranges: PendingRanges) -> None:
    merges = _mark_pending(cells, ranges)
    row = sheet.append_styled(cells)
    for first, last in merges:
        sheet.merge(row, first, row, last)


def _titles(sheet: Sheet, titles: list[str], score: CampaignScore) -> None:
    for text in titles:
        sheet.title(text)
    sheet.text(_caption(score))


def _phone_row(sheet: Sheet, row: PhoneRow, pending: PendingRanges) -> None:
    values = [row.number, row.name, "\n".join(row.numbers_called), call_log(row.calls)]
    values += [row.total_calls, row.connected_calls]
    styled = [(v, CELL) for v in values]
    judged = etiquette_marks(row.etiquette.counts)
    judged += marks(row.transfers.value, TRANSFER_ORDER) + marks(row.grade.value, GRADE_ORDER)
    _append(sheet, styled + [(m, MARK) for m in judged], pending)


def _write_phone(workbook: Workbook, score: CampaignScore) -> None:
    sheet = Sheet(workbook, "Протокол 6 табл. 1", h.PHONE_WIDTHS)
    _titles(sheet, h.PHONE_TITLES, score)
    h.write_header(sheet, h.PHONE_HEADER, numbered=True)
    pending = pending_ranges(score)
    for row in score.table1:
        _phone_row(sheet, row, pending.get((row.organisation_id, PHONE_TABLE), []))


def _mail_rows(sheet: Sheet, row: MailRow, pending: PendingRanges, *, norm: int) -> None:
    letters: list[Letter | None] = [*row.letters] or [None]
    first = sheet.row + 1
    shown_grade = any(x.grade for x in row.letters)
    for index, letter in enumerate(letters):
        head = [row.number, row.name] if index == 0 else [None, None]
        if letter is None:
            cells = [*head, "", "", ""]
            grade = row.grade.value
        else:
            replied = reply_text(letter, norm=norm)
            cells = [*head, "\n".join(letter.addresses), ru_date(letter.sent), replied]
            grade = letter.grade or (row.grade.value if index == 0 and not shown_grade else None)
        styled = [(v, CELL) for v in cells] + [(m, MARK) for m in marks(grade, GRADE_ORDER)]
        # An ungraded organisation's grade awaits on its first line, where a grade would go.
        _append(sheet, styled, pending if index == 0 else [])
    if len(letters) > 1:
        sheet.merge(first, 1, sheet.row, 1)
        sheet.merge(first, 2, sheet.row, 2)


def _write_mail(workbook: Workbook, score: CampaignScore) -> None:
    sheet = Sheet(workbook, "Протокол 6 табл. 2", h.MAIL_WIDTHS)
    _titles(sheet, h.MAIL_TITLES, score)
    h.write_header(sheet, h.MAIL_HEADER, numbered=False)
    pending = pending_ranges(score)
    for row in score.table2:
        found = pending.get((row.organisation_id, MAIL_TABLE), [])
        _mail_rows(sheet, row, found, norm=score.deadline_working_days)
    senders = ", ".join(score.senders) or h.MAIL_FOOTNOTE_UNKNOWN
    sheet.text(h.MAIL_FOOTNOTE.format(sender=senders))


def _p5_row(sheet: Sheet, row: Protocol5Row, pending: PendingRanges) -> None:
    cells = [row.number, row.name]
    yes_no = [value for _, state in row.channels for value in channel_cells(state)]
    # The indicator waits for every column it is computed from.
    indicator = PENDING if row.indicator_1_2 is None else row.indicator_1_2
    _append(sheet, [(v, CELL) for v in cells] + [(v, MARK) for v in [*yes_no, indicator]], pending)


def _write_protocol5(workbook: Workbook, score: CampaignScore) -> None:
    sheet = Sheet(workbook, "Протокол 5 табл. 1", h.P5_WIDTHS)
    _titles(sheet, h.P5_TITLES, score)
    h.write_header(sheet, h.P5_HEADER, numbered=False)
    pending = pending_ranges(score)
    for row in score.protocol5:
        _p5_row(sheet, row, pending.get((row.organisation_id, P5_TABLE), []))


def _write_pending(workbook: Workbook, score: CampaignScore) -> None:
    sheet = Sheet(workbook, PENDING_SHEET, [5, 40, 90, 12])
    sheet.title("Графы, ожидающие оценки оператора или результата проверки")
    sheet.append(["№ п/п", "Организация", "Что ожидает", "Правила"], "protocol_header")
    # One line per organisation: a campaign of thousands stays a readable to-do list.
    by_org: dict[int, list[Pending]] = {}
    for item in score.pending:
        by_org.setdefault(item.organisation_id, []).append(item)
    for items in by_org.values():
        what = "\n".join(f"{p.table}, графы {p.columns}: {p.what}" for p in items)
        rules = ", ".join(dict.fromkeys(p.rule for p in items))
        sheet.append([items[0].number, items[0].name, what, rules], CELL)
    if not score.pending:
        sheet.text("Все графы заполнены.")


def _write_notes(workbook: Workbook, score: CampaignScore) -> None:
    sheet = Sheet(workbook, NOTES_SHEET, [10, 150])
    campaign = score.campaign
    sheet.title("Примечания: как получены значения таблиц")
    generated = datetime.now(UTC).strftime("%d.%m.%Y %H:%M UTC")
    sheet.text(_caption(score))
    sheet.text(
        f"Выгружено {generated}. Время звонков и даты писем — по часовому поясу организации."
    )
    if campaign.historical:
        sheet.text(
            "Кампания импортирована из ручного протокола: источник каждой попытки — на листе "
            f"«{AUDIT_SHEET}» (графа «Подробности»)."
        )
    sheet.text(
        f"«{PENDING}» в графе: оценка оператора ещё не выставлена; «{UNCHECKED}»: проверка ещё "
        f"не проведена (лист «{PENDING_SHEET}»). Пустая графа: оценка не требуется (например, "
        "этикет и перевод вызова без соединения)."
    )
    sheet.append(["Правило", f"Текст (версия правил {score.rules_version})"], "protocol_header")
    for rule in RULES:
        sheet.append([rule.id, rule.ru], CELL)
    sheet.append(["1.2", f"{FORMULA_RU} Версия формулы: {INDICATOR_1_2_VERSION}."], CELL)
    sheet.append(["Графа 4", "Пометки после набора: " + ", ".join(
        [*PHONE_NOTES.values(), *CALL_NOTES.values()])], CELL)  # fmt: skip
    sheet.append(["Табл. 2, графа 5", ru.late_note(score.deadline_working_days)], CELL)


_AUDIT_HEADER = {
    "check_id": "Проверка",
    "number": "№ п/п",
    "channel": "Канал",
    "contact": "Контакт (как опубликован)",
    "attempt": "Попытка",
    "status": "Состояние",
    "outcome": "Исход",
    "effective_outcome": "Исход с учётом решения оператора (R4)",
    "started": "Начало",
    "finished": "Окончание",
    "counted": "Учтено",
    "call_group": "Звонок протокола (R2)",
    "historical": "Исторический импорт",
    "reviews": "Отметки оператора",
    "details": "Подробности (технические данные, JSON)",
}


def _write_audit(workbook: Workbook, score: CampaignScore) -> None:
    names = [f.name for f in fields(AuditRow) if f.name in _AUDIT_HEADER]
    sheet = Sheet(workbook, AUDIT_SHEET, [9, 5, 7, 24, 7, 9, 14, 14, 22, 22, 14, 8, 8, 28, 60])
    sheet.append([_AUDIT_HEADER[n] for n in names], "protocol_header")
    sheet.ws.freeze_panes = "A2"
    cells = attrgetter(*names)
    # Codes in Russian words; a code without one is written as it is, never dropped.
    words = {
        names.index("channel"): ru.CHANNELS,
        names.index("status"): ru.STATUSES,
        names.index("outcome"): ru.OUTCOMES,
        names.index("effective_outcome"): ru.OUTCOMES,
    }
    historical = names.index("historical")
    for row in score.audit:
        values = list(cells(row))
        for index, table in words.items():
            values[index] = ru.word(table, values[index] or None)
        values[historical] = "да" if row.historical else "нет"
        sheet.append(values)


def write_xlsx(score: CampaignScore, out: Path) -> Path:
    workbook = Workbook(write_only=True)
    register_styles(workbook)
    _write_phone(workbook, score)
    _write_mail(workbook, score)
    _write_protocol5(workbook, score)
    _write_pending(workbook, score)
    _write_notes(workbook, score)
    _write_audit(workbook, score)
    workbook.save(out)
    return out


__all__ = ["GRADE_RU", "write_xlsx"]

"""The scored campaign as plain dicts: the JSON export, and the source of the CSV rows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from probe.export.labels import (
    GRADE_RU,
    PENDING,
    PendingRanges,
    call_log,
    channel_cells,
    pending_ranges,
    reply_text,
    ru_date,
)
from probe.ru import word
from probe.scoring.indicator import FORMULA_EN, FORMULA_RU, INDICATOR_1_2_VERSION
from probe.scoring.mail import TABLE as MAIL_TABLE
from probe.scoring.model import Call, CampaignScore, Letter, MailRow, PhoneRow, Protocol5Row
from probe.scoring.phone import TABLE as PHONE_TABLE
from probe.scoring.protocol5 import TABLE as P5_TABLE
from probe.scoring.rules import RULES


def _call(number: int, call: Call) -> dict[str, Any]:
    return {
        "number": number,
        "connected": call.connected,
        # One value per person who answered, in the order they answered; null: not judged.
        "etiquette": list(call.etiquette),
        "dials": [
            {
                "check_id": d.check_id,
                "at": d.at.isoformat(),
                "number": d.number,
                "outcome": d.outcome if d.outcome else None,
                "note": d.note,
            }
            for d in call.dials
        ],
    }


def phone_dict(row: PhoneRow) -> dict[str, Any]:
    return {
        "number": row.number,
        "organisation_id": row.organisation_id,
        "protocol_row": row.protocol_row,
        "name": row.name,
        "numbers_called": row.numbers_called,
        "calls": [_call(i, c) for i, c in enumerate(row.calls, start=1)],
        "call_log": call_log(row.calls),
        "total_calls": row.total_calls,
        "connected_calls": row.connected_calls,
        "etiquette": list(row.etiquette.persons),
        "etiquette_marks": row.etiquette.counts,
        "transfers": row.transfers.value,
        "grade": row.grade.value,
        "sources": {
            "etiquette": row.etiquette.source,
            "transfers": row.transfers.source,
            "grade": row.grade.source,
        },
    }


def _letter(letter: Letter, norm: int) -> dict[str, Any]:
    return {
        "check_id": letter.check_id,
        "addresses": list(letter.addresses),
        "sent": letter.sent.isoformat() if letter.sent else None,
        "replied": letter.replied.isoformat() if letter.replied else None,
        "state": letter.state,
        # R10: replied after the campaign's norm (still a reply), and the working days it took.
        "late": letter.late,
        "working_days": letter.working_days,
        "reply_text": reply_text(letter, norm=norm),
        "grade": letter.grade,
    }


def _summary(row: MailRow) -> dict[str, Any]:
    """The organisation's letter in brief: the first one answered, else the first one sent."""
    letter = next((x for x in row.letters if x.replied), row.letters[0] if row.letters else None)
    return {
        "sent": letter.sent.isoformat() if letter and letter.sent else None,
        "replied": letter.replied.isoformat() if letter and letter.replied else None,
        "summary_check_id": letter.check_id if letter else None,
    }


def mail_dict(row: MailRow, *, norm: int) -> dict[str, Any]:
    return {
        "number": row.number,
        "organisation_id": row.organisation_id,
        "protocol_row": row.protocol_row,
        "name": row.name,
        "addresses": row.addresses,
        # One letter's own dates, never the first sent of one beside the first reply to another.
        **_summary(row),
        "grade": row.grade.value,
        "grade_source": row.grade.source,
        "letters": [_letter(x, norm) for x in row.letters],
    }


def protocol5_dict(row: Protocol5Row) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": row.number,
        "organisation_id": row.organisation_id,
        "protocol_row": row.protocol_row,
        "name": row.name,
    }
    for channel, state in row.channels:
        data[channel] = {"present": state.present, "working": state.working}
    data["indicator_1_2"] = row.indicator_1_2
    return data


def campaign_dict(score: CampaignScore) -> dict[str, Any]:
    campaign = score.campaign
    norm = score.deadline_working_days
    return {
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "title": campaign.title,
            "historical": campaign.historical,
            "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
            # R10: a reply later than this many working days is marked late.
            "deadline_working_days": norm,
        },
        "rules_version": score.rules_version,
        "rules": [asdict(rule) for rule in RULES],
        "indicator_1_2": {
            "version": INDICATOR_1_2_VERSION,
            "formula_ru": FORMULA_RU,
            "formula_en": FORMULA_EN,
        },
        "protocol6_table1": [phone_dict(r) for r in score.table1],
        "protocol6_table2": [mail_dict(r, norm=norm) for r in score.table2],
        "protocol5_table1": [protocol5_dict(r) for r in score.protocol5],
        "pending": [asdict(p) for p in score.pending],
        "checks": [asdict(a) for a in score.audit],
    }


# The CSV's columns: (header, table, protocol column). Headers name the protocol's table and
# column in its own words; table/column place the pending word (None: never pending).
T1, T2, P5 = PHONE_TABLE, MAIL_TABLE, P5_TABLE
CSV_COLUMNS: list[tuple[str, str | None, int | None]] = [
    ("№ п/п", None, None),
    ("Код организации", None, None),
    ("№ строки протокола", None, None),
    ("Организация социального обслуживания", None, None),
    ("Протокол 6, табл. 1, гр. 3: номера телефонов (по данным сайтов)", T1, 3),
    ("Протокол 6, табл. 1, гр. 4: дата и время телефонных звонков", T1, 4),
    ("Протокол 6, табл. 1, гр. 5: общее количество звонков", T1, 5),
    ("Протокол 6, табл. 1, гр. 6: звонки, завершившиеся соединением с ОСО", T1, 6),
    ("Протокол 6, табл. 1, гр. 7: назвал ФИО, должность и ОСО (число лиц)", T1, 7),
    ("Протокол 6, табл. 1, гр. 8: назвал только ОСО (число лиц)", T1, 8),
    ("Протокол 6, табл. 1, гр. 9: не представился и не назвал ОСО (число лиц)", T1, 9),
    ("Протокол 6, табл. 1, гр. 10-12: актуальность телефонов (перевод вызова)", T1, 10),
    ("Протокол 6, табл. 1, гр. 13-16: качество консультации", T1, 13),
    ("Протокол 6, табл. 2, гр. 3: адрес электронной почты", T2, 3),
    ("Протокол 6, табл. 2, гр. 4: дата отправки писем", T2, 4),
    ("Протокол 6, табл. 2, гр. 5: дата получения ответов на запрос", T2, 5),
    ("Протокол 6, табл. 2, гр. 6-9: оценка результатов эксперимента", T2, 6),
    ("Протокол 5, гр. 3: телефон, наличие", P5, 3),
    ("Протокол 5, гр. 4: телефон, функционирование", P5, 4),
    ("Протокол 5, гр. 5: электронная почта, наличие", P5, 5),
    ("Протокол 5, гр. 6: электронная почта, функционирование", P5, 6),
    ("Протокол 5, гр. 7: электронные сервисы, наличие", P5, 7),
    ("Протокол 5, гр. 8: электронные сервисы, функционирование", P5, 8),
    ("Протокол 5, гр. 9: раздел «Часто задаваемые вопросы», наличие", P5, 9),
    ("Протокол 5, гр. 10: раздел «Часто задаваемые вопросы», функционирование", P5, 10),
    ("Протокол 5, гр. 11: анкета для опроса, наличие", P5, 11),
    ("Протокол 5, гр. 12: анкета для опроса, функционирование", P5, 12),
    ("Показатель 1.2 (приказ № 344н), баллы", None, None),
    ("Ожидает оценки", None, None),
]
# Columns 10-12 and 13-16 in one cell each: the judged column's own words.
TRANSFERS_RU = {
    "none": "сразу попали на лицо, способное предоставить консультацию (гр. 10)",
    "once": "однократный перевод вызова (гр. 11)",
    "several": "многократные переводы вызовов (гр. 12)",
}


def csv_rows(score: CampaignScore) -> tuple[list[str], list[list[Any]]]:
    """One flat row per organisation: every table's columns side by side, in Russian."""
    header = [name for name, _, _ in CSV_COLUMNS]
    pending: dict[int, list[str]] = {}
    for p in score.pending:
        pending.setdefault(p.organisation_id, []).append(f"{p.table}, гр. {p.columns}: {p.what}")
    ranges = pending_ranges(score)
    rows = []
    for t1, t2, p5 in zip(score.table1, score.table2, score.protocol5, strict=True):
        row: list[Any] = [t1.number, t1.organisation_id, t1.protocol_row or "", t1.name]
        row += ["\n".join(t1.numbers_called), call_log(t1.calls), t1.total_calls]
        row += [t1.connected_calls, *_etiquette_cells(t1), word(TRANSFERS_RU, t1.transfers.value)]
        row += [word(GRADE_RU, t1.grade.value)]
        row += ["\n".join(" ".join(x.addresses) for x in t2.letters)]
        row += ["\n".join(ru_date(x.sent) for x in t2.letters)]
        replies = (reply_text(x, norm=score.deadline_working_days) for x in t2.letters)
        row += ["\n".join(replies), word(GRADE_RU, t2.grade.value)]
        for _, state in p5.channels:
            row += channel_cells(state)
        row += [PENDING if p5.indicator_1_2 is None else p5.indicator_1_2]
        row += ["; ".join(pending.get(t1.organisation_id, []))]
        _mark_pending(row, t1.organisation_id, ranges)
        rows.append(row)
    return header, rows


def _mark_pending(
    row: list[Any], organisation: int, ranges: dict[tuple[int, str], PendingRanges]
) -> None:
    """A pending column says so (a blank would read as "no"): every CSV cell of a pending range
    of protocol columns, when nothing is written there yet (columns 7-9 count persons: 0 is
    nothing)."""
    for (org, table), found in ranges.items():
        if org != organisation:
            continue
        for first, last, text in found:
            cells = [
                i for i, (_, t, c) in enumerate(CSV_COLUMNS)
                if t == table and c is not None and first <= c <= last
            ]  # fmt: skip
            if cells and all(row[i] in ("", 0) for i in cells):
                for i in cells:
                    row[i] = text


def _etiquette_cells(row: PhoneRow) -> list[int | str]:
    """Columns 7-9: how many persons each holds; empty when nobody answered."""
    if not row.etiquette.persons:
        return ["", "", ""]
    return list(row.etiquette.counts.values())

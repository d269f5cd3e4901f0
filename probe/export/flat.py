"""The scored campaign as plain dicts: the JSON export, and the source of the CSV rows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from probe.export.labels import call_log, reply_text, ru_date
from probe.scoring.indicator import FORMULA_EN, FORMULA_RU, INDICATOR_1_2_VERSION
from probe.scoring.model import Call, CampaignScore, Letter, MailRow, PhoneRow, Protocol5Row
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
                "outcome": d.outcome.value if d.outcome else None,
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


def _letter(letter: Letter) -> dict[str, Any]:
    return {
        "check_id": letter.check_id,
        "addresses": list(letter.addresses),
        "sent": letter.sent.isoformat() if letter.sent else None,
        "replied": letter.replied.isoformat() if letter.replied else None,
        "state": letter.state,
        "reply_text": reply_text(letter),
        "grade": letter.grade,
    }


def mail_dict(row: MailRow) -> dict[str, Any]:
    return {
        "number": row.number,
        "organisation_id": row.organisation_id,
        "protocol_row": row.protocol_row,
        "name": row.name,
        "addresses": row.addresses,
        "sent": row.sent.isoformat() if row.sent else None,
        "replied": row.replied.isoformat() if row.replied else None,
        "grade": row.grade.value,
        "grade_source": row.grade.source,
        "letters": [_letter(x) for x in row.letters],
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
    return {
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "title": campaign.title,
            "historical": campaign.historical,
            "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        },
        "rules_version": score.rules_version,
        "rules": [asdict(rule) for rule in RULES],
        "indicator_1_2": {
            "version": INDICATOR_1_2_VERSION,
            "formula_ru": FORMULA_RU,
            "formula_en": FORMULA_EN,
        },
        "protocol6_table1": [phone_dict(r) for r in score.table1],
        "protocol6_table2": [mail_dict(r) for r in score.table2],
        "protocol5_table1": [protocol5_dict(r) for r in score.protocol5],
        "pending": [asdict(p) for p in score.pending],
        "checks": [asdict(a) for a in score.audit],
    }


def csv_rows(score: CampaignScore) -> tuple[list[str], list[list[Any]]]:
    """One flat row per organisation: every table's columns side by side."""
    header = [
        "number", "organisation_id", "protocol_row", "name",
        "t1_numbers_called", "t1_call_log", "t1_total_calls", "t1_connected_calls",
        "t1_etiquette_7", "t1_etiquette_8", "t1_etiquette_9", "t1_transfers", "t1_grade",
        "t2_addresses", "t2_sent", "t2_replied", "t2_grade",
        "p5_phone_present", "p5_phone_working", "p5_email_present", "p5_email_working",
        "p5_web_form_present", "p5_web_form_working", "p5_faq_present", "p5_faq_working",
        "p5_survey_present", "p5_survey_working", "indicator_1_2", "pending",
    ]  # fmt: skip
    pending: dict[int, list[str]] = {}
    for p in score.pending:
        pending.setdefault(p.organisation_id, []).append(f"{p.table}, гр. {p.columns}: {p.what}")
    rows = []
    for t1, t2, p5 in zip(score.table1, score.table2, score.protocol5, strict=True):
        row: list[Any] = [t1.number, t1.organisation_id, t1.protocol_row or "", t1.name]
        row += ["\n".join(t1.numbers_called), call_log(t1.calls), t1.total_calls]
        row += [t1.connected_calls, *_etiquette_cells(t1), t1.transfers.value or ""]
        row += [t1.grade.value or ""]
        row += ["\n".join(" ".join(x.addresses) for x in t2.letters)]
        row += ["\n".join(ru_date(x.sent) for x in t2.letters)]
        row += ["\n".join(reply_text(x) for x in t2.letters), t2.grade.value or ""]
        for _, state in p5.channels:
            row += [_flag(state.present), _flag(state.working)]
        row += ["" if p5.indicator_1_2 is None else p5.indicator_1_2]
        row += ["; ".join(pending.get(t1.organisation_id, []))]
        rows.append(row)
    return header, rows


def _etiquette_cells(row: PhoneRow) -> list[int | str]:
    """Columns 7-9: how many persons each holds; empty when nobody answered."""
    if not row.etiquette.persons:
        return ["", "", ""]
    return list(row.etiquette.counts.values())


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")

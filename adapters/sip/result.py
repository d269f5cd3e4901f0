"""From a finished CallRecord to the one CheckResult model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.sip.audio import AudioFindings, Interval, Listening, analyse
from adapters.sip.config import Config
from adapters.sip.evidence import collect
from adapters.sip.names import CHANNEL
from adapters.sip.outcome import decide
from adapters.sip.persons import persons
from adapters.sip.prompt import wav_seconds
from adapters.sip.record import CallRecord
from adapters.sip.timeline import Instants, instants, timings_ms
from adapters.sip.transfers import (
    episodes,
    forward_list,
    signalling_evidence,
    split_forwards,
    summary,
)
from probe.results import CheckResult, utc_now


@dataclass(frozen=True)
class CallPlan:
    uri: str
    prompt: Path | None
    dtmf: str | None
    config: Config
    evidence_dir: Path
    dialled: str = ""  # the number as dialled (Protocol 6 column 4), extension included


def _rel(t: float, t0: float) -> float:
    return round((t - t0) * 1000.0, 1)


def _question(record: CallRecord, plan: CallPlan) -> Interval | None:
    """Our prompt as it played: from its start for the length of its file."""
    if plan.prompt is None:
        return None
    started = next(
        (float(e["t"]) for e in record.of("action") if e.get("kind") == "prompt_started"), None
    )
    return None if started is None else Interval(started, started + wav_seconds(plan.prompt))


def listening(
    record: CallRecord, i: Instants, *, question: Interval | None, reply_wait: float
) -> Listening:
    # A far end that hands the call on (REFER) and leaves has not hung up on us.
    transferred = any(e.get("kind") == "refer" for e in record.of("leg"))
    return Listening(
        question=question,
        reply_wait=reply_wait,
        released=i.hangup if i.hangup_by == "them" and not transferred else None,
        end=i.hangup or i.end,
    )


def _expected_quiet(question: Interval | None) -> list[Interval]:
    return [] if question is None else [Interval(question.start, question.end + 3.0)]


def _invite_codes(record: CallRecord) -> list[int]:
    """The final code of each INVITE transaction we started (RFC 6076 counts per INVITE)."""
    finals: dict[tuple[int, int], int] = {}
    for m in record.messages:
        if m.direction == "RX" and m.cseq_method == "INVITE" and (m.status or 0) >= 200:
            finals.setdefault((m.leg, m.cseq), m.status or 0)
    return list(finals.values())


def _audio_details(audio: AudioFindings, t0: float, answer: float | None) -> dict[str, Any]:
    return {
        "speech": [[_rel(s.start, t0), _rel(s.end, t0)] for s in audio.speech],
        "tones": [
            {
                "kind": t.kind,
                "start_ms": _rel(t.start, t0),
                "end_ms": _rel(t.end, t0),
                "freq": t.freq,
                "early_media": answer is None or t.start < answer,
            }
            for t in audio.tones
        ],
        "answering_machine": audio.answering_machine,
        "answering_machine_reason": audio.machine_reason,
    }


def _ladder(record: CallRecord, t0: float) -> list[dict[str, Any]]:
    """One line per SIP message for the review UI's ladder; the full text is in the trace file."""
    rows = []
    for m in record.messages:
        row: dict[str, Any] = {"at": f"+{(m.t - t0) * 1000.0:.1f} ms", "dir": m.direction.lower()}
        if m.is_response:
            row |= {"status": m.status, "reason": m.reason, "method": None, "cseq": m.cseq_method}
        else:
            row["method"] = m.method
        rows.append(row | {"leg": m.leg})
    return rows


def _unfollowed_transfers(record: CallRecord) -> list[dict[str, Any]]:
    """Accepted REFERs whose new leg never got a SIP dialog (no Call-ID at the end)."""
    if record.end is None:
        return []  # the worker died: which legs it placed is unknown, not unfollowed
    placed = {int(leg["leg"]) for leg in record.end.get("legs", []) if leg.get("call_id")}
    return [
        {
            "leg": int(e["leg"]),
            "target": str(e.get("target") or "").strip().strip("<>"),
            "from_leg": e.get("from_leg"),
        }
        for e in record.of("leg")
        if e.get("kind") == "refer" and "leg" in e and int(e["leg"]) not in placed
    ]


def _hangup(record: CallRecord, i: Instants) -> dict[str, Any]:
    return {"by": i.hangup_by, "reason": record.hangup_reason}


def _call_details(record: CallRecord, plan: CallPlan, i: Instants, t0: float) -> dict[str, Any]:
    """The call's signalling and what the prober did in it (digits, the question)."""
    return {
        "sip_trace": _ladder(record, t0),
        "invites": _invite_codes(record),
        "invite_sent": i.invite is not None,
        "legs": len({m.leg for m in record.messages}) or 0,
        "call_ids": [leg["call_id"] for leg in (record.end or {}).get("legs", [])],
        "extension": plan.dtmf,
        "dtmf_sent": any(e.get("kind") == "dtmf_sent" for e in record.of("action")),
        "prompt": str(plan.prompt) if plan.prompt else None,
        "prompt_started_ms": next(
            (_rel(float(e["t"]), t0) for e in record.of("action") if e["kind"] == "prompt_started"),
            None,
        ),
    }


def build(record: CallRecord, plan: CallPlan, *, started_at: datetime) -> CheckResult:
    i = instants(record)
    t0 = i.invite or record.t0 or 0.0
    heard = listening(
        record, i, question=_question(record, plan), reply_wait=plan.config.reply_wait_seconds
    )
    audio = analyse(
        record,
        answer=i.answer,
        transfer_silence=plan.config.transfer_silence_seconds,
        expected_quiet=_expected_quiet(heard.question),
        heard=heard,
    )
    verdict = decide(record, i, audio)
    forwards, handed_on = split_forwards(signalling_evidence(record), i.answer)
    transfers = summary(episodes(handed_on + audio.transfers, t0))
    final = i.final
    details: dict[str, Any] = {
        "request_uri": plan.uri,
        "dialled": plan.dialled,
        "sip_code": final.status if final is not None else None,
        "reason": final.reason if final is not None else None,
        "outcome_reason": verdict.reason,
        "hangup": _hangup(record, i),
        # A count, as the scoring reads it (probe/scoring R7); the evidence of each transfer next.
        "transfers": transfers["count"],
        "transfer_class": transfers["class"],
        "transfer_list": transfers["list"],
        # Forwarded before the answer (302, 181, Diversion): evidence, not a transfer (issue 14).
        "forwards": forward_list(forwards, t0),
        **_call_details(record, plan, i, t0),
        **_audio_details(audio, t0, i.answer),
    }
    # Who answered and where each greeting is in the recording (columns 7-9; docs/greeting.md).
    spoken = [(s.start, s.end) for s in audio.speech]
    details["persons"] = persons(
        record, answer=i.answer, transfers=transfers["list"], speech=spoken, t0=t0
    )
    unfollowed = _unfollowed_transfers(record)
    if unfollowed:
        # The far end handed the call on, but no new leg could be placed (PJSUA answered the
        # REFER's NOTIFY with 500, e.g. no free call slot): what came after was not observed.
        details["transfers_unfollowed"] = unfollowed
    if verdict.retry:
        details["retry"] = True
    errors = [e["text"] for e in record.of("log") if e.get("level") == "error"]
    if errors:
        details["worker_errors"] = errors[:20]
    return CheckResult(
        channel=CHANNEL,
        outcome=verdict.outcome,
        started_at=started_at,
        finished_at=utc_now(),
        timings_ms=timings_ms(i),
        error_class=verdict.error_class,
        error_detail=verdict.reason if verdict.error_class else None,
        details=details,
        evidence=collect(plan.evidence_dir),
    )

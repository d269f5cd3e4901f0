"""Who answered, and where each one's greeting is in the recording (Protocol 6 columns 7-9).

The persons of a call are the one who picked up and one per transfer (the transfers counted
from the answer on, docs/phone.md): the order the etiquette review lists them in. Each person's
greeting is the first speech heard from where they came on the line: the answer for the first,
the new leg's media for a REFER, the transfer's first evidence otherwise (a hold, a new
identity, a voice after a long silence).

The recording holds the far end only while a leg's audio is connected to it: from each leg's
media to its end. Between two legs (the REFER's new leg ringing) nothing is written, so an
instant of the call maps to an offset in the recording by the time legs were connected
before it, not by the time since the answer.
"""

from __future__ import annotations

from typing import Any

from adapters.sip.record import CallRecord

# Transcription starts this long before the speech onset the live VAD stamped (it opens a
# segment after 3 voiced frames of 5, and the first syllable may be soft).
LEAD_SECONDS = 0.3
# A greeting is read for at most this long (the regulation's full one is 7-9 s).
GREETING_SECONDS = 10.0
_CONNECTED_MEDIA = ("active", "remote_hold")


def recording_spans(record: CallRecord) -> list[tuple[float, float]]:
    """The instants (our monotonic clock) whose far-end audio is in the recording, merged."""
    connects: dict[int, float] = {}
    for event in record.of("media"):
        if event.get("status") in _CONNECTED_MEDIA:
            connects.setdefault(int(event.get("leg", 0)), float(event["t"]))
    downs: dict[int, float] = {}
    for event in record.of("state"):
        if event.get("state") == "DISCONNECTED":
            downs.setdefault(int(event.get("leg", 0)), float(event["t"]))
    end = float(record.end["t"]) if record.end else max([*downs.values(), *connects.values(), 0.0])
    merged: list[tuple[float, float]] = []
    for start, stop in sorted((t, max(t, downs.get(leg, end))) for leg, t in connects.items()):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def recording_offset(t: float, spans: list[tuple[float, float]]) -> float:
    """Seconds into the recording at instant t (the time some leg was connected before t)."""
    return sum(min(t, stop) - start for start, stop in spans if t > start)


def _leg_connects(record: CallRecord) -> dict[int, float]:
    found: dict[int, float] = {}
    for event in record.of("media"):
        if event.get("status") in _CONNECTED_MEDIA:
            found.setdefault(int(event.get("leg", 0)), float(event["t"]))
    return found


def _arrivals(
    record: CallRecord, answer: float, transfers: list[dict[str, Any]], t0: float
) -> list[tuple[float, int]]:
    """(instant, leg) where each person came on the line: the answer, then each transfer."""
    connects = _leg_connects(record)
    new_legs = sorted((t, leg) for leg, t in connects.items() if leg > 0)
    arrivals = [(answer, 0)]
    leg = 0
    for transfer in transfers:
        at = t0 + float(transfer["at_ms"]) / 1000.0
        if any(e.get("kind") == "refer" for e in transfer.get("evidence", [])):
            later = [(t, n) for t, n in new_legs if t >= at and n > leg]
            if later:
                at, leg = later[0]
        arrivals.append((at, leg))
    return arrivals


def persons(
    record: CallRecord,
    *,
    answer: float | None,
    transfers: list[dict[str, Any]],
    speech: list[tuple[float, float]],
    t0: float,
) -> list[dict[str, Any]]:
    """One entry per person who answered, in order: where they came on the line (`from_ms`,
    from the INVITE), their first speech (`greeting_ms`), and where to read their greeting in
    the recording (`recording_s` to `until_s`, seconds; None without speech)."""
    if answer is None:
        return []
    spans = recording_spans(record)
    arrivals = _arrivals(record, answer, transfers, t0)
    found: list[dict[str, Any]] = []
    for index, (at, leg) in enumerate(arrivals):
        following = arrivals[index + 1][0] if index + 1 < len(arrivals) else None
        onset = next(
            (s for s, _ in sorted(speech) if s >= at and (following is None or s < following)),
            None,
        )
        entry: dict[str, Any] = {
            "person": index + 1,
            "leg": leg,
            "from_ms": round((at - t0) * 1000.0, 1),
            "greeting_ms": None if onset is None else round((onset - t0) * 1000.0, 1),
            "recording_s": None,
            "until_s": None,
        }
        if onset is not None and spans:
            floor = recording_offset(at, spans)
            start = max(floor, recording_offset(onset, spans) - LEAD_SECONDS)
            until = start + GREETING_SECONDS
            if following is not None:
                until = min(until, recording_offset(following, spans))
            entry["recording_s"] = round(start, 3)
            entry["until_s"] = round(max(until, start), 3)
        found.append(entry)
    return found

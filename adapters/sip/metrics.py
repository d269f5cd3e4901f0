"""RFC 6076 session metrics over many calls (a campaign): SER, SEER, ISA, SRD, SDD, SDT.

Counted per INVITE request, as the RFC does, from each check's details["invites"] (the final
code of every INVITE transaction, a followed 302 included) and its timings:
- SER  = INVITEs answered 200 / (INVITEs - INVITEs answered 3xx) x 100
- SEER = INVITEs answered 200, 480, 486, 600 or 603 / (INVITEs - 3xx) x 100: the network
         worked, whatever the person did
- ISA  = INVITEs answered 408, 500, 503 or 504 (or never answered) / INVITEs x 100
- SRD  = mean INVITE -> first provisional (not 100) or final: our `pdd`
- SDD  = mean BYE -> its final response, when we hung up: our `sdd`
- SDT  = mean session duration (200 OK -> BYE): our `duration`
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

from probe.results import CheckResult

EFFECTIVE = frozenset({200, 480, 486, 600, 603})
INEFFECTIVE = frozenset({408, 500, 503, 504})


@dataclass(frozen=True)
class SessionMetrics:
    calls: int
    invites: int
    ser: float | None
    seer: float | None
    isa: float | None
    srd_ms: float | None
    sdd_ms: float | None
    sdt_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _codes(details: Mapping[str, Any]) -> list[int]:
    codes = [int(c) for c in details.get("invites") or []]
    if not codes and details.get("request_uri") and details.get("invite_sent"):
        codes = [408]  # sent, never answered: a timeout, as the RFC counts it
    return codes


def session_metrics(checks: Iterable[CheckResult | Mapping[str, Any]]) -> SessionMetrics:
    """Each item is a CheckResult or a mapping with `details` and `timings_ms` (a stored row)."""
    codes: list[int] = []
    timings: dict[str, list[float]] = {"pdd": [], "sdd": [], "duration": []}
    calls = 0
    for check in checks:
        if isinstance(check, CheckResult):
            details, measured = check.details, check.timings_ms
        else:
            details, measured = check.get("details") or {}, check.get("timings_ms") or {}
        calls += 1
        codes += _codes(details)
        for name, values in timings.items():
            if name in measured:
                values.append(float(measured[name]))
    redirected = sum(1 for c in codes if 300 <= c < 400)
    established = len(codes) - redirected
    return SessionMetrics(
        calls=calls,
        invites=len(codes),
        ser=_ratio(sum(1 for c in codes if c == 200), established),
        seer=_ratio(sum(1 for c in codes if c in EFFECTIVE), established),
        isa=_ratio(sum(1 for c in codes if c in INEFFECTIVE), len(codes)),
        srd_ms=_mean(timings["pdd"]),
        sdd_ms=_mean(timings["sdd"]),
        sdt_ms=_mean(timings["duration"]),
    )

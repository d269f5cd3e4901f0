"""RFC 6076 session metrics over a set of calls."""

from __future__ import annotations

from adapters.sip.metrics import session_metrics


def call(invites: list[int], **timings: float) -> dict:
    return {"details": {"invites": invites, "request_uri": "sip:x@y"}, "timings_ms": timings}


def test_ser_seer_and_isa_count_invites_as_the_rfc_does() -> None:
    metrics = session_metrics(
        [
            call([200], pdd=20, sdd=2, duration=60000),
            call([302, 200], pdd=40, duration=30000),
            call([486], pdd=30),
            call([503], pdd=10),
            call([404], pdd=10),
        ]
    )
    # 6 INVITEs, one 302: SER = 2/5, SEER = (2 + 486)/5, ISA = 503/6.
    assert (metrics.calls, metrics.invites) == (5, 6)
    assert (metrics.ser, metrics.seer, metrics.isa) == (40.0, 60.0, 16.67)
    assert (metrics.srd_ms, metrics.sdd_ms, metrics.sdt_ms) == (22.0, 2.0, 45000.0)


def test_an_invite_never_answered_counts_as_an_ineffective_attempt() -> None:
    never = {"details": {"invites": [], "request_uri": "sip:x@y", "invite_sent": True}}
    metrics = session_metrics([never, call([200])])
    assert (metrics.invites, metrics.isa, metrics.ser) == (2, 50.0, 50.0)


def test_no_calls_give_no_ratios() -> None:
    metrics = session_metrics([])
    assert (metrics.calls, metrics.ser, metrics.seer, metrics.isa) == (0, None, None, None)

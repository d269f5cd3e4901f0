"""The pool follows each worker's trunk registration from its "reg" events and places no call
through a worker whose registration is lost (no processes: workers are stand-ins)."""

from __future__ import annotations

import time

import pytest

from adapters.sip.pool import CallPool, Registration, Worker, WorkerFailed, WorkerSettings


def _reg(code: int, reason: str, expires: int = 300, t: float | None = None) -> dict[str, object]:
    stamp = time.monotonic() if t is None else t
    return {"ev": "reg", "t": stamp, "code": code, "reason": reason, "expires": expires}


def _pool(*states: list[dict[str, object]]) -> tuple[CallPool, list[Worker]]:
    """A pool whose workers are ready and have seen these REGISTER answers, in order."""
    pool = CallPool(WorkerSettings(registrar="127.0.0.1:5060"), workers=len(states))
    workers = []
    for index, events in enumerate(states):
        worker = Worker(index, pool.settings, None, lambda _: None)
        for event in events:
            worker._dispatch(event)
        worker._dispatch({"ev": "ready"})
        pool._workers[index] = worker
        workers.append(worker)
    return pool, workers


def test_a_refused_or_unanswered_refresh_loses_the_registration_and_a_2xx_regains_it() -> None:
    state = Registration.from_event(_reg(200, "OK"))
    assert state.lost() is None
    assert Registration.from_event(_reg(503, "Service Unavailable")).lost() == (
        "503 Service Unavailable"
    )
    assert Registration.from_event(_reg(408, "Request Timeout")).lost() == "408 Request Timeout"
    # Past its expiry with no answer to the refresh yet: lost too.
    lapsed = Registration.from_event(_reg(200, "OK", expires=60, t=time.monotonic() - 61))
    assert lapsed.lost() == "expired, its refresh unanswered"
    # PJSIP's "expiry not specified" is no expiry at all.
    assert Registration.from_event(_reg(200, "OK", expires=2**32 - 1)).until is None
    assert Registration().lost() is None  # no registrar: nothing to lose


def test_the_pool_follows_the_workers_reg_events_and_keeps_them_as_evidence() -> None:
    _, [worker] = _pool([_reg(200, "OK")])
    worker._dispatch(_reg(503, "Service Unavailable"))
    assert worker.reg_state.lost() == "503 Service Unavailable"
    worker._dispatch(_reg(200, "OK"))
    assert worker.reg_state.lost() is None
    assert [e["code"] for e in worker.registration] == [200, 503, 200]


async def test_a_call_to_a_worker_whose_registration_is_lost_fails_at_once_as_ours() -> None:
    pool, [worker] = _pool([_reg(200, "OK"), _reg(503, "Service Unavailable")])
    with pytest.raises(WorkerFailed) as failure:
        await pool.call({"uri": "sip:org@127.0.0.1"}, limit=5)
    assert failure.value.error_class == "sip_registration"
    assert str(failure.value) == "registration lost: 503 Service Unavailable"
    assert [e["code"] for e in failure.value.trace] == [200, 503]
    assert worker.reserved == 0 and not worker.calls  # released; the worker stays
    assert pool._workers == [worker]


def test_a_worker_still_registered_is_chosen_before_one_that_lost_it() -> None:
    pool, [lost, registered] = _pool(
        [_reg(200, "OK"), _reg(408, "Request Timeout")], [_reg(200, "OK")]
    )
    assert pool._reserve() is registered
    assert pool._reserve() is registered  # a second call rather than the lost worker
    assert registered.reserved == 2 and lost.reserved == 0

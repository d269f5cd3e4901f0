"""Prometheus metrics: what a finished probe counts, queue depth, the exposition, /metrics."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

from probe import metrics
from probe.results import CheckResult
from probe.scoring.names import Outcome


def _result(outcome: Outcome, error_class: str | None = None) -> CheckResult:
    now = datetime.now(UTC)
    return CheckResult(
        channel="test",
        outcome=outcome,
        started_at=now,
        finished_at=now,
        error_class=error_class,
    )


def test_a_finished_probe_counts_by_channel_and_outcome_with_its_latency() -> None:
    before = metrics.value("probe_checks_total", channel="test", outcome="busy")
    seen = metrics.value("probe_check_duration_seconds_count", channel="test")
    metrics.observe_result(_result(Outcome.BUSY), 0.3)
    assert metrics.value("probe_checks_total", channel="test", outcome="busy") == before + 1
    assert metrics.value("probe_check_duration_seconds_count", channel="test") == seen + 1
    assert metrics.value("probe_check_duration_seconds_bucket", channel="test", le="0.25") < (
        metrics.value("probe_check_duration_seconds_bucket", channel="test", le="0.5")
    )


def test_our_failures_are_counted_by_error_class_and_the_organisations_are_not() -> None:
    labels = {"channel": "test", "error_class": "trunk_down"}
    before = metrics.value("probe_our_failures_total", **labels)
    metrics.observe_result(_result(Outcome.FAILED, "trunk_down"), 0.01)
    metrics.observe_result(_result(Outcome.NO_ANSWER), 0.01)
    assert metrics.value("probe_our_failures_total", **labels) == before + 1


def test_queue_depth_is_replaced_and_emptied_queues_read_zero() -> None:
    metrics.set_queue_depth([("phone.default", "todo", 5), ("email.default", "doing", 2)])
    assert metrics.value("probe_queue_depth", queue="phone.default", state="todo") == 5
    metrics.set_queue_depth([("email.default", "doing", 1)])
    assert metrics.value("probe_queue_depth", queue="phone.default", state="todo") == 0
    assert metrics.value("probe_queue_depth", queue="email.default", state="doing") == 1


def test_the_exposition_is_prometheus_text_for_any_http_server_to_serve() -> None:
    metrics.observe_result(_result(Outcome.CONNECTED), 0.01)
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain; version=")
    assert b'probe_checks_total{channel="test",outcome="connected"}' in body


def test_the_metrics_server_answers_on_loopback() -> None:
    server = metrics.MetricsServer(host="127.0.0.1", port=0)
    port = server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert b"# TYPE probe_checks_total counter" in response.read()
    finally:
        server.stop()

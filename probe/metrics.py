"""Prometheus metrics of the runner and the workers, served at /metrics.

One registry of our own (not the client library's global one), so the web UI can mount the
same figures (`exposition()`), and tests can read them. Each process (`probe run`, every
`probe worker`) serves its own counts; Prometheus adds them up across machines.
"""

from __future__ import annotations

import threading
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

from probe.channels import our_failure_outcomes
from probe.results import CheckResult

REGISTRY = CollectorRegistry(auto_describe=True)

# Calls last up to 10 minutes, e-mails a few seconds, the test channel milliseconds.
_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

CHECKS = Counter(
    "probe_checks",
    "Checks finished, by channel and outcome.",
    ["channel", "outcome"],
    registry=REGISTRY,
)
CHECK_SECONDS = Histogram(
    "probe_check_duration_seconds",
    "Wall time of one probe, from start to result, by channel.",
    ["channel"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
OUR_FAILURES = Counter(
    "probe_our_failures",
    "Checks that failed on our side (trunk, SMTP account, network, a bug), by error class.",
    ["channel", "error_class"],
    registry=REGISTRY,
)
INTERNAL_ERRORS = Counter(
    "probe_internal_errors",
    "Errors of the runner or worker itself (database unreachable, a result not stored).",
    ["where"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "probe_queue_depth",
    "Jobs in the queue by queue and state (todo: waiting, doing: in flight).",
    ["queue", "state"],
    registry=REGISTRY,
)
ENQUEUED = Counter(
    "probe_checks_enqueued",
    "Checks handed to the job queue by the scheduler, by queue.",
    ["queue"],
    registry=REGISTRY,
)
JOB_RETRIES = Counter(
    "probe_job_retries",
    "Jobs put back in the queue, by reason (capacity, outage, stalled, error).",
    ["reason"],
    registry=REGISTRY,
)
CONTROL_PROBES = Counter(
    "probe_control_probes",
    "Control probes to a known-good target, by channel and verdict (ours: our outage; "
    "theirs: the results stand).",
    ["channel", "verdict"],
    registry=REGISTRY,
)
PAUSED = Gauge(
    "probe_channel_paused",
    "1 while dispatch on a channel is paused after failures on our side.",
    ["channel"],
    registry=REGISTRY,
)
TRANSACTION_RETRIES = Counter(
    "probe_transaction_retries",
    "Transactions PostgreSQL aborted and the prober ran again, by reason (deadlock: the victim "
    "of two transactions waiting on each other; serialization).",
    ["reason"],
    registry=REGISTRY,
)
GREETING_BACKLOG = Gauge(
    "probe_greeting_backlog",
    "Greetings of answered calls to read from the recordings, by state (waiting: recorded, "
    "not read yet; running; done; failed; no_speech).",
    ["state"],
    registry=REGISTRY,
)


def observe_result(result: CheckResult, seconds: float) -> None:
    """Count one finished probe (called where the probe ran: runner or worker)."""
    channel = str(result.channel)
    outcome = str(result.outcome) if result.outcome else "pending"
    CHECKS.labels(channel=channel, outcome=outcome).inc()
    CHECK_SECONDS.labels(channel=channel).observe(max(0.0, seconds))
    if result.outcome in our_failure_outcomes():
        OUR_FAILURES.labels(channel=channel, error_class=result.error_class or "unknown").inc()


def set_queue_depth(rows: list[tuple[str, str, int]]) -> None:
    """Replace the depth figures with (queue, state, count) rows; absent ones read 0."""
    seen = {(queue, state) for queue, state, _ in rows}
    for labels in list(QUEUE_DEPTH._metrics):  # drop queues that emptied
        if tuple(labels) not in seen:
            QUEUE_DEPTH.labels(*labels).set(0)
    for queue, state, count in rows:
        QUEUE_DEPTH.labels(queue=queue, state=state).set(count)


def exposition() -> tuple[bytes, str]:
    """The text exposition and its content type, for any HTTP server to answer /metrics."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsServer:
    """prometheus_client's own HTTP server in a thread; loopback unless told otherwise."""

    def __init__(self, *, host: str, port: int) -> None:
        self.host, self.requested_port = host, port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        server, thread = start_http_server(self.requested_port, addr=self.host, registry=REGISTRY)
        self._server, self._thread = server, thread
        return int(server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def value(name: str, **labels: Any) -> float:
    """One sample's current value (0 when absent): for tests and the status view."""
    found = REGISTRY.get_sample_value(name, labels)
    return float(found) if found is not None else 0.0

"""Prometheus metrics: request rate and latency per route (collected in-process), and the outbox
backlog, its age (the tally lag), parked events, queue depth and worker errors (read at scrape time
from the database and Redis, so they are right whichever process did the work).

Several API processes: set PROMETHEUS_MULTIPROC_DIR to an empty folder before starting them; the
request metrics are then merged across processes (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

REQUEST_REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("servicebank_http_requests_total", "HTTP requests by route template and status",
                   ["method", "route", "status"], registry=REQUEST_REGISTRY)
LATENCY = Histogram("servicebank_http_request_duration_seconds", "HTTP request latency by route template",
                    ["method", "route"], registry=REQUEST_REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))

_GAUGES = {
    "servicebank_outbox_pending_events": "Events recorded but not yet processed",
    "servicebank_outbox_oldest_pending_age_seconds": "Age of the oldest unprocessed event: the end-to-end tally lag",
    "servicebank_outbox_dead_events": "Events parked after repeated handler failures",
    "servicebank_worker_failed_attempts": "Failed handler attempts on events not yet processed",
}


class ScrapeTimeState:
    """Gauges read at scrape time, exposed without per-process files."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.queue_depths: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        for name, help_text in _GAUGES.items():
            if name in self.values:
                yield GaugeMetricFamily(name, help_text, value=self.values[name])
        depth = GaugeMetricFamily("servicebank_queue_depth", "Messages waiting in the broker queue", labels=["queue"])
        for queue, value in sorted(self.queue_depths.items()):
            depth.add_metric([queue], value)
        yield depth


STATE = ScrapeTimeState()
STATE_REGISTRY = CollectorRegistry(auto_describe=False)
STATE_REGISTRY.register(STATE)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def set_backlog(backlog: dict[str, Any], failed_attempts: int) -> None:
    STATE.values.update({
        "servicebank_outbox_pending_events": backlog.get("pending", 0),
        "servicebank_outbox_oldest_pending_age_seconds": backlog.get("oldest_pending_age_s", 0.0),
        "servicebank_outbox_dead_events": backlog.get("dead", 0),
        "servicebank_worker_failed_attempts": failed_attempts,
    })


def set_queue_depths(depths: dict[str, int]) -> None:
    STATE.queue_depths = dict(depths)


def render() -> bytes:
    """The exposition text: request metrics (merged over processes when configured) and state gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        requests = generate_latest(merged)
    else:
        requests = generate_latest(REQUEST_REGISTRY)
    return requests + generate_latest(STATE_REGISTRY)

"""Prometheus metrics: request rate and latency per route (collected in-process), and the outbox
backlog, its age (the tally lag), parked events, queue depth and worker errors (read at scrape time
from PostgreSQL and Redis, so they are right whichever process did the work)."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("servicebank_http_requests_total", "HTTP requests by route template and status",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("servicebank_http_request_duration_seconds", "HTTP request latency by route template",
                    ["method", "route"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))

OUTBOX_PENDING = Gauge("servicebank_outbox_pending_events", "Events recorded but not yet processed",
                       registry=REGISTRY)
OUTBOX_AGE = Gauge("servicebank_outbox_oldest_pending_age_seconds",
                   "Age of the oldest unprocessed event: the end-to-end tally lag", registry=REGISTRY)
OUTBOX_DEAD = Gauge("servicebank_outbox_dead_events", "Events parked after repeated handler failures",
                    registry=REGISTRY)
WORKER_ERRORS = Gauge("servicebank_worker_failed_attempts", "Failed handler attempts on unprocessed events",
                      registry=REGISTRY)
QUEUE_DEPTH = Gauge("servicebank_queue_depth", "Messages waiting in the broker queue", ["queue"],
                    registry=REGISTRY)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def set_backlog(backlog: dict[str, Any], failed_attempts: int) -> None:
    OUTBOX_PENDING.set(backlog.get("pending", 0))
    OUTBOX_AGE.set(backlog.get("oldest_pending_age_s", 0.0))
    OUTBOX_DEAD.set(backlog.get("dead", 0))
    WORKER_ERRORS.set(failed_attempts)


def set_queue_depths(depths: dict[str, int]) -> None:
    for queue, depth in depths.items():
        QUEUE_DEPTH.labels(queue).set(depth)


def render() -> bytes:
    """The exposition text; with PROMETHEUS_MULTIPROC_DIR set, merged over all API processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return generate_latest(merged) + generate_latest(REGISTRY)
    return generate_latest(REGISTRY)

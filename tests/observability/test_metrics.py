"""The metrics endpoint exposes request rate/latency per route, outbox backlog and age, dead events,
worker errors and queue depth; every response carries a request id."""

from __future__ import annotations

import logging

from servicebank.kernel import events
from servicebank.kernel.events import record_event
from servicebank.observability.logs import JsonFormatter, request_id_var


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


async def test_metrics_cover_requests_outbox_and_queue(client, db) -> None:  # noqa: ANN001
    await client.get("/health/live")
    await client.get("/health/live")
    async with db.session_scope() as s:
        await record_event(s, "test.metrics", {})

        @events.subscribe("test.metrics.fail")
        async def fail(session, event) -> None:  # noqa: ANN001
            raise RuntimeError("boom")

        await record_event(s, "test.metrics.fail", {})
    await events.drain(db)
    response = await client.get("/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"  # the charset once
    text = response.text
    assert _value(text, "servicebank_http_requests_total", route="/health/live", status="200") >= 2
    assert _value(text, "servicebank_http_request_duration_seconds_count", route="/health/live") >= 2
    assert _value(text, "servicebank_outbox_pending_events") == 1  # the failing one waits for a retry
    assert _value(text, "servicebank_outbox_oldest_pending_age_seconds") >= 0
    assert _value(text, "servicebank_outbox_dead_events") == 0
    assert _value(text, "servicebank_worker_failed_attempts") == 1
    assert "servicebank_queue_depth" in text


async def test_request_id_is_echoed_or_created(client) -> None:  # noqa: ANN001
    given = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 16


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("servicebank.test", logging.INFO, __file__, 1, "checked in %s", ("x",), None)
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    import json

    data = json.loads(line)
    assert data["msg"] == "checked in x" and data["request_id"] == "req-42" and data["level"] == "info"


async def _scrape(settings, db, *, peer: str, **headers: str) -> int:  # noqa: ANN001
    import httpx

    from tests.conftest import app_for

    app = app_for(settings, db)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/metrics", headers=headers)
    if response.status_code == 403:
        assert response.json()["code"] == "metrics_forbidden"
    return response.status_code


async def test_metrics_answer_only_allowed_addresses_or_the_token(settings, db) -> None:  # noqa: ANN001
    allowed = settings.replace(metrics_allow=("127.0.0.1", "10.1.0.0/16"), trusted_proxies=("127.0.0.1",))
    assert await _scrape(allowed, db, peer="127.0.0.1") == 200
    assert await _scrape(allowed, db, peer="10.1.2.3") == 200
    assert await _scrape(allowed, db, peer="203.0.113.9") == 403
    # Through the trusted proxy, the client it names is what counts, not the proxy's loopback address.
    assert await _scrape(allowed, db, peer="127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}) == 403
    with_token = allowed.replace(metrics_token="scrape-" + "t" * 30)
    assert await _scrape(with_token, db, peer="203.0.113.9", Authorization="Bearer scrape-" + "t" * 30) == 200
    assert await _scrape(with_token, db, peer="203.0.113.9", Authorization="Bearer wrong") == 403


def test_production_allows_only_loopback_unless_told(monkeypatch) -> None:  # noqa: ANN001
    import pytest

    from servicebank.config import Settings, SettingsError

    monkeypatch.setenv("SERVICEBANK_MODE", "production")
    assert Settings.from_env().metrics_networks == ("127.0.0.1", "::1")
    monkeypatch.setenv("SERVICEBANK_METRICS_ALLOW", "10.0.0.5, 10.2.0.0/16")
    assert Settings.from_env().metrics_networks == ("10.0.0.5", "10.2.0.0/16")
    monkeypatch.setenv("SERVICEBANK_MODE", "embedded")
    monkeypatch.setenv("SERVICEBANK_METRICS_ALLOW", "prometheus.internal")
    with pytest.raises(SettingsError, match="METRICS_ALLOW"):
        Settings.from_env().validate()
    monkeypatch.delenv("SERVICEBANK_METRICS_ALLOW")
    assert "0.0.0.0/0" in Settings.from_env().metrics_networks  # embedded: one machine, no proxy

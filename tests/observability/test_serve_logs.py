"""A real `servicebank serve --workers 2` in production mode logs JSON lines only: one access line per
request (method, route template, status, duration) with its request id, the traceback of an unhandled
error with the request id, and never a token (check-in codes, cards, redemption codes, calendar feeds).
SIGTERM stops it with every worker process."""

from __future__ import annotations

import datetime as dt
import json
import signal

import httpx

from servicebank.activities.calendar import volunteer_feed_token
from servicebank.checkins import tokens
from servicebank.stores import codes
from tests import processes
from tests.servers import free_port


def _lines(text: str) -> list[dict]:
    parsed = []
    for line in text.splitlines():
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON log line: {line!r}") from None
    return parsed


def test_serve_logs_json_with_request_ids_and_no_tokens(postgres_server, redis_server, tmp_path) -> None:  # noqa: ANN001
    url = processes.fresh_database(postgres_server, "servicebank_serve_logs")
    port = free_port()
    env = processes.production_env(url, redis_server.url, SERVICEBANK_PORT=str(port))
    now = dt.datetime.now(dt.UTC)
    feed = volunteer_feed_token(processes.SECRET, 7)
    kiosk = tokens.issue_kiosk_token(secret_key=processes.SECRET, rotation_seconds=30, activity_id=3,
                                     purpose=tokens.CHECK_IN, now=now).token
    card = tokens.issue_card_token(secret_key=processes.SECRET, volunteer_id=7, card_version=1)
    redemption = codes.issue_code(secret_key=processes.SECRET, volunteer_id=7, now=now).code
    secrets_in_urls = [feed, kiosk, card, redemption]

    proc = processes.start(["serve", "--workers", "2"], env, tmp_path, "serve")
    base = f"http://127.0.0.1:{port}"
    workers: set[int] = set()
    try:
        def answers() -> bool:
            try:
                return httpx.get(f"{base}/health/live", headers={"X-Request-ID": "warm-up"}, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        processes.wait_for(answers, 120, "/health/live to answer", proc)
        workers = processes.descendants(proc.pid)
        assert len(workers) >= 2, workers
        requests = {
            "feed": ("GET", f"/api/calendar/volunteer/{feed}.ics"),
            "scan-page": ("GET", f"/c/{kiosk}"),
            "scan-query": ("GET", f"/login?next=/c/{kiosk}&card={card}"),
            "code-qr": ("GET", f"/api/me/redemption-code/qr?code={redemption}&format=svg"),
            "unmatched": ("GET", f"/no/such/page/{card}"),
            "health": ("GET", "/health"),
        }
        # The feed query finds no table: an unhandled database error, logged with its traceback.
        postgres_server.psql('ALTER TABLE "signup" RENAME TO "signup_gone"', database="servicebank_serve_logs")
        statuses = {}
        with httpx.Client(base_url=base, timeout=30) as client:
            for round_ in range(3):  # keep-alive off: the requests spread over both worker processes
                for name, (method, path) in requests.items():
                    response = client.request(method, path, headers={"X-Request-ID": f"{name}-{round_}",
                                                                     "Connection": "close"})
                    statuses[name] = response.status_code
        assert statuses["feed"] == 500 and statuses["unmatched"] == 404, statuses

        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert processes.wait_gone(workers, 60) == set(), "uvicorn worker processes outlived SIGTERM"
    finally:
        processes.kill_all(workers)
        if proc.poll() is None:
            processes.stop_tree(proc)

    text = processes.output(tmp_path, "serve")
    lines = _lines(text)
    for secret in secrets_in_urls:
        # The whole token, and its signature alone (after the last dot; after the id for a feed).
        # A random signature may itself hold a "-" or a ".", leaving a piece of a letter or two that any log line
        # holds (CI once found a "g"): only pieces long enough to identify the token count.
        for piece in (secret, secret.rpartition(".")[2], secret.partition("-")[2]):
            assert len(piece) < 12 or piece not in text, f"a token reached the log: {piece}"
    access = [line for line in lines if line["logger"] == "servicebank.access"]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    for round_ in range(3):
        for name in requests:
            mine = [line for line in access if line.get("request_id") == f"{name}-{round_}"]
            assert len(mine) == 1, (name, mine)
            assert {"method", "route", "status", "duration_ms"} <= mine[0].keys()
            assert mine[0]["status"] == statuses[name]
    routes = {line["request_id"].rsplit("-", 1)[0]: line["route"] for line in access if "request_id" in line}
    assert routes["feed"] == "/api/calendar/volunteer/{feed}"
    assert routes["scan-page"] == "/c/{token}"
    assert routes["unmatched"] == "unmatched"
    tracebacks = [line for line in lines if "exc" in line]
    assert tracebacks and all(line.get("request_id", "").startswith("feed-") for line in tracebacks), tracebacks
    assert "signup" in tracebacks[0]["exc"]

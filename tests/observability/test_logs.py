"""Log lines in-process: tokens are cut from any text, and each request gets exactly one access line
named by its route template (unmatched paths included)."""

from __future__ import annotations

import datetime as dt
import logging

from servicebank.activities.calendar import volunteer_feed_token
from servicebank.checkins import tokens
from servicebank.observability.logs import redact
from servicebank.stores import codes

SECRET = "log-test-secret-" + "z" * 40


def test_redact_cuts_every_kind_of_token() -> None:
    now = dt.datetime.now(dt.UTC)
    kiosk = tokens.issue_kiosk_token(secret_key=SECRET, rotation_seconds=30, activity_id=12, purpose=tokens.CHECK_OUT,
                                     now=now).token
    card = tokens.issue_card_token(secret_key=SECRET, volunteer_id=5, card_version=2)
    code = codes.issue_code(secret_key=SECRET, volunteer_id=5, now=now).code
    feed = volunteer_feed_token(SECRET, 5)
    text = (f"GET /c/{kiosk} next=/c/{kiosk}; card {card}; /api/me/redemption-code/qr?code={code}&format=svg; "
            f"https://x.example/api/calendar/volunteer/{feed}.ics")
    cut = redact(text)
    for secret in (kiosk, card, code, feed, feed.partition("-")[2]):
        assert secret not in cut, cut
    assert "format=svg" in cut and "/c/[cut]" in cut
    assert redact("GET /api/calendar/volunteer/{feed} 500") == "GET /api/calendar/volunteer/{feed} 500"


async def test_one_access_line_per_request_by_route_template(client, caplog) -> None:  # noqa: ANN001
    card = tokens.issue_card_token(secret_key=SECRET, volunteer_id=5, card_version=2)
    with caplog.at_level(logging.INFO, logger="servicebank.access"):
        await client.get("/health/live", headers={"X-Request-ID": "one"})
        await client.get(f"/no/such/{card}", headers={"X-Request-ID": "two"})
    lines = [r for r in caplog.records if r.name == "servicebank.access"]
    assert [(r.method, r.route, r.status) for r in lines] == [("GET", "/health/live", 200), ("GET", "unmatched", 404)]
    assert all(r.duration_ms >= 0 for r in lines)
    # Our records only: the test's own HTTP client (httpx) logs the URL it requested when the root level is INFO.
    assert not [r for r in caplog.records if r.name.startswith("servicebank") and card in r.getMessage()]

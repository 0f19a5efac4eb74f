"""The scan page's answer for its own script (static/offline-scan.js): the words of the answer page as JSON.

The script sends the big button's form with `fetch` and shows the answer in place of the page's main part. It
asks for this answer (`Accept: application/json`), which holds the same sentences as the page a browser without
scripts gets (checkins/scan.html shows the same `meta_line` and `details`), already translated and with the times
in the platform's zone, so the script only puts them into elements. It is the volunteers' busiest write: rendering the page for it cost as much as
everything else the page adds to the check-in (issue 18, bench/checkin.md)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response

from servicebank.checkins import tokens
from servicebank.checkins.rules import aware
from servicebank.web.render import finish, in_zone, zone_of

ANSWER_TYPE = "application/json"
# What a script's answer carries besides JSON itself: never cached, never read as another type. The page
# headers (CSP, framing) are for documents; this answer is never one.
ANSWER_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
HOME = "/me"

_encode = msgspec.json.Encoder().encode


def wants_answer(request: Request) -> bool:
    """The page's own script asks for the answer's words; a form posted without scripts, for the page."""
    return request.headers.get("accept", "").startswith(ANSWER_TYPE)


def meta_line(request: Request, activity: Any) -> str | None:  # noqa: ANN401 - an activity or the scan's context
    """The activity and its times, as the scan page and its script's answer both show them."""
    if activity is None:
        return None
    zone = zone_of(request)
    return f"{activity.title} · {in_zone(activity.starts_at, zone)} – {in_zone(activity.ends_at, zone, '%H:%M')}"


def details(request: Request, _: Any, *, purpose: str | None, result: dict[str, Any] | None) -> list[str]:
    """The lines under a result: its time, and on a check-out the minutes counted (the page and the script's)."""
    if result is None:
        return []
    lines = []
    if result["at"] is not None:
        lines.append(f"{_('Time')}: {in_zone(result['at'], zone_of(request))}")
    if purpose == tokens.CHECK_OUT:
        lines.append(f"{_('Counted time')}: {result['minutes']} {_('minutes')}")
    return lines


def answer(request: Request, _: Any, *, title: str, purpose: str | None, meta: str | None, details: list[str],
           result: dict[str, Any] | None, error: str | None, code: str | None) -> Response:
    """The result (or the refusal in plain words, with its stable code) as the script shows it: the heading, the
    activity's line, the result sentence, its details and the way back to the volunteer's page."""
    body = {
        "ok": error is None,
        "code": code,
        "created": bool(result and result["created"]),
        "title": title,
        "document_title": f"{title} · {_('Service Bank')}",
        "meta": meta,
        "message": error if error is not None else result["message"] if result else "",
        "details": details,
        "at": aware(result["at"]).isoformat() if result and result["at"] is not None else None,
        "minutes": result["minutes"] if result and purpose == tokens.CHECK_OUT else None,
        "home": {"href": HOME, "text": _("Go to my page")},
    }
    response = Response(_encode(body), media_type=ANSWER_TYPE, status_code=200 if error is None else 409,
                        headers=ANSWER_HEADERS)
    return finish(request, response, headers=ANSWER_HEADERS)

"""Shared by the requests pages: which community a page is about, the status words, quick time slots."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Request

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import NotFound
from servicebank.org.access import workplace_ids
from servicebank.web.i18n import N_

STATUS = {
    "pending_review": N_("Waiting for review"), "awaiting_dispatch": N_("Waiting for dispatch"),
    "open": N_("Waiting for a volunteer"), "accepted": N_("Accepted"), "in_service": N_("In service"),
    "awaiting_rating": N_("Waiting for rating"), "completed": N_("Completed"), "declined": N_("Declined"),
    "cancelled": N_("Cancelled"), "expired": N_("Timed out"),
}
URGENCY = {0: N_("Normal"), 1: N_("Soon"), 2: N_("Urgent")}
PAYER = {"none": N_("No payment"), "self": N_("Own time coins"), "family": N_("A family member pays"),
         "pool": N_("Community pool")}
# The quick times of the order page: (label, local start hour, local end hour).
SLOTS = ((N_("Morning"), 8, 12), (N_("Afternoon"), 13, 17), (N_("Evening"), 18, 20))


def community_of(principal: Principal, community_id: int | None) -> int:
    """The community a page shows: the one asked for, else the caller's workplace, else their own community."""
    if community_id is not None:
        return community_id
    places = workplace_ids(principal)
    if places:
        return min(places)
    if principal.volunteer_community_id is not None:
        return principal.volunteer_community_id
    raise NotFound("No such community.", code="community_not_found")


def quick_slots(request: Request, days: int = 2) -> list[dict]:
    """Today's and tomorrow's slots that have not ended, as `value` (UTC ISO start/end) and words."""
    tz = ZoneInfo(request.app.state.settings.timezone)
    now = utcnow()
    today = now.astimezone(tz).date()
    found = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        for label, start_hour, end_hour in SLOTS:
            start = dt.datetime.combine(day, dt.time(start_hour), tz)
            end = dt.datetime.combine(day, dt.time(end_hour), tz)
            if end <= now:
                continue
            found.append({"value": f"{start.astimezone(dt.UTC).isoformat()}/{end.astimezone(dt.UTC).isoformat()}",
                          "day": offset, "label": label, "hours": f"{start_hour}:00–{end_hour}:00"})
    return found


def window_text(request: Request, windows: list[list[str]]) -> str:
    """The preferred windows in local time: 12月08日 08:00–12:00."""
    tz = ZoneInfo(request.app.state.settings.timezone)
    parts = []
    for start, end in windows:
        s, e = (dt.datetime.fromisoformat(t).astimezone(tz) for t in (start, end))
        parts.append(f"{s.strftime('%m月%d日 %H:%M')}–{e.strftime('%H:%M')}")
    return "；".join(parts)

"""The public page of a community: its calendar of the coming weeks and how to join."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import browse
from servicebank.org import service as org
from servicebank.web import recurrence
from servicebank.web.public_pages import keep_page, serve_cached_page
from servicebank.web.render import render

CALENDAR_WEEKS = 4


def calendar(activities: list, timezone: str) -> list[tuple[dt.date, list]]:
    """Activities by local day, soonest first: the public calendar of the coming weeks."""
    zone = ZoneInfo(timezone)
    days: dict[dt.date, list] = {}
    for activity in activities:
        start = activity.starts_at if activity.starts_at.tzinfo else activity.starts_at.replace(tzinfo=dt.UTC)
        days.setdefault(start.astimezone(zone).date(), []).append(activity)
    return sorted(days.items())


class PublicActivityPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/public/communities/{community_id:int}", before_request=serve_cached_page)
    async def community(self, request: Request, community_id: int, read_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """The community's calendar of the coming weeks and how to join, open to everyone. An anonymous visit may
        be answered from a page up to a second old (web/public_pages.py)."""
        community = await org.get_community(read_session, community_id)
        until = dt.datetime.now(dt.UTC) + dt.timedelta(weeks=CALENDAR_WEEKS)
        timezone = request.app.state.settings.timezone
        activities = await browse.public_upcoming(read_session, community_id=community_id, limit=100, until=until)
        return keep_page(request, render(request, "activities/public_community.html", optional_principal, title=community.name,
                      community=community, days=calendar(activities, timezone), weeks=CALENDAR_WEEKS,
                      weekday_names=recurrence.WEEKDAY_NAMES, kinds=await browse.kind_names(read_session)))

"""The public leaderboard: top volunteers by hours or points, by community or the city."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.leaderboards.service import leaderboard_view
from servicebank.org import service as org
from servicebank.web import i18n
from servicebank.web.render import lang_of, render

PERIODS = ("month", "year", "all")


def _period(request: Request, which: str) -> str:
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    return {"month": today.strftime("%Y-%m"), "year": today.strftime("%Y")}.get(which, "all")


class LeaderboardPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/leaderboard")
    async def leaderboard(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                          community: int | None = None, period: str = "month", by: str = "hours") -> Response:
        """Top volunteers by hours or points (names masked unless the volunteer agreed)."""
        _ = i18n.translator(lang_of(request))
        if community is None and optional_principal is not None:
            community = optional_principal.volunteer_community_id
        scope = f"community:{community}" if community else "city"
        period = period if period in PERIODS else "month"
        by = by if by in ("hours", "points") else "hours"
        viewer = optional_principal.volunteer_id if optional_principal else None
        board = await leaderboard_view(read_session, scope=scope, period=_period(request, period), by=by, limit=50,
                                       volunteer_id=viewer, viewer_volunteer_id=viewer, keep_top=viewer is not None)
        return render(request, "leaderboards/leaderboard.html", optional_principal, title=_("Leaderboard"), board=board,
                      communities=await org.all_communities(read_session), community=community, period=period,
                      by=by)

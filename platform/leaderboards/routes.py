"""The leaderboard API: public boards by scope and period, and your own rank."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.edge.public_reads import keep, serve_cached
from servicebank.leaderboards import service
from servicebank.leaderboards.schemas import LeaderboardOut


class LeaderboardController(Controller):
    path = "/api/leaderboards"
    tags = ["points"]

    @get("/", exclude_from_auth=True, before_request=serve_cached)
    async def leaderboard(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                    board: Annotated[str, QueryParameter(name="scope", description="city, community:{id}, street:{id}, team:{id}")]
                    = "city",
                    period: Annotated[str, Parameter(description='"2026-11", "2026" or "all"')] = "all",
                    by: Annotated[str, Parameter(description="hours or points")] = "hours",
                    limit: Annotated[int, Parameter(description="1 to 500")] = 100,
                    volunteer_id: int | None = None) -> LeaderboardOut:
        """A public leaderboard; names are masked (王*英) and hidden for volunteers who did not consent.

        `volunteer_id` adds that volunteer's own rank (`me`). Without a login the answer may be up to a second
        old (one answer per address and second, shared by every phone that asks).
        """
        viewer = optional_principal.volunteer_id if optional_principal else None
        return keep(request, await service.leaderboard_view(read_session, scope=board, period=period, by=by,
                                                            limit=limit, volunteer_id=volunteer_id,
                                                            viewer_volunteer_id=viewer))

    @get("/me")
    async def mine(self, db_session: AsyncSession, principal: Principal,
                   board: Annotated[str | None, QueryParameter(name="scope", description="default: your community")] = None,
                   period: str = "all", by: str = "hours", limit: int = 10) -> LeaderboardOut:
        """Your own rank (with the top of the board) in your community or the scope given."""
        volunteer_id = principal.require_volunteer()
        # The city board for a volunteer who is not (or no longer) a member of a community: it is public anyway.
        home = principal.volunteer_community_id
        scope = board or (f"community:{home}" if home else "city")
        return await service.leaderboard_view(db_session, scope=scope, period=period, by=by, limit=limit,
                                              volunteer_id=volunteer_id, viewer_volunteer_id=volunteer_id,
                                              viewer_name=principal.volunteer_name, keep_top=True)


ROUTES = [LeaderboardController]

"""The leaderboards' front door: boards with names masked by consent (routes and pages call this)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.text import mask_name
from servicebank.leaderboards.repository import Ranked, check_query, read_board
from servicebank.leaderboards.schemas import LeaderboardOut, LeaderboardRow
from servicebank.volunteers.repository import board_names


async def leaderboard_view(session: AsyncSession, *, scope: str, period: str, by: str, limit: int,
                           volunteer_id: int | None, viewer_volunteer_id: int | None,
                           viewer_name: str | None = None) -> LeaderboardOut:
    """A leaderboard with names masked by each volunteer's consent; `volunteer_id` adds that volunteer's rank.

    `viewer_name`, the viewer's own name as their login already read it, saves reading it again: with the
    board's top names kept a second (volunteers.repository.board_names), own rank needs no database read."""
    check_query(scope=scope, period=period, by=by, limit=limit)
    top, mine = await read_board(session, scope=scope, period=period, by=by, limit=limit, volunteer_id=volunteer_id)
    wanted = {r.volunteer_id for r in top} | ({mine.volunteer_id} if mine else set())
    known = {viewer_volunteer_id: (viewer_name, True)} if viewer_name and viewer_volunteer_id in wanted else {}
    people = known | await board_names(session, wanted - known.keys())

    def row(r: Ranked) -> LeaderboardRow:
        person = people.get(r.volunteer_id)
        if person is None:
            name = "志愿者"
        elif r.volunteer_id == viewer_volunteer_id:
            name = person[0]
        else:
            name = mask_name(person[0]) if person[1] else "匿名志愿者"
        return LeaderboardRow(rank=r.rank, volunteer_id=r.volunteer_id, name=name, hours=round(r.minutes / 60, 2),
                              minutes=r.minutes, points=r.points)

    return LeaderboardOut(scope=scope, period=period, by=by, rows=[row(r) for r in top],
                          me=row(mine) if mine else None)

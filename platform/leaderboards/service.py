"""The leaderboards' front door: boards with names masked by consent (routes and pages call this)."""

from __future__ import annotations

from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.kept import ShortMemory, short_memory
from servicebank.kernel.text import mask_name
from servicebank.leaderboards.repository import Ranked, check_query, read_board
from servicebank.leaderboards.schemas import LeaderboardOut, LeaderboardRow
from servicebank.volunteers.repository import board_names

# Board tops kept per process (scope, period, ranking, length): every community's, street's and team's board
# fits; a caller walking scopes cannot grow the process without bound (all are dropped when full).
TOPS_KEPT = 4096
UNNAMED = "志愿者"  # a ranked volunteer whose row is gone (erased on request) still holds the place
HIDDEN = "匿名志愿者"  # did not consent to their name on public boards


async def leaderboard_view(session: AsyncSession, *, scope: str, period: str, by: str, limit: int,
                           volunteer_id: int | None, viewer_volunteer_id: int | None,
                           viewer_name: str | None = None, keep_top: bool = False) -> LeaderboardOut:
    """A leaderboard with names masked by each volunteer's consent; `volunteer_id` adds that volunteer's rank.

    The viewer sees their own name unmasked, in the top and in `me`; `viewer_name`, their name as their login
    already read it, saves reading it again.

    `keep_top`: the top of a board, with its names masked, is the same for every member who asks for their own
    rank. It is then kept in this process for `public_read_cache_seconds` (1 s), like the anonymous boards
    (edge/public_reads.py), and each own-rank request asks Redis for that one rank only. A rank is always
    current; the top beside it may be that much older. A caller whose answer is itself kept that long (the
    anonymous board) leaves it off: the two would add up.
    """
    check_query(scope=scope, period=period, by=by, limit=limit)
    kept = _kept_tops(session) if keep_top else None
    key = (scope, period, by, limit)
    rows = kept.get(key) if kept is not None else None
    names: dict[int, tuple[str, bool]] = {}
    if rows is not None:
        mine = (await read_board(session, scope=scope, period=period, by=by, limit=0,
                                 volunteer_id=volunteer_id))[1] if volunteer_id is not None else None
    else:
        top, mine = await read_board(session, scope=scope, period=period, by=by, limit=limit,
                                     volunteer_id=volunteer_id)
        names = await board_names(session, {r.volunteer_id for r in top} | ({mine.volunteer_id} if mine else set()))
        rows = [_row(r, _public_name(names.get(r.volunteer_id))) for r in top]
        if kept is not None:
            kept.put(key, rows)

    async def own_name(vid: int) -> str:
        if vid == viewer_volunteer_id and viewer_name:
            return viewer_name
        if vid not in names:
            names.update(await board_names(session, [vid]))
        person = names.get(vid)
        if person is None:
            return UNNAMED
        return person[0] if vid == viewer_volunteer_id else _public_name(person)

    if viewer_volunteer_id is not None:
        # The kept rows are shared by every request: the viewer's own row is a copy with their name.
        rows = [replace(r, name=await own_name(r.volunteer_id)) if r.volunteer_id == viewer_volunteer_id else r
                for r in rows]
    me = _row(mine, await own_name(mine.volunteer_id)) if mine else None
    return LeaderboardOut(scope=scope, period=period, by=by, rows=rows, me=me)


def _kept_tops(session: AsyncSession) -> ShortMemory | None:
    """This process's kept tops, or None when the public read cache is off."""
    db = session.info.get("db")
    seconds = getattr(getattr(db, "settings", None), "public_read_cache_seconds", 0)
    if not seconds:
        return None
    return short_memory(db.__dict__, "_board_tops", seconds, TOPS_KEPT)


def _public_name(person: tuple[str, bool] | None) -> str:
    if person is None:
        return UNNAMED
    return mask_name(person[0]) if person[1] else HIDDEN


def _row(r: Ranked, name: str) -> LeaderboardRow:
    return LeaderboardRow(rank=r.rank, volunteer_id=r.volunteer_id, name=name, hours=round(r.minutes / 60, 2),
                          minutes=r.minutes, points=r.points)

"""Generating the month's honour lists: compute every scope, replace drafts, never touch published lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours import ranking
from servicebank.honours.models import HonourEntry, HonourList, ListStatus, Scope
from servicebank.honours.ranking import DEFAULT_TOP_N, DEFAULT_TOP_TEAMS, Filter, LateCredits, Line
from servicebank.kernel.dialect import is_postgres
from servicebank.kernel.errors import Conflict, InvalidInput, NotFound
from servicebank.org.models import Community, Street
from servicebank.reports.periods import parse_month

MAX_TOP_N = 100
WORK_MEM = "256MB"


@dataclasses.dataclass
class GenerationResult:
    month: str
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    kept_published: int = 0
    list_ids: list[int] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def digest(lines: list[Line]) -> str:
    """A fingerprint of a list's figures: equal whenever the ledger gave the same lines."""
    payload = [[ln.section, ln.position, ln.rank, ln.volunteer_id, ln.team_id, ln.minutes, ln.star_level,
                ln.member_count, ln.name, ln.public_name] for ln in lines]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def list_title(scope_name: str, month: str) -> str:
    year, mon = month.split("-")
    return f"{scope_name}{year}年{int(mon)}月志愿服务光荣榜"


async def _check_filter(session: AsyncSession, flt: Filter) -> None:
    if flt.community_id is not None and await session.get(Community, flt.community_id) is None:
        raise NotFound(f"There is no community with id {flt.community_id}.", code="community_not_found")
    if flt.street_id is not None and await session.get(Street, flt.street_id) is None:
        raise NotFound(f"There is no street with id {flt.street_id}.", code="street_not_found")


def require_month_over(period_end: dt.datetime, now: dt.datetime) -> None:
    """A month's list counts the whole month: refuse it until the month has ended in the local time zone."""
    if period_end.tzinfo is None:
        period_end = period_end.replace(tzinfo=dt.UTC)
    if now < period_end:
        raise Conflict("This month has not ended yet; its honour list can be made from the 1st of the next month.",
                       code="honour_month_not_over")


async def _lines_by_scope(session: AsyncSession, *, start: dt.datetime, end: dt.datetime, flt: Filter, top_n: int,
                          top_teams: int, late: LateCredits | None = None) -> dict[tuple[str, int], list[Line]]:
    if is_postgres(session):
        # A city's month is a few million credits: let the aggregate and the hash joins stay in memory.
        await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    lines = await ranking.ranked_lines(session, start=start, end=end, top_n=top_n, top_teams=top_teams, flt=flt,
                                       late=late)
    lines += await ranking.new_stars(session, start=start, end=end, flt=flt)
    by_scope: dict[tuple[str, int], list[Line]] = defaultdict(list)
    for line in lines:
        by_scope[(line.scope_kind, line.scope_id)].append(line)
    for scope_lines in by_scope.values():
        scope_lines.sort(key=lambda ln: (ln.section, ln.position))
    return by_scope


async def generate_month(session: AsyncSession, *, month: str, timezone: str, flt: Filter = Filter(),
                         top_n: int = DEFAULT_TOP_N, top_teams: int = DEFAULT_TOP_TEAMS,
                         user_id: int | None = None, now: dt.datetime | None = None,
                         on_scope: Callable[[int], None] | None = None) -> GenerationResult:
    """Compute and store the month's lists as drafts; published lists are left exactly as they are."""
    period = parse_month(month)
    if not 1 <= top_n <= MAX_TOP_N or not 0 <= top_teams <= MAX_TOP_N:
        raise InvalidInput(f"Choose 1 to {MAX_TOP_N} volunteers and 0 to {MAX_TOP_N} teams.", code="invalid_top_n")
    await _check_filter(session, flt)
    now = now or dt.datetime.now(dt.UTC)
    start, end = period.utc_bounds(timezone)
    require_month_over(end, now)
    by_scope = await _lines_by_scope(session, start=start, end=end, flt=flt, top_n=top_n, top_teams=top_teams)
    scopes = await ranking.scopes(session, flt)
    existing = await _existing_lists(session, period.label, scopes)
    result = GenerationResult(month=period.label)
    rows: list[dict[str, object]] = []
    stale_ids: list[int] = []
    for kind, scope_id, scope_name in scopes:
        scope_lines = by_scope.get((kind, scope_id), [])
        fingerprint = digest(scope_lines)
        current = existing.get((kind, scope_id))
        if current is not None and current.status != ListStatus.DRAFT:
            result.kept_published += 1
        elif current is not None and current.digest == fingerprint and (current.top_n, current.top_teams) == (
                top_n, top_teams):
            result.unchanged += 1
        else:
            if current is None:
                current = HonourList(scope_kind=kind, scope_id=scope_id, month=period.label)
                session.add(current)
                result.created += 1
            else:
                stale_ids.append(current.id)
                result.replaced += 1
            current.title = list_title(scope_name, period.label)
            current.top_n, current.top_teams, current.digest = top_n, top_teams, fingerprint
            current.period_start, current.period_end = start, end
            current.generated_at, current.generated_by_user_id = now, user_id
            await session.flush()
            rows += [_entry_row(current.id, line) for line in scope_lines]
        result.list_ids.append(current.id)
        if on_scope:
            on_scope(1)
    if stale_ids:
        for chunk in range(0, len(stale_ids), 500):
            await session.execute(delete(HonourEntry).where(HonourEntry.list_id.in_(stale_ids[chunk:chunk + 500])))
    for chunk in range(0, len(rows), 2000):
        await session.execute(insert(HonourEntry), rows[chunk:chunk + 2000])
    await session.flush()
    return result


async def regenerate_entries(session: AsyncSession, honour_list: HonourList, *, user_id: int | None,
                             now: dt.datetime) -> None:
    """Replace one list's entries with the current ledger figures of its month (for a correction): the credits
    posted in the month, and those posted since for service dated in the month."""
    flt = Filter(community_id=honour_list.scope_id) if honour_list.scope_kind == Scope.COMMUNITY \
        else Filter(street_id=honour_list.scope_id)
    period = parse_month(honour_list.month)
    late = LateCredits(until=now, first_day=period.start, end_day=period.end)
    by_scope = await _lines_by_scope(session, start=honour_list.period_start, end=honour_list.period_end, flt=flt,
                                     top_n=honour_list.top_n, top_teams=honour_list.top_teams, late=late)
    scope_lines = by_scope.get((honour_list.scope_kind, honour_list.scope_id), [])
    await session.execute(delete(HonourEntry).where(HonourEntry.list_id == honour_list.id))
    if scope_lines:
        await session.execute(insert(HonourEntry), [_entry_row(honour_list.id, line) for line in scope_lines])
    honour_list.digest = digest(scope_lines)
    honour_list.generated_at, honour_list.generated_by_user_id = now, user_id
    await session.flush()


def _entry_row(list_id: int, line: Line) -> dict[str, object]:
    return {"list_id": list_id, "section": line.section, "position": line.position, "rank": line.rank,
            "volunteer_id": line.volunteer_id, "team_id": line.team_id, "community_id": line.community_id,
            "name": line.name[:100], "public_name": line.public_name[:100] if line.public_name else None,
            "minutes": line.minutes, "star_level": line.star_level, "member_count": line.member_count}


async def _existing_lists(session: AsyncSession, month: str,
                          scopes: list[tuple[str, int, str]]) -> dict[tuple[str, int], HonourList]:
    found: dict[tuple[str, int], HonourList] = {}
    for kind in Scope.ALL:
        ids = [scope_id for k, scope_id, _ in scopes if k == kind]
        for chunk in range(0, len(ids), 1000):
            rows = await session.scalars(select(HonourList).where(
                HonourList.month == month, HonourList.scope_kind == kind,
                HonourList.scope_id.in_(ids[chunk:chunk + 1000])).with_for_update())
            found.update({(row.scope_kind, row.scope_id): row for row in rows.all()})
    return found


async def count_scopes(session: AsyncSession, flt: Filter) -> int:
    """How many lists a generation with this filter writes (for progress bars)."""
    return len(await ranking.scopes(session, flt))

"""Volunteer numbers "<community code>-<6-digit sequence>", handed out safely under concurrency."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.dialect import upsert
from servicebank.org.models import Community
from servicebank.volunteers.models import Volunteer, VolunteerNumberCounter

NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,31}$")


def format_number(code: str, value: int) -> str:
    return f"{code}-{value:06d}"


async def _ensure_counter(session: AsyncSession, community: Community) -> None:
    # The first allocation starts after any number already in use (demo data, imported rosters).
    prefix = f"{community.code}-"
    highest = await session.scalar(
        select(func.max(Volunteer.number)).where(
            Volunteer.number.like(prefix + "%"), func.length(Volunteer.number) == len(prefix) + 6
        )
    )
    start = int(highest[len(prefix):]) if highest and highest[len(prefix):].isdigit() else 0
    await session.execute(
        upsert(session, VolunteerNumberCounter)
        .values(community_id=community.id, last_value=start)
        .on_conflict_do_nothing(index_elements=["community_id"])
    )


async def _bump(session: AsyncSession, community_id: int, count: int) -> int | None:
    # One UPDATE ... RETURNING: the row lock makes concurrent allocators queue, never share numbers.
    return await session.scalar(
        update(VolunteerNumberCounter)
        .where(VolunteerNumberCounter.community_id == community_id)
        .values(last_value=VolunteerNumberCounter.last_value + count)
        .returning(VolunteerNumberCounter.last_value)
    )


async def allocate_numbers(session: AsyncSession, *, community: Community, count: int,
                           reserved: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`count` fresh volunteer numbers for the community, skipping any already taken or reserved."""
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        last = await _bump(session, community.id, wanted)
        if last is None:
            await _ensure_counter(session, community)
            last = await _bump(session, community.id, wanted)
            assert last is not None
        candidates = [format_number(community.code, v) for v in range(last - wanted + 1, last + 1)]
        taken = set(reserved)
        for start in range(0, len(candidates), 5000):
            chunk = candidates[start:start + 5000]
            taken |= set((await session.scalars(select(Volunteer.number).where(Volunteer.number.in_(chunk)))).all())
        numbers.extend(n for n in candidates if n not in taken)
    return numbers

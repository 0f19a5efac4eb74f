"""Volunteer numbers: never shared, even when two organisers register at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from servicebank.volunteers.numbers import allocate_numbers
from tests.factories import make_org


@pytest.mark.postgres_only
async def test_concurrent_allocations_never_share_a_number(db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    community_id = org.community.id

    async def allocate() -> list[str]:
        async with db.session_scope() as s:
            from servicebank.org.models import Community

            community = await s.get(Community, community_id)
            numbers = []
            for _ in range(5):
                numbers += await allocate_numbers(s, community=community, count=10)
            return numbers

    results = await asyncio.gather(*(allocate() for _ in range(4)))
    every = [n for batch in results for n in batch]
    assert len(every) == len(set(every)) == 200
    assert max(every) == f"{org.community.code}-000200"


async def test_reserved_numbers_are_skipped(db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    code = org.community.code
    async with db.session_scope() as s:
        numbers = await allocate_numbers(s, community=org.community, count=3, reserved={f"{code}-000002"})
    assert numbers == [f"{code}-000001", f"{code}-000003", f"{code}-000004"]

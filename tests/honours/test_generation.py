"""Generating monthly honour lists: figures, ties, scopes, determinism, drafts replaced, published frozen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicebank.honours.generation import generate_month
from servicebank.honours.models import HonourEntry, HonourList, StarAward
from servicebank.honours.ranking import Filter
from servicebank.kernel.errors import InvalidInput, NotFound
from servicebank.kernel.events import drain, record_event
from tests.honours import expected
from tests.honours.seeding import credit, local, seed_october

TZ = "Asia/Shanghai"


async def _entries(session, list_id: int, section: str) -> list[HonourEntry]:  # noqa: ANN001
    rows = await session.scalars(select(HonourEntry).where(HonourEntry.list_id == list_id,
                                                           HonourEntry.section == section)
                                 .order_by(HonourEntry.position))
    return list(rows.all())


async def _list(session, kind: str, scope_id: int, month: str = "2026-10") -> HonourList:  # noqa: ANN001
    return (await session.scalars(select(HonourList).where(HonourList.scope_kind == kind,
                                                           HonourList.scope_id == scope_id,
                                                           HonourList.month == month))).one()


async def test_lists_match_figures_computed_from_the_records(db, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    async with db.session_scope() as s:
        result = await generate_month(s, month="2026-10", timezone=TZ)
    # Four communities (two per street) and two streets.
    assert result.created == 6 and result.kept_published == 0
    scopes = {("community", org.community.id): {org.community.id}, ("community", org.other.id): {org.other.id},
              ("street", org.street.id): {org.community.id, org.other.id},
              ("community", seeded.far.id): {seeded.far.id}}
    async with db.session_scope() as s:
        for (kind, scope_id), community_ids in scopes.items():
            honour_list = await _list(s, kind, scope_id)
            want = expected.top_volunteers(seeded, community_ids, 2026, 10)
            got = [(e.rank, e.volunteer_id, e.minutes) for e in await _entries(s, honour_list.id, "top_volunteers")]
            assert got == want, (kind, scope_id)
            assert want, "the seed must give every scope some hours"
            teams = [(e.rank, e.team_id, e.minutes) for e in await _entries(s, honour_list.id, "top_teams")]
            assert teams == expected.top_teams(seeded, community_ids, 2026, 10)
        home = await _list(s, "community", org.community.id)
        assert home.title == f"{org.community.name}2026年10月志愿服务光荣榜"
        entries = await _entries(s, home.id, "top_volunteers")
        ids = {e.volunteer_id for e in entries}
        # Paid service and suspended volunteers are never honoured, whatever their hours.
        assert not ids & {v.id for v in seeded.volunteers.values() if v.paid_service or v.status == "suspended"}
        for entry in entries:
            volunteer = seeded.volunteers[entry.volunteer_id]
            assert entry.name == volunteer.real_name
            assert (entry.public_name is None) == (not volunteer.public_consent)


async def test_ties_share_a_rank_and_all_are_listed(db, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    async with db.session_scope() as s:
        await generate_month(s, month="2026-10", timezone=TZ, top_n=1, flt=Filter(community_id=org.other.id))
    top = expected.credited(seeded, 2026, 10)
    neighbours = sorted((m, v) for v, m in top.items() if seeded.volunteers[v].community_id == org.other.id)
    best = neighbours[-1][0]
    # Make a second volunteer reach exactly the best figure, then regenerate.
    runner_up = next(v for m, v in reversed(neighbours) if m < best)
    gap = best - top[runner_up]
    await credit(session, seeded, volunteer_id=runner_up, minutes=gap, posted_at=local(2026, 10, 28),
                 service_date=dt.date(2026, 10, 28), attendance_id=None)
    await session.commit()
    async with db.session_scope() as s:
        result = await generate_month(s, month="2026-10", timezone=TZ, top_n=1, flt=Filter(community_id=org.other.id))
        assert result.replaced == 1 and result.created == 0
        entries = await _entries(s, (await _list(s, "community", org.other.id)).id, "top_volunteers")
    assert [e.rank for e in entries] == [1] * len(entries) and len(entries) >= 2
    assert [e.volunteer_id for e in entries] == sorted(e.volunteer_id for e in entries)


async def test_regenerating_is_identical_and_published_lists_never_change(db, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    org = seeded.org
    async with db.session_scope() as s:
        await generate_month(s, month="2026-10", timezone=TZ)
    async with db.session_scope() as s:
        first = await _list(s, "community", org.community.id)
        snapshot = [(e.section, e.position, e.rank, e.volunteer_id, e.team_id, e.minutes)
                    for e in await _entries(s, first.id, "top_volunteers")]
        digest = first.digest
    async with db.session_scope() as s:
        again = await generate_month(s, month="2026-10", timezone=TZ)
    assert again.unchanged == 6 and again.created == again.replaced == 0
    async with db.session_scope() as s:
        honour_list = await _list(s, "community", org.community.id)
        honour_list.status, honour_list.published_at = "published", dt.datetime.now(dt.UTC)
    # A correction posted in November for October service changes nothing in the published list ...
    late = next(iter(v for _, v, _ in expected.top_volunteers(seeded, {org.community.id}, 2026, 10)))
    await credit(session, seeded, volunteer_id=late, minutes=900, posted_at=local(2026, 11, 3),
                 service_date=dt.date(2026, 10, 20), attendance_id=None)
    await session.commit()
    async with db.session_scope() as s:
        result = await generate_month(s, month="2026-10", timezone=TZ, flt=Filter(community_id=org.community.id))
        assert result.kept_published == 1
        kept = await _list(s, "community", org.community.id)
        assert kept.digest == digest
        assert [(e.section, e.position, e.rank, e.volunteer_id, e.team_id, e.minutes)
                for e in await _entries(s, kept.id, "top_volunteers")] == snapshot
    # ... it appears in November's list.
    async with db.session_scope() as s:
        await generate_month(s, month="2026-11", timezone=TZ, flt=Filter(community_id=org.community.id))
        november = await _list(s, "community", org.community.id, "2026-11")
        got = [(e.rank, e.volunteer_id, e.minutes) for e in await _entries(s, november.id, "top_volunteers")]
    assert got == expected.top_volunteers(seeded, {org.community.id}, 2026, 11)
    assert any(v == late and m >= 900 for _, v, m in got)


async def test_new_star_levels_come_from_the_ledger_announcements(db, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    home = [v for v in seeded.volunteers.values() if v.community_id == seeded.org.community.id]
    async with db.session_scope() as s:
        await record_event(s, "ledger.star_level_reached", {"volunteer_id": home[2].id, "level": 1})
        await record_event(s, "ledger.star_level_reached", {"volunteer_id": home[3].id, "level": 1})
        await record_event(s, "ledger.star_level_reached", {"volunteer_id": home[3].id, "level": 2})
    await drain(db)
    await drain(db)  # a second delivery adds nothing
    async with db.session_scope() as s:
        awards = (await s.scalars(select(StarAward))).all()
        assert len(awards) == 3
        # The announcements arrived now; count them in the current month.
        for award in awards:
            award.reached_at = local(2026, 10, 15)
    async with db.session_scope() as s:
        await generate_month(s, month="2026-10", timezone=TZ)
        for kind, scope_id in (("community", seeded.org.community.id), ("street", seeded.org.street.id)):
            stars = await _entries(s, (await _list(s, kind, scope_id)).id, "new_stars")
            assert [(e.volunteer_id, e.star_level, e.rank) for e in stars] == [(home[3].id, 2, 1), (home[2].id, 1, 2)]
        far = await _entries(s, (await _list(s, "community", seeded.far.id)).id, "new_stars")
        assert far == []


async def test_bad_requests_are_refused(db, session) -> None:  # noqa: ANN001
    await seed_october(session)
    async with db.session_scope() as s:
        for month in ("2026-13", "2026/10", "", "26-10"):
            with pytest.raises(InvalidInput) as err:
                await generate_month(s, month=month, timezone=TZ)
            assert err.value.code == "invalid_month"
        for top_n in (0, 101):
            with pytest.raises(InvalidInput) as err:
                await generate_month(s, month="2026-10", timezone=TZ, top_n=top_n)
            assert err.value.code == "invalid_top_n"
        with pytest.raises(NotFound) as missing:
            await generate_month(s, month="2026-10", timezone=TZ, flt=Filter(community_id=999999))
        assert missing.value.code == "community_not_found"
        with pytest.raises(NotFound) as missing:
            await generate_month(s, month="2026-10", timezone=TZ, flt=Filter(street_id=999999))
        assert missing.value.code == "street_not_found"


async def test_monthly_job_drafts_the_month_before(db, session) -> None:  # noqa: ANN001
    from servicebank.honours.tasks import generate_previous_month
    from servicebank.workers.schedule import JOBS

    assert JOBS["honours-monthly"].actor_name == "honours.generate_monthly"
    assert JOBS["honours-monthly"].monthly_day == 1
    await seed_october(session)
    result = await generate_previous_month(db, today=dt.date(2026, 11, 1))
    assert result["month"] == "2026-10" and result["created"] == 6
    again = await generate_previous_month(db, today=dt.date(2026, 11, 1))
    assert again["unchanged"] == 6

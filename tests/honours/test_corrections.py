"""What may be generated and published when, and correcting a published list (更正并重新公示)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from servicebank.accounts.models import Role
from servicebank.audit.models import AuditEntry
from servicebank.honours.generation import generate_month
from servicebank.honours.models import HonourList
from servicebank.honours.ranking import Filter
from servicebank.kernel.errors import Conflict
from tests.factories import make_person
from tests.honours import expected
from tests.honours.seeding import credit, local, seed_october

TZ = "Asia/Shanghai"
OBJECTION = {"name": "居民甲", "text": "第一名的时长好像算多了，请核实。"}


async def _generate(client, person, community_id: int, month: str = "2026-10"):  # noqa: ANN001, ANN202
    return await client.post("/api/honours/generate", json={"month": month, "community_id": community_id},
                             headers=person.headers)


async def _published(client, session):  # noqa: ANN001, ANN202
    """October's seeded list of the home community, published, with its organiser."""
    seeded = await seed_october(session)
    organiser = await make_person(session, Role.ORGANISER, community=seeded.org.community)
    generated = (await _generate(client, organiser, seeded.org.community.id)).json()
    list_id = generated["list_ids"][0]
    published = await client.post(f"/api/honours/lists/{list_id}/publish", json={}, headers=organiser.headers)
    assert published.status_code == 200, published.text
    return seeded, organiser, published.json()


async def _end_notice(db, list_id: int) -> None:  # noqa: ANN001
    async with db.session_scope() as s:
        await s.execute(update(HonourList).where(HonourList.id == list_id).values(
            notice_ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))


async def test_the_current_month_cannot_be_generated_or_published(client, session, db) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    organiser = await make_person(session, Role.ORGANISER, community=seeded.org.community)
    this_month = dt.datetime.now(ZoneInfo(TZ)).strftime("%Y-%m")
    refused = await _generate(client, organiser, seeded.org.community.id, this_month)
    assert refused.status_code == 409 and refused.json()["code"] == "honour_month_not_over"
    # The month ends at local midnight of the 1st (16:00 UTC the day before), not at UTC midnight.
    async with db.session_scope() as s:
        with pytest.raises(Conflict) as caught:
            await generate_month(s, month="2026-10", timezone=TZ, now=local(2026, 10, 31, 23),
                                 flt=Filter(community_id=seeded.org.community.id))
        assert caught.value.code == "honour_month_not_over"
    async with db.session_scope() as s:
        made = await generate_month(s, month="2026-10", timezone=TZ, now=local(2026, 11, 1, 0),
                                    flt=Filter(community_id=seeded.org.community.id))
    assert made.created == 1
    # A draft left from before the rule (made early) cannot be published before its month ends either.
    async with db.session_scope() as s:
        await s.execute(update(HonourList).where(HonourList.id == made.list_ids[0]).values(
            period_end=dt.datetime.now(dt.UTC) + dt.timedelta(days=3)))
    early = await client.post(f"/api/honours/lists/{made.list_ids[0]}/publish", json={}, headers=organiser.headers)
    assert early.status_code == 409 and early.json()["code"] == "honour_month_not_over"


async def test_an_empty_list_cannot_be_published(client, session) -> None:  # noqa: ANN001
    seeded = await seed_october(session)
    organiser = await make_person(session, Role.ORGANISER, community=seeded.org.community)
    september = (await _generate(client, organiser, seeded.org.community.id, "2026-09")).json()
    list_id = september["list_ids"][0]
    assert (await client.get(f"/api/honours/lists/{list_id}", headers=organiser.headers)).json()["entries"] == []
    refused = await client.post(f"/api/honours/lists/{list_id}/publish", json={}, headers=organiser.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "honour_list_empty"
    assert (await client.get(f"/api/public/honours/{list_id}")).status_code == 404


async def test_correcting_during_the_notice_period(client, session, db) -> None:  # noqa: ANN001
    seeded, organiser, first = await _published(client, session)
    org, list_id = seeded.org, first["id"]
    assert first["version"] == 1 and first["correctable"]
    early = await client.post(f"/api/public/honours/{list_id}/objections", json=OBJECTION)
    assert early.status_code == 201
    # The organiser corrects the hours in the ledger: the correction is posted now, for October service.
    top = expected.top_volunteers(seeded, {org.community.id}, 2026, 10)
    last = top[-1][1]
    await credit(session, seeded, volunteer_id=last, minutes=6000, posted_at=dt.datetime.now(dt.UTC),
                 service_date=dt.date(2026, 10, 17), attendance_id=None)
    await session.commit()
    corrected = await client.post(f"/api/honours/lists/{list_id}/correct", json={"reason": "补录10月17日时长"},
                                  headers=organiser.headers)
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert body["id"] == list_id and body["version"] == 2 and body["state"] == "notice"
    leader = next(e for e in body["entries"] if e["section"] == "top_volunteers")
    assert (leader["rank"], leader["volunteer_id"]) == (1, last)
    assert body["notice_ends_at"] > first["notice_ends_at"]
    assert dt.datetime.fromisoformat(body["notice_ends_at"]) >= dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    public = (await client.get(f"/api/public/honours/{list_id}")).json()
    assert public["version"] == 2 and public["state"] == "notice"
    async with db.session_scope() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "honour_list.correct"))
    assert entry is not None and entry.entity_id == str(list_id) and entry.community_id == org.community.id
    assert entry.reason == "补录10月17日时长" and entry.before["version"] == 1 and entry.after["version"] == 2
    # The earlier objection stays, marked with the version it was about; new ones are about version 2.
    assert (await client.post(f"/api/public/honours/{list_id}/objections", json=OBJECTION)).status_code == 201
    listed = (await client.get(f"/api/honours/lists/{list_id}/objections", headers=organiser.headers)).json()
    assert [o["list_version"] for o in listed] == [1, 2]
    # Still one list for the month: regenerating keeps the corrected list as it is.
    again = (await _generate(client, organiser, org.community.id)).json()
    assert again["kept_published"] == 1 and again["list_ids"] == [list_id]


async def test_after_the_notice_only_an_upheld_objection_reopens_a_list(client, session, db) -> None:  # noqa: ANN001
    seeded, organiser, first = await _published(client, session)
    list_id = first["id"]
    objection = (await client.post(f"/api/public/honours/{list_id}/objections", json=OBJECTION)).json()
    await _end_notice(db, list_id)
    # Final with an open objection: the organiser answers it first.
    frozen = await client.post(f"/api/honours/lists/{list_id}/correct", json={}, headers=organiser.headers)
    assert frozen.status_code == 409 and frozen.json()["code"] == "honour_list_final"
    upheld = await client.post(f"/api/honours/objections/{objection['id']}/resolve",
                               json={"resolution": "upheld", "note": "时长确有错误，已在台账更正"},
                               headers=organiser.headers)
    assert upheld.status_code == 200
    listed = (await client.get(f"/api/honours/lists/{list_id}", headers=organiser.headers)).json()
    assert listed["state"] == "final" and listed["correctable"]
    bad = await client.post(f"/api/honours/lists/{list_id}/correct", json={"notice_days": 3},
                            headers=organiser.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_notice_days"
    corrected = await client.post(f"/api/honours/lists/{list_id}/correct", json={"notice_days": 10},
                                  headers=organiser.headers)
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert corrected.json()["state"] == "notice"
    # Version 2 ends its notice with nothing upheld against it: final for good.
    await _end_notice(db, list_id)
    again = await client.post(f"/api/honours/lists/{list_id}/correct", json={}, headers=organiser.headers)
    assert again.status_code == 409 and again.json()["code"] == "honour_list_final"
    # Drafts are remade, not corrected; a neighbour's organiser does not see the list at all.
    draft = (await _generate(client, organiser, seeded.org.community.id, "2026-11")).json()["list_ids"][0]
    response = await client.post(f"/api/honours/lists/{draft}/correct", json={}, headers=organiser.headers)
    assert response.status_code == 409 and response.json()["code"] == "honour_list_draft"
    neighbour = await make_person(session, Role.ORGANISER, community=seeded.org.other)
    hidden = await client.post(f"/api/honours/lists/{list_id}/correct", json={}, headers=neighbour.headers)
    assert hidden.status_code == 404


@pytest.mark.postgres_only
async def test_concurrent_corrections_each_get_their_own_version(client, session, db) -> None:  # noqa: ANN001
    """The list row is locked while it is corrected: five at once give versions 2..6, one audit entry each."""
    _, organiser, first = await _published(client, session)
    list_id = first["id"]
    answers = await asyncio.gather(*(client.post(f"/api/honours/lists/{list_id}/correct", json={"reason": f"第{n}次"},
                                                 headers=organiser.headers) for n in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(a.json()["version"] for a in answers) == [2, 3, 4, 5, 6]
    async with db.session_scope() as s:
        audited = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "honour_list.correct"))).all()
        assert sorted(e.after["version"] for e in audited) == [2, 3, 4, 5, 6]
        assert (await s.get(HonourList, list_id)).version == 6

"""The order page finds a household quickly: by part of the name or the building, typed or with one tap on a
building; the order placed from the found list; a resident sees only their own household and no search."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.requests.models import Household, ServiceRequest
from tests.requests.support import make_street
from tests.web.pages import location, log_in, post, text_of


async def test_the_grid_worker_finds_a_household_by_name_or_building(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    community = street.org.community.id
    for name, building in (("钱大爷", "5号楼"), ("孙奶奶", "5号楼"), ("赵志刚", "12号楼")):
        session.add(Household(community_id=community, grid_id=street.org.grid.id, building=building, unit="1单元",
                              name=name))
    await session.commit()
    await log_in(client, street.grid_worker)
    everyone = text_of((await client.get("/requests/new")).text)
    assert all(n in everyone for n in ("赵阿姨", "钱大爷", "孙奶奶", "赵志刚")) and "找居民" in everyone
    by_name = await client.get("/requests/new", params={"community_id": community, "q": "赵"})
    words = text_of(by_name.text)
    assert "赵阿姨" in words and "赵志刚" in words and "钱大爷" not in words and "“赵”找到 2 户" in words
    page = await client.get("/requests/new", params={"community_id": community, "q": "5号楼"})
    assert 'href="/requests/new?community_id=' in page.text and "q=5%E5%8F%B7%E6%A5%BC" in page.text  # a chip
    words = text_of(page.text)
    assert "钱大爷" in words and "孙奶奶" in words and "赵阿姨" not in words
    nobody = text_of((await client.get("/requests/new", params={"q": "100%"})).text)
    assert "没有找到" in nobody and "钱大爷" not in nobody  # % is a letter here, not a wildcard
    async with db.session_scope() as s:
        qian = await s.scalar(select(Household.id).where(Household.name == "钱大爷"))
    categories = (await client.get(f"/api/communities/{community}/request-categories",
                                   headers=street.grid_worker.headers)).json()
    slot = (await client.get("/requests/new")).text.split('name="slot" value="')[1].split('"')[0]
    done = await post(client, f"/requests/new?community_id={community}&q=5%E5%8F%B7%E6%A5%BC",
                      {"household_id": str(qian), "category_id": str(categories[0]["id"]), "slot": slot})
    assert "done=ordered" in location(done)
    async with db.session_scope() as s:
        assert await s.scalar(select(ServiceRequest.household_id)) == qian


async def test_a_resident_sees_their_own_household_and_no_search(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    await log_in(client, street.resident)
    words = text_of((await client.get("/requests/new", params={"q": "钱"})).text)
    assert "赵阿姨" in words and "找居民" not in words

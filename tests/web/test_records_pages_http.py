"""The records pages over HTTP: a held sign-up on 我的 and the organiser's activity page, approving it,
the volunteer page's no-shows and excusing one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicebank.activities.models import Signup
from tests.activities.conftest import create
from tests.records.conftest import miss, world  # noqa: F401 - the fixture
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_a_held_sign_up_is_explained_approved_and_a_no_show_excused(client, world, db) -> None:  # noqa: ANN001, F811
    v = world.volunteer
    for _ in range(3):
        await miss(client, db, world, v)
    activity = await create(client, world)
    aid = activity["id"]
    client.headers.pop("Authorization", None)
    await log_in(client, v)
    assert location(await post(client, f"/activities/{aid}/signup")) == "/me?done=held"
    me = text_of((await client.get("/me?done=held")).text)
    assert "您的报名需要社工审核" in me and "我的爽约记录" in me and "报名后未到（爽约）" in me
    await log_in(client, world.organiser)
    page = text_of((await client.get(f"/manage/activities/{aid}")).text)
    assert "待您审核的报名（多次爽约）" in page and "爽约 3 次" in page
    done = location(await post(client, f"/manage/activities/{aid}/held/{v.volunteer.id}/approve"))
    assert done == f"/manage/activities/{aid}?done=held_approved"
    assert "已通过这条报名" in (await client.get(done)).text
    async with db.session_scope() as s:
        assert (await s.scalars(select(Signup.status).where(Signup.activity_id == aid))).one() == "confirmed"
    again = await post(client, f"/manage/activities/{aid}/held/{v.volunteer.id}/approve")
    assert again.status_code == 409 and "这条报名不在待审核状态" in again.text
    volunteer_page = (await client.get(f"/manage/volunteers/{v.volunteer.id}")).text
    assert 'id="no-show-list"' in volunteer_page and "近 90 天内爽约 3 次" in text_of(volunteer_page)
    ids = [int(x.split("/")[0]) for x in volunteer_page.split('action="/manage/no-shows/')[1:]]
    assert len(ids) == 3
    empty = await post(client, f"/manage/no-shows/{ids[0]}/excuse", {"reason": " "})
    assert empty.status_code == 422 and "请写明撤销这次爽约的原因" in empty.text
    back = location(await post(client, f"/manage/no-shows/{ids[0]}/excuse", {"reason": "住院"}))
    assert "已撤销这次爽约" in (await client.get(back)).text
    await log_in(client, v)
    assert "您的报名需要社工审核" not in (await client.get("/me")).text

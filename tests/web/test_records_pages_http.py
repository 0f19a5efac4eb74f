"""The records pages over HTTP: a held sign-up on 我的 and the organiser's activity page, approving it,
the volunteer page's no-shows and excusing one."""

from __future__ import annotations

import datetime as dt

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


async def test_certificates_are_recorded_checked_and_shown_to_both_sides(client, world, db) -> None:  # noqa: ANN001, F811
    v = world.volunteer
    until = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    client.headers.pop("Authorization", None)
    await log_in(client, v)
    me = text_of((await client.get("/me")).text)
    assert "我的证书（急救证、健康证、驾驶证等）" in me and "还没有登记证书" in me
    form = {"qualification_code": "health_certificate", "issuer": "区疾控中心", "number": "JK-2026-778899",
            "valid_until": until}
    expired = await post(client, "/me/qualifications", {**form, "valid_until": "2020-01-01"})
    assert expired.status_code == 422 and "这张证书已经过期了" in expired.text
    assert location(await post(client, "/me/qualifications", form)) == "/me?done=qualification_added#my-qualifications"
    me = text_of((await client.get("/me?done=qualification_added")).text)
    assert "证书已登记" in me and "健康证" in me and "等待社工核验" in me and "778899" not in me
    await log_in(client, world.organiser)
    page = (await client.get(f"/manage/volunteers/{v.volunteer.id}")).text
    assert 'id="qualification-list"' in page and "等待社工核验" in text_of(page)
    qid = int(page.split('action="/manage/qualifications/')[1].split("/")[0])
    done = location(await post(client, f"/manage/qualifications/{qid}/verify"))
    assert "证书已核验" in (await client.get(done)).text
    added = await post(client, f"/manage/volunteers/{v.volunteer.id}/qualifications",
                       {**form, "qualification_code": "first_aid", "number": "RC12345678"})
    page = text_of((await client.get(location(added))).text)
    assert "急救证" in page and "RC****5678" in page and "等待社工核验" not in page

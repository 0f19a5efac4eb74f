"""保险 on the pages over HTTP: the organiser records a volunteer's and an activity's policy (CSRF-checked, another
site's post refused with nothing written), bad input in plain Chinese, the volunteer sees their cover on 我的."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from servicebank.records.models import InsuranceCover
from tests.activities.conftest import create
from tests.records.conftest import world  # noqa: F401 - the fixture
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


def _form(**overrides: str) -> dict[str, str]:
    today = dt.date.today()
    return {"insurer": "中国人寿", "policy_number": "PICC20260088123", "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=365)).isoformat(), **overrides}


async def _covers(db) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count(InsuranceCover.id))))


async def test_organisers_record_cover_on_the_pages_and_the_volunteer_sees_it(client, world, db) -> None:  # noqa: ANN001, F811
    v = world.volunteer
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    client.headers.pop("Authorization", None)
    await log_in(client, world.organiser)
    page = text_of((await client.get(f"/manage/volunteers/{v.volunteer.id}")).text)
    assert "保险" in page and "还没有登记保险" in page and "登记保险" in page
    bad = await post(client, f"/manage/volunteers/{v.volunteer.id}/insurance", _form(policy_number="12"))
    assert bad.status_code == 422 and "请填写保险公司、保单号" in bad.text
    nodate = await post(client, f"/manage/volunteers/{v.volunteer.id}/insurance", _form(valid_from=""))
    assert nodate.status_code == 422 and "保障起止日期" in nodate.text
    assert await _covers(db) == 0
    done = location(await post(client, f"/manage/volunteers/{v.volunteer.id}/insurance", _form()))
    assert done == f"/manage/volunteers/{v.volunteer.id}?done=cover_recorded#insurance"
    page = text_of((await client.get(done)).text)
    assert "保险已登记" in page and "中国人寿" in page and "PI*********8123" in page and "保障中" in page
    assert "0088" not in page
    done = location(await post(client, f"/manage/activities/{patrol['id']}/insurance", _form(insurer="团体意外险")))
    page = text_of((await client.get(done)).text)
    assert "活动团体保险" in page and "团体意外险" in page
    await log_in(client, v)
    me = text_of((await client.get("/me")).text)
    assert "我的保险" in me and "中国人寿" in me and "团体意外险" not in me


async def test_a_cover_form_posted_from_another_site_is_refused_and_writes_nothing(client, world, db) -> None:  # noqa: ANN001, F811
    patrol = await create(client, world, kind="patrol")
    client.headers.pop("Authorization", None)
    await log_in(client, world.organiser)
    token = client.cookies.get("sb_csrf")
    for url in (f"/manage/volunteers/{world.volunteer.volunteer.id}/insurance",
                f"/manage/activities/{patrol['id']}/insurance"):
        r = await client.post(url, data={**_form(), "csrf_token": token}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "页面已过期" in r.text
    assert await _covers(db) == 0

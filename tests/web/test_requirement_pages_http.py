"""服务要求 over HTTP: an organiser makes a kind require a certificate and a kind or a kind of help require insurance,
sees them listed in words, lifts them, and switches points for training activities on and off; a volunteer's sign-up is refused while a requirement stands; other roles and
another site cannot change them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicebank.records.models import CoverRequirement, KindQualification
from tests.activities.conftest import create
from tests.records.conftest import world  # noqa: F401 - the fixture
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def _requirements(db) -> tuple[int, int]:  # noqa: ANN001
    async with db.session_scope() as s:
        return (int(await s.scalar(select(func.count(KindQualification.id)))),
                int(await s.scalar(select(func.count(CoverRequirement.id)))))


async def test_an_organiser_sets_and_lifts_requirements_on_the_page(client, world, db) -> None:  # noqa: ANN001, F811
    community = world.org.community.id
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    client.headers.pop("Authorization", None)
    await log_in(client, world.organiser)
    dashboard = text_of((await client.get(f"/manage?community={community}")).text)
    assert "服务要求" in dashboard
    page = text_of((await client.get(f"/manage/requirements?community={community}")).text)
    assert "还没有需要资格证书的活动类型" in page and "还没有需要保险的服务" in page
    done = location(await post(client, "/manage/requirements/insurance",
                               {"community": str(community), "target": "kind:patrol", "required": "1"}))
    assert done == f"/manage/requirements?community={community}&done=requirement_set"
    categories = (await client.get(f"/api/communities/{community}/request-categories",
                                   headers=world.organiser.headers)).json()
    care = next(c for c in categories if c["name"] == "助浴")
    await post(client, "/manage/requirements/insurance",
               {"community": str(community), "target": f"category:{care['id']}", "required": "1"})
    await post(client, "/manage/requirements/qualification",
               {"community": str(community), "kind": "patrol", "qualification_code": "first_aid", "required": "1"})
    page = text_of((await client.get(done)).text)
    assert "要求已保存" in page and "居民需求：助浴" in page and "巡逻" in page and "急救" in page
    assert await _requirements(db) == (1, 2)
    # While they stand, the volunteer cannot sign up for the patrol (the certificate is asked for first).
    refused = await client.post(f"/api/activities/{patrol['id']}/signups", json={},
                                headers=world.volunteer.headers)
    assert refused.status_code == 403, refused.text
    lifted = location(await post(client, "/manage/requirements/qualification",
                                 {"community": str(community), "kind": "patrol", "qualification_code": "first_aid",
                                  "required": "0"}))
    await post(client, "/manage/requirements/insurance",
               {"community": str(community), "target": "kind:patrol", "required": "0"})
    assert "要求已取消" in text_of((await client.get(lifted)).text)
    assert await _requirements(db) == (0, 1)
    ok = await client.post(f"/api/activities/{patrol['id']}/signups", json={}, headers=world.volunteer.headers)
    assert ok.status_code in (200, 201), ok.text
    # Nonsense is told in words and changes nothing.
    bad = await post(client, "/manage/requirements/insurance",
                     {"community": str(community), "target": "kind:no_such_kind", "required": "1"})
    assert bad.status_code == 422 and "请选择活动类型" in text_of(bad.text)
    assert await _requirements(db) == (0, 1)


async def test_only_the_communitys_organisers_change_requirements(client, world, db) -> None:  # noqa: ANN001, F811
    community = world.org.community.id
    client.headers.pop("Authorization", None)
    await log_in(client, world.volunteer)
    assert (await client.get(f"/manage/requirements?community={community}")).status_code == 403
    r = await post(client, "/manage/requirements/insurance",
                   {"community": str(community), "target": "kind:patrol", "required": "1"})
    assert r.status_code == 403
    await log_in(client, world.organiser)
    token = client.cookies.get("sb_csrf")
    r = await client.post("/manage/requirements/insurance",
                          data={"community": str(community), "target": "kind:patrol", "required": "1",
                                "csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "页面已过期" in r.text
    assert await _requirements(db) == (0, 0)


async def test_an_organiser_lets_training_activities_earn_points_and_stops_it(client, world) -> None:  # noqa: ANN001, F811
    community = world.org.community.id
    client.headers.pop("Authorization", None)
    await log_in(client, world.organiser)
    page = text_of((await client.get(f"/manage/requirements?community={community}")).text)
    assert "只记为培训，不计积分" in page
    done = location(await post(client, "/manage/requirements/training-points",
                               {"community": str(community), "earns_points": "1"}))
    page = text_of((await client.get(done)).text)
    assert "已保存：参加培训活动是否计积分" in page and "按该类型的时长规则计积分" in page
    rule = await client.get(f"/api/communities/{community}/training-rule", headers=world.organiser.headers)
    assert rule.json()["earns_points"] is True
    await post(client, "/manage/requirements/training-points", {"community": str(community), "earns_points": "0"})
    rule = await client.get(f"/api/communities/{community}/training-rule", headers=world.organiser.headers)
    assert rule.json()["earns_points"] is False


async def test_an_organiser_requires_a_recent_training_and_lifts_it(client, world, db) -> None:  # noqa: ANN001, F811
    community = world.org.community.id
    patrol = await create(client, world, kind="patrol", title="夜间巡逻")
    client.headers.pop("Authorization", None)
    await log_in(client, world.organiser)
    assert "还没有需要培训的服务" in text_of((await client.get(f"/manage/requirements?community={community}")).text)
    done = location(await post(client, "/manage/requirements/training",
                               {"community": str(community), "target": "kind:patrol", "category": "pre_service",
                                "months": "12", "required": "1"}))
    page = text_of((await client.get(done)).text)
    assert "巡逻" in page and "岗前培训" in page and "近 12 个月内" in page
    refused = await client.post(f"/api/activities/{patrol['id']}/signups", json={}, headers=world.volunteer.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "training_required", refused.text
    bad = await post(client, "/manage/requirements/training",
                     {"community": str(community), "target": "kind:patrol", "category": "pre_service",
                      "months": "a year", "required": "1"})
    assert bad.status_code == 422 and "月数请填整数" in text_of(bad.text)
    await post(client, "/manage/requirements/training",
               {"community": str(community), "target": "kind:patrol", "category": "pre_service", "required": "0"})
    assert "还没有需要培训的服务" in text_of((await client.get(f"/manage/requirements?community={community}")).text)
    ok = await client.post(f"/api/activities/{patrol['id']}/signups", json={}, headers=world.volunteer.headers)
    assert ok.status_code in (200, 201), ok.text

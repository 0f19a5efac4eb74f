"""The 代签 box's lookup over HTTP: a leader finds and signs in only her teams' members (masked phones), the box
keeps its results after a 代签, and only an organiser is offered 仍然签到（超出名额） for a full activity."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.checkins.models import Attendance
from tests.checkins.helpers import make_activity, sign_up
from tests.factories import make_org, make_person, make_team, make_volunteer
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def _world(session, capacity: int | None = None):  # noqa: ANN202, ANN001
    org = await make_org(session)
    mine = await make_volunteer(session, org.community, name="孙桂兰", phone="13812341234")
    stranger = await make_volunteer(session, org.community, name="孙大爷", phone="13900005678")
    team = await make_team(session, org.community, members=[mine])
    leader = await make_person(session, Role.TEAM_LEADER, community=org.community, team=team)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    activity = await make_activity(session, org, starts_in=dt.timedelta(minutes=-5), position=None, capacity=capacity)
    return org, mine, stranger, leader, organiser, activity


async def test_a_leader_finds_and_signs_in_only_her_teams_members(client, session, db) -> None:  # noqa: ANN001
    _org, mine, stranger, leader, _organiser, activity = await _world(session)
    await log_in(client, leader)
    page = await client.get(f"/manage/activities/{activity.id}?find=孙")
    found = text_of(page.text)
    assert "孙桂兰" in found and "138****1234" in found and "13812341234" not in page.text
    assert "孙大爷" not in found
    by_phone = text_of((await client.get(f"/manage/activities/{activity.id}?find=5678")).text)
    assert "孙大爷" not in by_phone and "在您可以代签的志愿者中没有找到" in by_phone
    refused = location(await post(client, f"/manage/activities/{activity.id}/proxy-volunteer",
                                  {"volunteer_id": stranger.id, "purpose": "check-in"}))
    assert "proxy_error=not_your_volunteer" in refused
    done = location(await post(client, f"/manage/activities/{activity.id}/proxy-volunteer",
                               {"volunteer_id": mine.id, "purpose": "check-in", "find": "孙"}))
    after = text_of((await client.get(done)).text)
    # The flash, and the same results with her new status, so the next person is one tap away.
    assert "孙桂兰：签到成功" in after and "find=" in done and after.count("138****1234") == 1 and "已签到" in after
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Attendance))).all()
    assert [(r.volunteer_id, r.proxy_by_user_id) for r in rows] == [(mine.id, leader.user.id)]
    assert "proxy_check_in" in rows[0].flags


async def test_only_the_organiser_may_check_in_over_the_limit(client, session, db) -> None:  # noqa: ANN001
    org, mine, _stranger, leader, organiser, activity = await _world(session, capacity=1)
    holder = await make_volunteer(session, org.community)
    await sign_up(session, activity, holder.id)  # the one place is taken
    await log_in(client, leader)
    full = location(await post(client, f"/manage/activities/{activity.id}/proxy-volunteer",
                               {"volunteer_id": mine.id, "purpose": "check-in"}))
    page = text_of((await client.get(full)).text)
    assert "名额已满" in page and "请联系社区组织者" in page and "仍然签到（超出名额）" not in page
    forced = location(await post(client, f"/manage/activities/{activity.id}/proxy-volunteer",
                                 {"volunteer_id": mine.id, "purpose": "check-in", "over_capacity": "1"}))
    assert "proxy_error=activity_full" in forced
    await log_in(client, organiser)
    offered = (await client.get(full)).text
    assert "仍然签到（超出名额）" in text_of(offered) and 'name="over_capacity"' in offered
    done = location(await post(client, f"/manage/activities/{activity.id}/proxy-volunteer",
                               {"volunteer_id": mine.id, "purpose": "check-in", "over_capacity": "1"}))
    after = text_of((await client.get(done)).text)
    assert "孙桂兰：签到成功" in after and "超出名额签到" in after
    async with db.session_scope() as s:
        row = (await s.scalars(select(Attendance))).one()
    assert row.flags == ["walk_in", "over_capacity", "proxy_check_in"] and row.proxy_by_user_id == organiser.user.id

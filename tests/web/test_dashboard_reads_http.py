"""The community dashboard's reads (plain rows through kernel/direct.py on PostgreSQL, the session on SQLite) show
what the ORM reads showed: the heading and switcher, this month's figures, upcoming activities with their kinds'
names (a community's own name for a built-in kind wins), and the 待处理 box (records to approve, honour lists with
open objections, proposals waiting for the street office). Run on both backends."""

from __future__ import annotations

import datetime as dt

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity, ActivityKind
from servicebank.checkins.models import Attendance
from servicebank.honours.models import HonourObjection
from tests.factories import make_list_in_notice, make_org, make_person, make_volunteer
from tests.web.pages import log_in, text_of


def _activity(community_id: int, title: str, *, status: str, kind: str, starts_in: dt.timedelta) -> Activity:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + starts_in
    return Activity(community_id=community_id, kind=kind, title=title, status=status, starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=2))


async def test_the_dashboard_shows_every_part_from_its_plain_reads(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_volunteer(session, org.community)
    session.add(ActivityKind(community_id=org.community.id, code="patrol", name="平安巡逻（本社区）"))
    upcoming = _activity(org.community.id, "周六夜间巡逻", status="published", kind="patrol",
                         starts_in=dt.timedelta(days=2))
    proposal = _activity(org.community.id, "社区义诊提案", status="pending_approval", kind="elderly_visit",
                         starts_in=dt.timedelta(days=5))
    held = _activity(org.community.id, "上周助老探访", status="completed", kind="elderly_visit",
                     starts_in=-dt.timedelta(days=3))
    elsewhere = _activity(org.other.id, "别的社区的活动", status="published", kind="patrol",
                          starts_in=dt.timedelta(days=1))
    session.add_all([upcoming, proposal, held, elsewhere])
    await session.flush()
    session.add(Attendance(activity_id=held.id, volunteer_id=volunteer.id, community_id=org.community.id,
                           status="checked_out", checked_in_at=held.starts_at, checked_out_at=held.ends_at,
                           service_date=held.starts_at.date()))
    honour_list = await make_list_in_notice(session, org.community, title="十月光荣榜")
    session.add(HonourObjection(list_id=honour_list.id, name="居民", text="名单有误", client_key="k1"))
    await session.commit()

    await log_in(client, organiser)
    response = await client.get(f"/manage?community={org.community.id}")
    assert response.status_code == 200
    words = text_of(response.text)
    assert f"社区概览 · {org.community.name}" in words
    assert "周六夜间巡逻 已发布 平安巡逻（本社区） ·" in words  # the community's own name for a built-in kind
    assert "社区义诊提案 待审批 敬老走访 ·" in words  # a built-in kind's name
    assert "别的社区的活动" not in words
    assert "2 近期活动" in words
    assert "上周助老探访" in words and "1 条记录待审核" in words
    assert "十月光荣榜 1 条异议待答复" in words
    assert "社区义诊提案" in words and "项目申请，等待街道审批" in words
    assert "各类活动数量 敬老走访 2 平安巡逻（本社区） 1" in words
    html = response.text
    assert f'href="/manage/activities/{held.id}"' in html  # records to approve
    assert f'href="/manage/honours/{honour_list.id}"' in html  # objections to answer
    assert f'href="/manage/activities/{proposal.id}"' in html  # the proposal
    assert f'href="/manage/activities/{upcoming.id}"' in html


async def test_a_community_without_anything_shows_the_empty_dashboard(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    response = await client.get(f"/manage?community={org.community.id}")
    assert response.status_code == 200
    assert 'id="manage-activities"' in response.text and 'id="todo"' in response.text

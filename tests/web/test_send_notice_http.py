"""发通知 over HTTP: from a team's page the organiser fills in a template's blanks and sends; the page says to how
many people it went, each member has it in their messages; a blank left empty is refused in Chinese, nothing sent."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.kernel import events
from servicebank.volunteers.models import TeamMember
from tests.factories import make_org, make_person, make_team
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_organiser_sends_a_notice_to_a_team(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    member = await make_person(session, Role.VOLUNTEER, community=org.community)
    team = await make_team(session, org.community, name="党员先锋队")
    session.add(TeamMember(team_id=team.id, volunteer_id=member.volunteer.id))
    await session.commit()
    await log_in(client, organiser)
    assert f'href="/manage/notices?team={team.id}"' in (await client.get(f"/manage/teams/{team.id}")).text
    page = text_of((await client.get(f"/manage/notices?team={team.id}")).text)
    assert "发通知" in page and "服务队：党员先锋队" in page and "集合通知" in page and "携带物品提醒" in page
    refused = await post(client, "/manage/notices", {"template": "time_changed", "team_id": str(team.id),
                                                     "time_changed.time": " "})
    assert refused.status_code == 422 and "请把通知的每一项都填上" in text_of(refused.text)
    sent = await post(client, "/manage/notices", {"template": "time_changed", "team_id": str(team.id),
                                                  "time_changed.time": "12月07日 09:00"})
    assert location(sent) == f"/manage/notices?team={team.id}&done=sent&n=1"
    assert "已发给 1 人" in text_of((await client.get(location(sent))).text)
    await events.drain(db)
    inbox = (await client.get("/api/notifications", headers=member.headers)).json()["items"]
    assert [(n["title"], n["body"]) for n in inbox if n["type"].startswith("notice.")] == [
        ("时间调整", "党员先锋队：时间调整为12月07日 09:00，请相互转告。")]

"""The 派单台 over HTTP: the distance in grids beside each volunteer, giving a request to a team, and the same
form from another site refused with nothing changed."""

from __future__ import annotations

from servicebank.requests.models import ServiceRequest
from servicebank.volunteers.models import Volunteer
from tests.factories import make_team
from tests.requests.support import make_street, order
from tests.web.pages import location, log_in, post, text_of


async def test_the_desk_gives_a_request_to_a_team(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    helper = await session.get(Volunteer, street.helper.volunteer.id)
    helper.grid_id = street.org.grid.id
    await session.commit()
    team = await make_team(session, street.org.community, name="助老服务队", members=[street.helper.volunteer])
    request_id = (await order(client, street))["id"]
    await client.post(f"/api/requests/{request_id}/review", json={"approve": True}, headers=street.organiser.headers)
    await log_in(client, street.organiser)
    desk = text_of((await client.get("/manage/requests")).text)
    assert "李志愿 · 同网格" in desk and "王志愿 · 同社区" in desk and "助老服务队" in desk
    url = f"/manage/requests/{request_id}?community_id={street.org.community.id}"
    refused = await client.post(url, data={"action": "team", "team_id": str(team.id),
                                           "csrf_token": client.cookies.get("sb_csrf")},
                                headers={"origin": "http://evil.example"})
    assert refused.status_code == 403
    async with db.session_scope() as s:
        assert (await s.get(ServiceRequest, request_id)).team_id is None
    assert "done=to_team" in location(await post(client, url, {"action": "team", "team_id": str(team.id)}))
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        assert (row.status, row.team_id) == ("open", team.id)
    desk = text_of((await client.get("/manage/requests?done=to_team")).text)
    assert "已派给服务队" in desk and "等待服务队队员接单" in desk

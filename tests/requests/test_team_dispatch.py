"""Dispatching to a team (any member may accept, exactly one wins; others neither see nor take it) and the matching
the 派单台 shows: distance in grids, current load, rating, for volunteers and for teams."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.kernel import events
from servicebank.notifications.models import Notification
from servicebank.org.models import Grid
from servicebank.requests.models import RequestStatus, ServiceRequest
from servicebank.volunteers.models import Volunteer
from tests.factories import make_person, make_team
from tests.requests.support import Street, accept_all_at_once, make_street, order, principal_of


async def _approved(client, street: Street) -> int:  # noqa: ANN001
    request_id = (await order(client, street))["id"]
    r = await client.post(f"/api/requests/{request_id}/review", json={"approve": True},
                          headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    return request_id


async def _row(db, request_id: int) -> tuple[str, int | None, int | None]:  # noqa: ANN001
    async with db.session_scope() as s:
        row = await s.get(ServiceRequest, request_id)
        return row.status, row.team_id, row.volunteer_id


async def test_a_team_request_is_seen_and_taken_by_its_members_only(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    team = await make_team(session, street.org.community, name="助老服务队",
                           members=[street.helper.volunteer, street.second.volunteer])
    other_team = await make_team(session, street.org.other, name="外社区服务队")
    outsider_of_team = await make_person(session, Role.VOLUNTEER, community=street.org.community, name="队外志愿者")
    request_id = await _approved(client, street)
    h = street.organiser.headers
    for body, status, code in [
        ({"team_id": other_team.id}, 404, "team_not_found"),
        ({"team_id": 999_999}, 404, "team_not_found"),
        ({"team_id": team.id, "volunteer_id": street.helper.volunteer.id}, 422, "request_dispatch_target"),
        ({"team_id": team.id, "open_to_hall": True}, 422, "request_dispatch_target"),
        ({}, 422, "request_dispatch_target"),
    ]:
        r = await client.post(f"/api/requests/{request_id}/dispatch", json=body, headers=h)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    assert await _row(db, request_id) == ("awaiting_dispatch", None, None)
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"team_id": team.id}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["team_id"] == team.id
    for who, sees in ((street.helper, True), (street.second, True), (outsider_of_team, False)):
        hall = (await client.get("/api/requests/hall", headers=who.headers)).json()
        assert (request_id in [x["id"] for x in hall]) is sees
    for who, status in ((street.helper, 200), (outsider_of_team, 404)):
        assert (await client.get(f"/api/requests/{request_id}", headers=who.headers)).status_code == status
    r = await client.post(f"/api/requests/{request_id}/accept", headers=outsider_of_team.headers)
    assert r.status_code == 403 and r.json()["code"] == "request_team_only"
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.outsider.headers)
    assert r.status_code == 404 and r.json()["code"] == "request_not_found"
    assert await _row(db, request_id) == ("open", team.id, None)
    await events.drain(db)
    async with db.session_scope() as s:
        told = set((await s.scalars(select(Notification.user_id).where(
            Notification.type == "request.opened"))).all())
    assert told == {street.helper.user.id, street.second.user.id}
    r = await client.post(f"/api/requests/{request_id}/accept", headers=street.second.headers)
    assert r.status_code == 200 and r.json()["volunteer_id"] == street.second.volunteer.id
    # Back from a team to the whole hall: an organiser may widen it while nobody has taken it.
    again = await _approved(client, street)
    await client.post(f"/api/requests/{again}/dispatch", json={"team_id": team.id}, headers=h)
    r = await client.post(f"/api/requests/{again}/dispatch", json={"open_to_hall": True}, headers=h)
    assert r.status_code == 200 and r.json()["team_id"] is None
    hall = (await client.get("/api/requests/hall", headers=outsider_of_team.headers)).json()
    assert again in [x["id"] for x in hall]


@pytest.mark.postgres_only
async def test_team_members_accepting_at_once_exactly_one_wins(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    members = [await make_person(session, Role.VOLUNTEER, community=street.org.community) for _ in range(8)]
    strangers = [await make_person(session, Role.VOLUNTEER, community=street.org.community) for _ in range(3)]
    team = await make_team(session, street.org.community, members=[m.volunteer for m in members])
    request_id = await _approved(client, street)
    r = await client.post(f"/api/requests/{request_id}/dispatch", json={"team_id": team.id},
                          headers=street.organiser.headers)
    assert r.status_code == 200, r.text
    principals = [await principal_of(db, person.user.id) for person in members + strangers]
    outcomes = await accept_all_at_once(db, principals, request_id)
    assert outcomes[len(members):] == ["request_team_only"] * len(strangers)
    assert outcomes[:len(members)].count("ok") == 1
    assert set(outcomes[:len(members)]) == {"ok", "request_already_taken"}
    status, team_id, volunteer_id = await _row(db, request_id)
    assert status == RequestStatus.ACCEPTED and team_id == team.id
    assert volunteer_id == principals[outcomes.index("ok")].volunteer_id


async def test_matching_shows_distance_in_grids_load_and_rating(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    community = street.org.community
    second_grid = Grid(community_id=community.id, name="第二网格")
    session.add(second_grid)
    await session.flush()
    for person, grid_id in ((street.helper, street.org.grid.id), (street.second, second_grid.id)):
        volunteer = await session.get(Volunteer, person.volunteer.id)
        volunteer.grid_id = grid_id
    await session.commit()
    near_team = await make_team(session, community, name="一网格助老队", members=[street.helper.volunteer])
    far_team = await make_team(session, community, name="二网格助老队", members=[street.second.volunteer])
    # The helper already has a task: load 1, and is still offered first for living in the request's grid.
    busy = await _approved(client, street)
    await client.post(f"/api/requests/{busy}/dispatch", json={"volunteer_id": street.helper.volunteer.id},
                      headers=street.organiser.headers)
    request_id = await _approved(client, street)
    url = f"/api/communities/{community.id}/request-candidates?request_id={request_id}"
    found = {c["volunteer_id"]: c for c in (await client.get(url, headers=street.organiser.headers)).json()}
    assert found[street.helper.volunteer.id]["distance"] == "same_grid"
    assert found[street.helper.volunteer.id]["load"] == 1
    assert found[street.second.volunteer.id]["distance"] == "same_community"
    ordered = [c["volunteer_id"] for c in (await client.get(url, headers=street.organiser.headers)).json()]
    assert ordered[0] == street.helper.volunteer.id
    plain = (await client.get(f"/api/communities/{community.id}/request-candidates",
                              headers=street.organiser.headers)).json()
    assert {c["distance"] for c in plain} == {None}
    url = f"/api/communities/{community.id}/request-team-candidates?request_id={request_id}"
    teams = (await client.get(url, headers=street.organiser.headers)).json()
    assert [t["team_id"] for t in teams][:2] == [near_team.id, far_team.id]
    assert teams[0]["same_grid_members"] == 1 and teams[0]["load"] == 1 and teams[0]["members"] == 1
    assert teams[1]["same_grid_members"] == 0 and teams[1]["load"] == 0
    for who, status in ((street.grid_worker, 403), (street.outsider, 404)):
        r = await client.get(url, headers=who.headers)
        assert r.status_code == status, r.text
    other = f"/api/communities/{street.org.other.id}/request-candidates?request_id={request_id}"
    other_organiser = await make_person(session, Role.ORGANISER, community=street.org.other)
    r = await client.get(other, headers=other_organiser.headers)
    assert r.status_code == 404 and r.json()["code"] == "request_not_found"

"""Teams: creation rules, members from the same community only, leaders need a login."""

from __future__ import annotations

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person, make_volunteer


async def test_team_lifecycle_with_members_and_leaders(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    leader_person = await make_person(session, Role.VOLUNTEER, community=org.community)
    no_login = await make_volunteer(session, org.community)
    foreign = await make_volunteer(session, org.other)
    h = organiser.headers
    team = await client.post("/api/teams", headers=h, json={"community_id": org.community.id, "name": "夕阳红文艺队",
                                                            "kind": "文艺"})
    assert team.status_code == 201
    team_id = team.json()["id"]
    duplicate = await client.post("/api/teams", headers=h, json={"community_id": org.community.id,
                                                                 "name": "夕阳红文艺队", "kind": "自定义"})
    assert duplicate.json()["code"] == "duplicate_team_name"
    custom = await client.post("/api/teams", headers=h, json={"community_id": org.community.id, "name": "理发队",
                                                              "kind": "便民理发"})
    assert custom.status_code == 201 and custom.json()["kind"] == "便民理发"
    assert (await client.post("/api/teams", headers=h, json={"community_id": org.community.id, "name": "x",
                                                             "kind": " "})).json()["code"] == "invalid_team_kind"

    cross = await client.post(f"/api/teams/{team_id}/members", headers=h, json={"volunteer_ids": [foreign.id]})
    assert (cross.status_code, cross.json()["code"]) == (404, "volunteer_not_found")
    added = await client.post(f"/api/teams/{team_id}/members", headers=h, json={"volunteer_ids": [no_login.id]})
    assert added.json() == {"added": 1}
    assert (await client.post(f"/api/teams/{team_id}/members", headers=h,
                              json={"volunteer_ids": [no_login.id]})).json() == {"added": 0}

    refused = await client.post(f"/api/teams/{team_id}/leaders", headers=h, json={"volunteer_id": no_login.id})
    assert (refused.status_code, refused.json()["code"]) == (409, "volunteer_has_no_account")
    leader = await client.post(f"/api/teams/{team_id}/leaders", headers=h,
                               json={"volunteer_id": leader_person.volunteer.id})
    assert leader.status_code == 201
    members = (await client.get(f"/api/teams/{team_id}/members", headers=leader_person.headers)).json()
    assert {m["volunteer_id"]: m["is_leader"] for m in members} == {no_login.id: False,
                                                                    leader_person.volunteer.id: True}
    roster = (await client.get(f"/api/volunteers?community_id={org.community.id}",
                               headers=leader_person.headers)).json()
    assert roster["total"] == 2  # a leader sees the members of their teams only

    removed = await client.delete(f"/api/teams/{team_id}/members/{leader_person.volunteer.id}", headers=h)
    assert removed.status_code == 204
    assert (await client.get(f"/api/teams/{team_id}/leaders", headers=h)).json() == []
    assert (await client.get(f"/api/teams/{team_id}/members", headers=leader_person.headers)).status_code == 403

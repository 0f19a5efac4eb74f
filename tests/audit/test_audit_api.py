"""The audit log: organisers read their community's entries, filtered and paginated; nothing else leaks."""

from __future__ import annotations

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person


async def test_organiser_reads_own_community_log_with_filters(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    neighbour = await make_person(session, Role.ORGANISER, community=org.other)
    for i in range(3):
        created = await client.post("/api/volunteers", headers=organiser.headers, json={
            "community_id": org.community.id, "real_name": f"甲{i}", "phone": f"1390000300{i}"})
        assert created.status_code == 201
    volunteer_id = created.json()["id"]
    await client.patch(f"/api/volunteers/{volunteer_id}", headers=organiser.headers, json={"real_name": "甲改"})
    await client.post("/api/volunteers", headers=neighbour.headers, json={
        "community_id": org.other.id, "real_name": "乙", "phone": "13900004000"})

    log = (await client.get(f"/api/audit?community_id={org.community.id}", headers=organiser.headers)).json()
    assert log["total"] == 4 and log["items"][0]["action"] == "volunteer.update"
    update = log["items"][0]
    assert update["before"]["real_name"] == "甲2" and update["after"]["real_name"] == "甲改"
    assert update["actor_user_id"] == organiser.user.id and update["entity_id"] == str(volunteer_id)

    only_creates = (await client.get(f"/api/audit?community_id={org.community.id}&action=volunteer.create&limit=2",
                                     headers=organiser.headers)).json()
    assert only_creates["total"] == 3 and len(only_creates["items"]) == 2
    by_entity = (await client.get(f"/api/audit?entity_type=volunteer&entity_id={volunteer_id}",
                                  headers=organiser.headers)).json()
    assert [e["action"] for e in by_entity["items"]] == ["volunteer.update", "volunteer.create"]
    future = (await client.get(f"/api/audit?community_id={org.community.id}&since=2999-01-01T00:00:00Z",
                               headers=organiser.headers)).json()
    assert future["total"] == 0

    mine = (await client.get("/api/audit", headers=organiser.headers)).json()
    assert {e["community_id"] for e in mine["items"]} == {org.community.id}
    refused = await client.get(f"/api/audit?community_id={org.other.id}", headers=organiser.headers)
    assert (refused.status_code, refused.json()["code"]) == (404, "community_not_found")


async def test_street_admin_sees_every_community_of_the_street(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    street = await make_person(session, Role.STREET_ADMIN, street=org.street)
    for community in (org.community, org.other):
        organiser = await make_person(session, Role.ORGANISER, community=community)
        await client.post("/api/teams", headers=organiser.headers, json={
            "community_id": community.id, "name": "巡逻队", "kind": "治安巡逻"})
    log = (await client.get("/api/audit?action=team", headers=street.headers)).json()
    assert {e["community_id"] for e in log["items"]} == {org.community.id, org.other.id}

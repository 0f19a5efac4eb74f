"""Setting up the hierarchy: who may add districts, streets, communities and grids; stable error codes."""

from __future__ import annotations

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person


async def test_platform_admin_builds_the_hierarchy(client, session) -> None:  # noqa: ANN001
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    district = (await client.post("/api/districts", headers=admin.headers, json={"name": "朝阳区"})).json()
    street = (await client.post("/api/streets", headers=admin.headers,
                                json={"district_id": district["id"], "name": "幸福街道"})).json()
    community = await client.post("/api/communities", headers=admin.headers, json={
        "district_id": district["id"], "street_id": street["id"], "name": "和谐社区", "code": "hxl"})
    assert community.status_code == 201 and community.json()["code"] == "HXL"
    no_street = await client.post("/api/communities", headers=admin.headers, json={
        "district_id": district["id"], "name": "独立社区", "code": "DL"})
    assert no_street.status_code == 201 and no_street.json()["street_id"] is None
    grid = await client.post(f"/api/communities/{community.json()['id']}/grids", headers=admin.headers,
                             json={"name": "第一网格"})
    assert grid.status_code == 201
    cases = [
        ("/api/districts", {"name": "朝阳区"}, 409, "duplicate_name"),
        ("/api/streets", {"district_id": 999999, "name": "x"}, 404, "district_not_found"),
        ("/api/communities", {"district_id": district["id"], "name": "重复", "code": "HXL"}, 409,
         "duplicate_community_code"),
        ("/api/communities", {"district_id": district["id"], "name": "坏", "code": "1-A"}, 422,
         "invalid_community_code"),
        (f"/api/communities/{community.json()['id']}/grids", {"name": "第一网格"}, 409, "duplicate_name"),
    ]
    for path, payload, status, code in cases:
        response = await client.post(path, headers=admin.headers, json=payload)
        assert (response.status_code, response.json()["code"]) == (status, code), path
    public = (await client.get("/api/communities/public")).json()
    assert any(c["name"] == "和谐社区" and c["district"] == "朝阳区" and c["street"] == "幸福街道" for c in public)


async def test_street_admin_adds_communities_only_to_their_street(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    elsewhere = await make_org(session)
    street = await make_person(session, Role.STREET_ADMIN, street=org.street)
    ok = await client.post("/api/communities", headers=street.headers, json={
        "district_id": org.district.id, "street_id": org.street.id, "name": "新社区", "code": "XSQ"})
    assert ok.status_code == 201
    foreign = await client.post("/api/communities", headers=street.headers, json={
        "district_id": elsewhere.district.id, "street_id": elsewhere.street.id, "name": "别处", "code": "BC"})
    assert (foreign.status_code, foreign.json()["code"]) == (403, "admin_required")
    listed = {c["id"] for c in (await client.get("/api/communities", headers=street.headers)).json()}
    assert listed == {org.community.id, org.other.id, ok.json()["id"]}

"""Registering, changing, approving and suspending volunteers; ID privacy; numbers; self-registration."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.accounts.models import Role, User
from servicebank.audit.models import AuditEntry
from servicebank.kernel.events import OutboxEvent
from servicebank.volunteers.models import Volunteer
from servicebank.volunteers.registration import SUBMITTED
from tests.factories import make_org, make_person, make_team
from tests.volunteers.test_identity import VALID, resident_id


async def _organiser(session):  # noqa: ANN001, ANN202
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    return org, organiser


async def test_organiser_registers_a_volunteer_with_protected_id(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    team = await make_team(session, org.community)
    response = await client.post("/api/volunteers", headers=organiser.headers, json={
        "community_id": org.community.id, "real_name": "王秀英", "phone": "+86 139 0000 1234", "id_number": VALID,
        "grid_id": org.grid.id, "skill_tags": "理发、医疗", "team_ids": [team.id]} | {"skill_tags": ["理发", "医疗"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "13900001234"
    assert body["id_number_masked"] == "110***********002X"
    assert VALID not in response.text
    assert body["number"] == f"{org.community.code}-000001"
    assert body["status"] == "active" and body["team_ids"] == [team.id]
    stored = await session.scalar(select(Volunteer).where(Volunteer.id == body["id"]))
    assert stored.id_number_encrypted and VALID not in stored.id_number_encrypted
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "volunteer.create"))).one()
    assert audit.actor_user_id == organiser.user.id and "id_number_encrypted" not in audit.after
    assert VALID not in str(audit.after)
    events = (await session.scalars(select(OutboxEvent.type))).all()
    assert "volunteer.registered" in events


async def test_bad_input_gets_stable_codes_and_writes_nothing(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    base = {"community_id": org.community.id, "real_name": "李四", "phone": "13900002222"}
    first = await client.post("/api/volunteers", headers=organiser.headers, json=base | {"id_number": VALID,
                                                                                         "number": "OLD-1"})
    assert first.status_code == 201, first.text
    cases = [
        (base, 409, "duplicate_phone"),
        (base | {"phone": "13900003333", "id_number": VALID.lower()}, 409, "duplicate_id_number"),
        (base | {"phone": "13900003333", "number": "OLD-1"}, 409, "duplicate_volunteer_number"),
        (base | {"phone": "13900003333", "id_number": "110105194912310021"}, 422, "invalid_id_number"),
        (base | {"phone": "12345"}, 422, "invalid_phone"),
        (base | {"phone": "13900003333", "grid_id": 999999}, 404, "grid_not_found"),
        (base | {"phone": "13900003333", "team_ids": [999999]}, 404, "team_not_found"),
        (base | {"phone": "13900003333", "community_id": 999999}, 404, "community_not_found"),
        (base | {"phone": "13900003333", "real_name": "  "}, 422, "missing_name"),
        (base | {"phone": "13900003333", "initial_password": "short"}, 422, "weak_password"),
    ]
    for payload, status, code in cases:
        response = await client.post("/api/volunteers", headers=organiser.headers, json=payload)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
    assert await session.scalar(select(func.count(Volunteer.id))) == 1


async def test_numbers_continue_after_existing_ones_and_never_repeat(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    session.add(Volunteer(community_id=org.community.id, number=f"{org.community.code}-000041", real_name="旧",
                          phone="13900000041"))
    await session.commit()
    numbers = []
    for i in range(3):
        response = await client.post("/api/volunteers", headers=organiser.headers, json={
            "community_id": org.community.id, "real_name": f"新{i}", "phone": f"1390000100{i}"})
        numbers.append(response.json()["number"])
    code = org.community.code
    assert numbers == [f"{code}-000042", f"{code}-000043", f"{code}-000044"]


async def test_patch_changes_fields_and_audits_before_and_after(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    created = (await client.post("/api/volunteers", headers=organiser.headers, json={
        "community_id": org.community.id, "real_name": "张三", "phone": "13900004444"})).json()
    response = await client.patch(f"/api/volunteers/{created['id']}", headers=organiser.headers, json={
        "skill_tags": ["维修"], "paid_service": True, "id_number": resident_id("32010219800101001")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["skill_tags"] == ["维修"] and body["paid_service"] is True
    assert body["id_number_masked"].startswith("320") and body["id_type"] == "居民身份证"
    entry = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "volunteer.update"))).one()
    assert entry.before["paid_service"] is False and entry.after["paid_service"] is True


async def test_self_registration_then_approval(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    response = await client.post("/api/volunteers/register", json={
        "community_id": org.community.id, "real_name": "李桂兰", "phone": "13900005678", "password": "my-secret-9"})
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "submitted", "message": SUBMITTED}
    login = await client.post("/api/auth/login", json={"login": "13900005678", "password": "my-secret-9"})
    assert login.status_code == 200, "a phone new to the platform can log in at once"
    me = await client.get("/api/volunteers/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
    volunteer = me.json()
    assert volunteer["status"] == "pending" and volunteer["has_account"] is True
    approved = await client.post(f"/api/volunteers/{volunteer['id']}/approve", headers=organiser.headers)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    again = await client.post(f"/api/volunteers/{volunteer['id']}/approve", headers=organiser.headers)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_status_change")
    suspend = await client.post(f"/api/volunteers/{volunteer['id']}/suspend", headers=organiser.headers, json={})
    assert suspend.json()["code"] == "reason_required"
    suspend = await client.post(f"/api/volunteers/{volunteer['id']}/suspend", headers=organiser.headers,
                                json={"reason": "联系不上"})
    assert suspend.json()["status"] == "suspended" and suspend.json()["status_reason"] == "联系不上"
    types = (await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id))).all()
    assert types == ["volunteer.registered"]  # approval and suspension have no consumer: the audit log keeps them


async def test_self_registration_refuses_an_unknown_community_and_bad_forms_only(client, session) -> None:  # noqa: ANN001
    org, _ = await _organiser(session)
    unknown = await client.post("/api/volunteers/register", json={
        "community_id": 999999, "real_name": "甲", "phone": "13900005678", "password": "my-secret-9"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "community_not_found")
    session.add(User(phone="13900007777", display_name="已有", password_hash="x"))
    await session.commit()
    for phone in ("13900007777", "13900008888"):  # known and unknown: the form's own faults, in the same words
        weak = await client.post("/api/volunteers/register", json={
            "community_id": org.community.id, "real_name": "乙", "phone": phone, "password": "short"})
        bad_id = await client.post("/api/volunteers/register", json={
            "community_id": org.community.id, "real_name": "乙", "phone": phone, "password": "my-secret-9",
            "id_number": "110105194912310021"})
        assert [(r.status_code, r.json()["code"]) for r in (weak, bad_id)] == [
            (422, "weak_password"), (422, "invalid_id_number")]
    assert await session.scalar(select(func.count(Volunteer.id))) == 0


async def test_list_filters_and_paginates(client, session) -> None:  # noqa: ANN001
    org, organiser = await _organiser(session)
    team = await make_team(session, org.community)
    for i in range(5):
        await client.post("/api/volunteers", headers=organiser.headers, json={
            "community_id": org.community.id, "real_name": f"队员{i}", "phone": f"1390000200{i}",
            "skill_tags": ["理发"] if i % 2 == 0 else ["文艺"], "team_ids": [team.id] if i < 2 else []})
    url = f"/api/volunteers?community_id={org.community.id}"
    page = (await client.get(url + "&limit=2&offset=2", headers=organiser.headers)).json()
    assert page["total"] == 5 and [v["real_name"] for v in page["items"]] == ["队员2", "队员3"]
    assert (await client.get(url + "&skill=理发", headers=organiser.headers)).json()["total"] == 3
    assert (await client.get(url + f"&team_id={team.id}", headers=organiser.headers)).json()["total"] == 2
    assert (await client.get(url + "&q=02003", headers=organiser.headers)).json()["total"] == 1

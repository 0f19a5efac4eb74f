"""Self-registration tells nobody who is registered where, and a known phone gets no login without an organiser's
approval: the answer is the same for every phone, the real outcome goes to the phone's owner or the organisers."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from servicebank.accounts.models import Role, User
from servicebank.audit.models import AuditEntry
from servicebank.kernel import events
from servicebank.kernel.events import OutboxEvent
from servicebank.volunteers.models import LoginClaim, Volunteer
from servicebank.volunteers.registration import SUBMITTED
from tests.factories import PASSWORD, make_org, make_person, make_volunteer

SECRET = "claimant-pass-9"


def _form(community_id: int, phone: str, name: str = "李桂兰") -> dict:
    return {"community_id": community_id, "real_name": name, "phone": phone, "password": SECRET}


async def _login(client, phone: str, password: str = SECRET) -> int:  # noqa: ANN001
    return (await client.post("/api/auth/login", json={"login": phone, "password": password})).status_code


async def test_known_and_unknown_phones_get_the_same_answer(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    with_login = await make_person(session, Role.VOLUNTEER, community=org.other)
    here_without_login = await make_volunteer(session, org.community)
    elsewhere_without_login = await make_volunteer(session, org.other)
    phones = ["13800000001", with_login.volunteer.phone, here_without_login.phone, elsewhere_without_login.phone]
    answers = [await client.post("/api/volunteers/register", json=_form(org.community.id, p)) for p in phones]
    assert [r.status_code for r in answers] == [202] * 4
    assert [r.json() for r in answers] == [{"status": "submitted", "message": SUBMITTED}] * 4
    assert len({r.headers.get("content-length") for r in answers}) == 1
    # Only the new phone logs in at once; the others wait for proof.
    assert [await _login(client, p) for p in phones] == [200, 401, 401, 401]
    assert await _login(client, with_login.volunteer.phone, PASSWORD) == 200, "the owner's login is untouched"


async def test_the_owner_of_a_known_login_hears_about_the_attempt(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    owner = await make_person(session, Role.VOLUNTEER, community=org.other)
    await client.post("/api/volunteers/register", json=_form(org.community.id, owner.volunteer.phone))
    await events.drain(db)
    inbox = (await client.get("/api/notifications", headers=owner.headers)).json()["items"]
    assert [n["title"] for n in inbox] == ["有人用您的手机号申请注册志愿者"]
    assert org.community.name in inbox[0]["body"]


async def test_claiming_an_organiser_registered_record_waits_for_approval(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    grandma = await make_volunteer(session, org.community, name="王秀英", phone="13700001111")
    await client.post("/api/volunteers/register", json=_form(org.community.id, grandma.phone, name="王秀英"))
    await client.post("/api/volunteers/register", json=_form(org.community.id, grandma.phone, name="别人"))
    assert await _login(client, grandma.phone) == 401, "no login before an organiser checked"
    await events.drain(db)
    told = (await client.get("/api/notifications", headers=organiser.headers)).json()["items"]
    assert told and told[0]["title"] == "有志愿者账号认领申请待审核"
    listed = await client.get(f"/api/communities/{org.community.id}/login-claims", headers=organiser.headers)
    claims = listed.json()
    assert [(c["volunteer_id"], c["volunteer_name"], c["claimed_name"], c["status"]) for c in claims] == [
        (grandma.id, "王秀英", "王秀英", "pending"), (grandma.id, "王秀英", "别人", "pending")]
    assert "password_hash" not in listed.text
    approved = await client.post(f"/api/login-claims/{claims[0]['id']}/approve", headers=organiser.headers)
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
    assert await _login(client, grandma.phone) == 200
    async with db.session_scope() as s:
        user = await s.scalar(select(User).where(User.phone == grandma.phone))
        assert user.volunteer_id == grandma.id
        assert await s.scalar(select(func.count(Volunteer.id))) == 1, "no second record was made"
        rows = (await s.scalars(select(LoginClaim).order_by(LoginClaim.id))).all()
        assert [(c.status, c.password_hash) for c in rows] == [("approved", None), ("declined", None)]
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "login_claim")
                                   .order_by(AuditEntry.id))).all()
        assert actions == ["volunteer.login_claim", "volunteer.login_claim", "volunteer.login_claim_approve"]
        assert all("password_hash" not in (a.after or {}) for a in
                   (await s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "login_claim"))).all())
    late = await client.post(f"/api/login-claims/{claims[1]['id']}/approve", headers=organiser.headers)
    assert (late.status_code, late.json()["code"]) == (409, "login_claim_decided")


async def test_a_declined_claim_gives_no_login(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    record = await make_volunteer(session, org.community)
    await client.post("/api/volunteers/register", json=_form(org.community.id, record.phone))
    claim = (await client.get(f"/api/communities/{org.community.id}/login-claims",
                              headers=organiser.headers)).json()[0]
    declined = await client.post(f"/api/login-claims/{claim['id']}/decline", headers=organiser.headers)
    assert declined.json()["status"] == "declined"
    assert await _login(client, record.phone) == 401


async def test_a_phone_of_another_community_cannot_be_squatted(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    owner_record = await make_volunteer(session, org.other, name="张大爷")
    await client.post("/api/volunteers/register", json=_form(org.community.id, owner_record.phone, name="冒名"))
    assert await _login(client, owner_record.phone) == 401, "the squatter gets no login"
    async with db.session_scope() as s:
        squat = await s.scalar(select(Volunteer).where(Volunteer.community_id == org.community.id))
        assert squat.status == "pending" and await s.scalar(select(func.count(User.id)).where(
            User.phone == owner_record.phone)) == 0
    # The real owner claims their record in their own community; its organiser approves.
    await client.post("/api/volunteers/register", json=_form(org.other.id, owner_record.phone, name="张大爷"))
    theirs = await make_person(session, Role.ORGANISER, community=org.other)
    claim = (await client.get(f"/api/communities/{org.other.id}/login-claims", headers=theirs.headers)).json()
    assert [c["volunteer_id"] for c in claim] == [owner_record.id]
    assert (await client.post(f"/api/login-claims/{claim[0]['id']}/approve", headers=theirs.headers)
            ).status_code == 200
    assert await _login(client, owner_record.phone) == 200
    # The squatter's claim can no longer win: the phone has its login.
    here = await make_person(session, Role.ORGANISER, community=org.community)
    other_claim = (await client.get(f"/api/communities/{org.community.id}/login-claims", headers=here.headers)).json()
    stale = await client.post(f"/api/login-claims/{other_claim[0]['id']}/approve", headers=here.headers)
    assert (stale.status_code, stale.json()["code"]) == (409, "login_claim_outdated")


async def test_organisers_of_other_communities_cannot_see_or_decide_claims(client, session,
                                                                           db) -> None:  # noqa: ANN001
    org = await make_org(session)
    record = await make_volunteer(session, org.community)
    await client.post("/api/volunteers/register", json=_form(org.community.id, record.phone))
    async with db.session_scope() as s:
        claim_id = await s.scalar(select(LoginClaim.id))
    outsider = await make_person(session, Role.ORGANISER, community=org.other)
    listed = await client.get(f"/api/communities/{org.community.id}/login-claims", headers=outsider.headers)
    assert (listed.status_code, listed.json()["code"]) == (404, "community_not_found")
    for action in ("approve", "decline"):
        response = await client.post(f"/api/login-claims/{claim_id}/{action}", headers=outsider.headers)
        assert (response.status_code, response.json()["code"]) == (404, "login_claim_not_found")
    assert await _login(client, record.phone) == 401


async def test_sign_ups_from_one_address_are_limited(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    statuses = [(await client.post("/api/volunteers/register", json=_form(org.community.id, f"1380000{n:04d}"))
                 ).status_code for n in range(11)]
    assert statuses == [202] * 10 + [429]


@pytest.mark.postgres_only
async def test_the_same_new_phone_at_once_makes_one_record_and_one_login(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    answers = await asyncio.gather(*[client.post("/api/volunteers/register",
                                                 json=_form(org.community.id, "13855556666", name=f"同时{n}"))
                                     for n in range(5)])
    assert [r.status_code for r in answers] == [202] * 5, [r.text for r in answers]
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(Volunteer.id))) == 1
        assert await s.scalar(select(func.count(User.id)).where(User.phone == "13855556666")) == 1
        types = sorted((await s.scalars(select(OutboxEvent.type))).all())
        assert types == ["volunteer.registered"] + ["volunteer.registration_attempted"] * 4, \
            "the later ones only tell the new login's inbox"
    assert await _login(client, "13855556666") == 200

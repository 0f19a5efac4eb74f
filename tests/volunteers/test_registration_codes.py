"""Where texts reach people (the gateway provider), a sign-up proves its phone with a texted code; a record of the
community with that phone and no login then gets its login at once, without waiting for an organiser."""

from __future__ import annotations

from sqlalchemy import func, select

from servicebank.accounts.models import User
from servicebank.notifications.sms_sender import send_due_sms
from servicebank.volunteers.models import LoginClaim
from tests.factories import make_org, make_volunteer
from tests.notifications.fake_gateway import FakeGateway, gateway, settings  # noqa: F401 - fixtures

SECRET = "claimant-pass-9"


def _form(community_id: int, phone: str, **more: str) -> dict:
    return {"community_id": community_id, "real_name": "王秀英", "phone": phone, "password": SECRET, **more}


async def _code(client, db, gateway, phone: str) -> str:  # noqa: ANN001
    r = await client.post("/api/auth/codes", json={"phone": phone, "purpose": "register"})
    assert r.status_code == 202, r.text
    await send_due_sms(db, db.settings)
    assert gateway.received[-1]["phone"] == phone
    return gateway.received[-1]["params"]["code"]


async def test_a_sign_up_needs_the_code_texted_to_its_phone(client, session, db, gateway) -> None:  # noqa: ANN001
    org = await make_org(session)
    missing = await client.post("/api/volunteers/register", json=_form(org.community.id, "13800000001"))
    assert missing.status_code == 400 and missing.json()["code"] == "otp_wrong"
    code = await _code(client, db, gateway, "13800000001")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = await client.post("/api/volunteers/register", json=_form(org.community.id, "13800000001", sms_code=wrong))
    assert r.status_code == 400 and r.json()["code"] == "otp_wrong" and r.json()["attempts_left"] == 4
    r = await client.post("/api/volunteers/register", json=_form(org.community.id, "13800000001", sms_code=code))
    assert r.status_code == 202, r.text
    login = await client.post("/api/auth/login", json={"login": "13800000001", "password": SECRET})
    assert login.status_code == 200


async def test_a_proved_phone_claims_its_record_at_once(client, session, db, gateway) -> None:  # noqa: ANN001
    org = await make_org(session)
    grandma = await make_volunteer(session, org.community, name="王秀英", phone="13700001111")
    await session.commit()
    code = await _code(client, db, gateway, grandma.phone)
    r = await client.post("/api/volunteers/register", json=_form(org.community.id, grandma.phone, sms_code=code))
    assert r.status_code == 202, r.text
    login = await client.post("/api/auth/login", json={"login": grandma.phone, "password": SECRET})
    assert login.status_code == 200 and login.json()["me"]["volunteer_id"] == grandma.id
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count(LoginClaim.id))) == 0
        assert await s.scalar(select(func.count(User.id)).where(User.volunteer_id == grandma.id)) == 1

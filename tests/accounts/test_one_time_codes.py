"""One-time codes by text, end to end through the fake gateway on 127.0.0.1: asked for, texted as a template,
used once to log in; wrong, expired, used and too many tries refused with stable codes; limited per phone and
per address; only an HMAC kept, and the text's copy blanked once the gateway has it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from servicebank.accounts.models import OneTimeCode
from servicebank.notifications.models import ChannelDelivery
from servicebank.notifications.sms_sender import send_due_sms
from servicebank.sms_settings import CODE_KIND
from tests.activities.conftest import world  # noqa: F401
from tests.notifications.fake_gateway import FakeGateway, gateway, settings  # noqa: F401 - fixtures


async def texted_code(client, db, gateway, phone: str, purpose: str = "login") -> str:  # noqa: ANN001
    """Ask for a code, let the sender run, and read the code the gateway received."""
    before = len(gateway.received)
    r = await client.post("/api/auth/codes", json={"phone": phone, "purpose": purpose})
    assert r.status_code == 202, r.text
    assert r.json() == {"sent": True, "expires_in_seconds": 300}
    await send_due_sms(db, db.settings)
    assert len(gateway.received) == before + 1 and gateway.refused_signatures == 0
    sent = gateway.received[-1]
    assert sent["phone"] == phone and set(sent["params"]) == {"code", "minutes"}
    return sent["params"]["code"]


async def test_an_elderly_volunteer_logs_in_with_a_texted_code(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    phone = world.volunteer.user.phone
    code = await texted_code(client, db, gateway, phone)
    assert len(code) == 6 and code.isdigit()
    assert gateway.received[-1]["template_id"] == db.settings.sms.template_for(CODE_KIND)
    r = await client.post("/api/auth/code-login", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert "sb_session" in r.cookies
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["volunteer_id"] == world.volunteer.volunteer.id
    again = await client.post("/api/auth/code-login", json={"phone": phone, "code": code})
    assert again.status_code == 400 and again.json()["code"] == "otp_used"
    async with db.session_scope() as s:
        row = await s.scalar(select(OneTimeCode))
        delivery = await s.scalar(select(ChannelDelivery).where(ChannelDelivery.kind == CODE_KIND))
    # Neither the code's row nor its text keep the code once it was sent.
    assert code not in row.code_hash and len(row.code_hash) == 64 and row.used_at is not None
    assert delivery.params == {"code": "******"} and delivery.status == "sent"


async def test_wrong_codes_count_and_five_end_the_code(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    phone = world.volunteer.user.phone
    code = await texted_code(client, db, gateway, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        r = await client.post("/api/auth/code-login", json={"phone": phone, "code": wrong})
        assert r.status_code == 400 and r.json()["code"] == "otp_wrong" and r.json()["attempts_left"] == left
    r = await client.post("/api/auth/code-login", json={"phone": phone, "code": code})
    assert r.status_code == 429 and r.json()["code"] == "otp_too_many_attempts"


async def test_an_expired_code_is_refused(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    phone = world.volunteer.user.phone
    code = await texted_code(client, db, gateway, phone)
    async with db.session_scope() as s:
        await s.execute(update(OneTimeCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    r = await client.post("/api/auth/code-login", json={"phone": phone, "code": code})
    assert r.status_code == 400 and r.json()["code"] == "otp_expired"


async def test_a_phone_without_an_account_gets_the_same_answer_and_no_text(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    r = await client.post("/api/auth/codes", json={"phone": "13700000001", "purpose": "login"})
    assert r.status_code == 202 and r.json() == {"sent": True, "expires_in_seconds": 300}
    await send_due_sms(db, db.settings)
    assert gateway.received == []
    r = await client.post("/api/auth/code-login", json={"phone": "13700000001", "code": "123456"})
    assert r.status_code == 400 and r.json()["code"] == "otp_wrong"
    # Counted all the same: the limit is no way to learn whether the phone has an account.
    r = await client.post("/api/auth/codes", json={"phone": "13700000001", "purpose": "login"})
    assert r.status_code == 429 and r.json()["code"] == "otp_rate_limited"


async def test_codes_are_limited_per_phone_and_per_address(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    phone = world.volunteer.user.phone
    await texted_code(client, db, gateway, phone)
    r = await client.post("/api/auth/codes", json={"phone": phone, "purpose": "login"})
    assert r.status_code == 429 and r.json()["code"] == "otp_rate_limited" and int(r.headers["Retry-After"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json")
    # Other phones from the same address: twenty an hour, then refused whatever the phone.
    answers = [(await client.post("/api/auth/codes", json={"phone": f"1370000{n:04d}", "purpose": "register"})
                ).status_code for n in range(20)]
    assert answers == [202] * 19 + [429]
    r = await client.post("/api/auth/codes", json={"phone": "12345", "purpose": "login"})
    assert r.status_code == 422 and r.json()["code"] == "otp_needs_mobile"
    r = await client.post("/api/auth/codes", json={"phone": "13700000000", "purpose": "spend"})
    assert r.status_code == 422 and r.json()["code"] == "otp_purpose_unknown"



async def test_a_code_not_sent_in_time_is_never_sent(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    gateway.failures = [503]
    r = await client.post("/api/auth/codes", json={"phone": world.volunteer.user.phone, "purpose": "login"})
    assert r.status_code == 202
    assert await send_due_sms(db, db.settings) == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    assert await send_due_sms(db, db.settings, now=later) == 0
    async with db.session_scope() as s:
        delivery = await s.scalar(select(ChannelDelivery).where(ChannelDelivery.kind == CODE_KIND))
    assert (delivery.status, delivery.last_error, delivery.params) == ("failed", "expired", {"code": "******"})
    assert gateway.received == []


async def test_old_codes_are_pruned_a_day_after_they_expired(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    import servicebank.accounts.tasks  # noqa: F401 - registers the hourly job
    from servicebank.accounts.one_time_codes import prune_codes
    from servicebank.workers.schedule import JOBS

    assert JOBS["accounts-prune-one-time-codes"].actor_name == "accounts.prune_one_time_codes"
    phone = world.volunteer.user.phone
    code = await texted_code(client, db, gateway, phone)
    now = dt.datetime.now(dt.UTC)
    async with db.session_scope() as s:
        assert await prune_codes(s) == 0
        # Within the day after it expired, a late try is still told the code expired.
        assert await prune_codes(s, now=now + dt.timedelta(hours=23)) == 0
    async with db.session_scope() as s:
        await s.execute(update(OneTimeCode).values(expires_at=now - dt.timedelta(hours=23)))
    r = await client.post("/api/auth/code-login", json={"phone": phone, "code": code})
    assert r.status_code == 400 and r.json()["code"] == "otp_expired"
    async with db.session_scope() as s:
        s.add(OneTimeCode(purpose="login", phone="13900000009", code_hash="0" * 64, created_at=now,
                          expires_at=now + dt.timedelta(minutes=5)))
    async with db.session_scope() as s:
        assert await prune_codes(s, now=now + dt.timedelta(hours=2)) == 1
        assert await prune_codes(s, now=now + dt.timedelta(hours=2)) == 0
        assert (await s.scalars(select(OneTimeCode.phone))).all() == ["13900000009"]


async def test_many_asks_at_once_for_one_phone_send_one_text(client, world, db, gateway) -> None:  # noqa: ANN001, F811
    """Every code is a paid text: ten asks for the same phone in flight together (a double tap, a script) get one
    code and nine refusals, with the shared limiter in Redis on PostgreSQL runs and in memory on SQLite."""
    import asyncio

    phone = world.volunteer.user.phone
    answers = await asyncio.gather(*(client.post("/api/auth/codes", json={"phone": phone, "purpose": "login"})
                                     for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [202] + [429] * 9
    assert {a.json()["code"] for a in answers if a.status_code == 429} == {"otp_rate_limited"}
    await send_due_sms(db, db.settings)
    assert [sent["phone"] for sent in gateway.received] == [phone]
    async with db.session_scope() as s:
        assert len((await s.scalars(select(OneTimeCode).where(OneTimeCode.phone == phone))).all()) == 1

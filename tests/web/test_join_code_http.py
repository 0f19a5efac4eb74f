"""The sign-up page where texts reach people: "获取验证码" texts a code through the fake gateway, the form keeps
what was typed, and the sign-up goes through only with the code (a wrong one is told plainly in Chinese)."""

from __future__ import annotations

import pytest

from servicebank.notifications.sms_sender import send_due_sms
from tests.factories import make_org
from tests.notifications.fake_gateway import gateway, settings  # noqa: F401 - fixtures
from tests.web.pages import post, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_signing_up_on_the_page_with_a_texted_code(client, session, db, gateway) -> None:  # noqa: ANN001, F811
    org = await make_org(session)
    url = f"/public/communities/{org.community.id}/join/"
    form = (await client.get(url)).text
    assert "获取验证码" in form and 'name="sms_code"' in form
    sent = await post(client, url, {"action": "send_code", "real_name": "李桂兰", "phone": "13800000007"})
    assert sent.status_code == 200 and "6 位验证码正在发到这个手机号" in text_of(sent.text)
    assert 'value="李桂兰"' in sent.text
    await send_due_sms(db, db.settings)
    code = gateway.received[-1]["params"]["code"]
    fields = {"real_name": "李桂兰", "phone": "13800000007", "password": "guilan-pass-1"}
    wrong = await post(client, url, {**fields, "sms_code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400 and "验证码不对" in text_of(wrong.text)
    done = await post(client, url, {**fields, "sms_code": code})
    assert done.status_code == 200 and 'id="join-done"' in done.text
    login = await client.post("/api/auth/login", json={"login": "13800000007", "password": "guilan-pass-1"})
    assert login.status_code == 200

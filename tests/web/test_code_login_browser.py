"""On a phone (390x844, zh-CN) an elderly volunteer logs in without a password: the login page's link, her phone
number, the code the fake gateway (a real HTTP server on 127.0.0.1) received from the server's worker, then her
home page; a wrong code first is told plainly in Chinese."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from servicebank.sms_settings import CODE_KIND, TEMPLATE_KINDS
from tests.notifications.fake_gateway import KEY, SECRET, FakeGateway, running_gateway
from tests.web.conftest import new_phone, running_server

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    with running_gateway() as found:
        yield found


@pytest.fixture(scope="module")
def sms_server(tmp_path_factory: pytest.TempPathFactory, gateway: FakeGateway) -> Iterator[dict]:
    """A server of its own that texts through the fake gateway."""
    templates = ",".join(f"{kind}={'T9' if kind == CODE_KIND else f'T{n}'}" for n, kind in enumerate(TEMPLATE_KINDS))
    with running_server(tmp_path_factory.mktemp("sms-web-server"), SERVICEBANK_SMS_PROVIDER="gateway",
                        SERVICEBANK_SMS_GATEWAY_URL=gateway.url, SERVICEBANK_SMS_GATEWAY_KEY=KEY,
                        SERVICEBANK_SMS_GATEWAY_SECRET=SECRET, SERVICEBANK_SMS_TEMPLATES=templates,
                        SERVICEBANK_SMS_QUIET_HOURS="off") as world:
        yield world


def _texted_code(gateway: FakeGateway, phone: str, count_before: int) -> str:
    deadline = time.monotonic() + 40  # sent right after the commit; the worker's 15 s round at the latest
    while time.monotonic() < deadline:
        texts = [m for m in gateway.received[count_before:] if m["phone"] == phone]
        if texts:
            assert texts[-1]["template_id"] == "T9"
            return texts[-1]["params"]["code"]
        time.sleep(0.2)
    raise AssertionError("no code reached the gateway")


def test_grandma_logs_in_with_a_texted_code(browser, sms_server, gateway, shots) -> None:  # noqa: ANN001
    phone = sms_server["volunteer"]
    context, page = new_phone(browser, sms_server["base"], viewport={"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_role("link", name="用短信验证码登录（不用密码）").click()
    page.fill("#code-phone", phone)
    before = len(gateway.received)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-sent")).to_contain_text("5 分钟内有效")
    code = _texted_code(gateway, phone, before)
    page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#code-error")).to_contain_text("验证码不对")
    page.screenshot(path=shots / "code-login-wrong.png", full_page=True)
    page.fill("#code", code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert sms_server["volunteer_name"] in page.inner_text("body")
    page.screenshot(path=shots / "code-login-home.png", full_page=True)
    context.close()

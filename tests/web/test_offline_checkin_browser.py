"""The installable app on a phone (390x844, zh-CN) without signal: the service worker is installed, the manifest
and icons are there; a check-in pressed without signal is kept and the page says so in Chinese; when the signal
returns it is sent by itself, and the server records it once (sent again, it is still one check-in)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from playwright.sync_api import expect

from servicebank.checkins.tokens import issue_kiosk_token
from tests.web.conftest import logged_in
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]
PHONE = {"width": 390, "height": 844}


def _check_ins(world: dict) -> int:
    with sqlite3.connect(world["log"].parent / "web.db") as db:
        return db.execute("SELECT count(*) FROM attendance WHERE activity_id = ? AND volunteer_id = ?",
                          (world["offline_activity_id"], world["volunteer_id"])).fetchone()[0]


def test_a_check_in_without_signal_is_sent_when_the_signal_returns(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = logged_in(browser, web_server, web_server["volunteer"], viewport=PHONE)
    manifest = page.request.get("/manifest.webmanifest").json()
    assert manifest["scope"] == "/" and manifest["display"] == "standalone" and manifest["name"].startswith("志愿")
    for icon in manifest["icons"]:
        response = page.request.get(icon["src"])
        assert response.ok and response.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # The worker controls every page once installed (it claims the open ones).
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith("/sw.js")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    token = issue_kiosk_token(secret_key=SECRET_KEY, rotation_seconds=30, purpose="check-in",
                              activity_id=web_server["offline_activity_id"], now=dt.datetime.now(dt.UTC)).token
    page.goto(f"/c/{token}")
    context.set_offline(True)
    page.click("form button.huge")
    expect(page.locator("#pending-scans")).to_contain_text("签到已保存在这台手机上")
    page.screenshot(path=shots / "offline-checkin-kept.png", full_page=True)
    assert _check_ins(web_server) == 0

    # Without signal, other pages come from the worker: the offline page, in Chinese.
    other = context.new_page()
    other.goto("/activities")
    expect(other.locator("h1")).to_have_text("没有网络")
    other.close()

    context.set_offline(False)
    expect(page.locator("#pending-scans")).to_contain_text("信号恢复了，已为您补交签到", timeout=30_000)
    expect(page.locator("#main .result")).to_be_visible()
    page.screenshot(path=shots / "offline-checkin-sent.png", full_page=True)
    assert _check_ins(web_server) == 1
    assert page.evaluate("localStorage.getItem('sb.pending-scans')") == "[]"

    # The same scan sent again (a second phone tab, a retry after a lost answer): still one check-in.
    page.goto(f"/c/{token}")
    page.click("form button.huge")
    # The answer's words in place (the script asks for them as JSON): the menu and the name stay from the page.
    expect(page.locator("#main .result")).to_contain_text("已经签到")
    expect(page).to_have_title("签到 · 志愿服务银行")
    expect(page.locator("#main h1")).to_have_text("签到")
    expect(page.locator("#main p").nth(2)).to_contain_text("时间: ")
    expect(page.locator("#main a.button")).to_have_attribute("href", "/me")
    expect(page.locator("#main a.button")).to_have_text("回到我的主页")
    expect(page.locator("header nav")).to_contain_text("我的")
    expect(page.locator("#main main")).to_have_count(0)
    page.screenshot(path=shots / "offline-checkin-again.png", full_page=True)
    assert _check_ins(web_server) == 1
    context.close()

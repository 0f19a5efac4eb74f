"""On a phone (375 px, zh-CN) the volunteer turns push messages on from my page: the service worker registers, the
browser's subscription reaches the server, and turning it off again tells the server too.

Chromium here has no vendor push service to subscribe with, so the test stands in for `pushManager.subscribe` with
a subscription of keys it made; the server-side path (encrypt, sign, send, decrypt) is tests/notifications/
test_push.py against a push service on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.notifications.fake_push_service import Browser
from tests.web.conftest import logged_in

pytestmark = [pytest.mark.browser]

STAND_IN = """
(subscription => {
  // Chromium here refuses the real one ("no Push API in incognito mode").
  let current = null;
  const fake = {endpoint: subscription.endpoint, toJSON: () => subscription,
                unsubscribe: () => { current = null; window.__unsubscribed = true; return Promise.resolve(true); }};
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = function (options) {
    window.__serverKeyLength = options.applicationServerKey.length;
    current = fake;
    return Promise.resolve(fake);
  };
})(%s);
"""


def test_volunteer_turns_push_on_and_off_on_a_phone(browser, web_server, shots) -> None:  # noqa: ANN001
    stand_in = Browser("https://push.example.invalid/send/abc")
    context, page = logged_in(browser, web_server, web_server["volunteer"])
    context.grant_permissions(["notifications"])
    posted: list[dict] = []
    page.on("request", lambda r: posted.append({"url": r.url, "body": r.post_data})
            if r.method == "POST" and "/api/notifications/push/" in r.url else None)
    page.goto("/me#notices")
    assert "短信通知" in page.inner_text("#notices") and "接收短信" in page.inner_text("#notices-form")
    on = page.get_by_role("button", name="在这台手机上接收推送")
    on.wait_for()
    assert "这台手机没有打开推送通知" in page.inner_text("#push-state")
    page.screenshot(path=shots / "vol-phone-notices.png", full_page=True)
    # Put in after the page loaded: Playwright's init scripts do not reach this page (its CSP), page.evaluate does.
    page.evaluate("() => { %s }" % (STAND_IN % json.dumps(stand_in.subscription())))
    on.click()
    expect(page.locator("#push-state")).to_contain_text("这台手机会收到推送通知")
    assert page.evaluate("window.__serverKeyLength") == 65  # the install's VAPID public key, uncompressed P-256
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith("/sw.js")
    assert json.loads(posted[0]["body"])["keys"] == stand_in.subscription()["keys"]
    # With a browser taking push, the notices section has a push column, per kind.
    page.reload()
    reminder = page.locator('input[name="push:activity.reminder"]')
    expect(reminder).to_be_checked()
    page.locator("#other-notices summary").click()
    expect(page.locator('input[name="push:certificate.issued"]')).to_be_visible()
    page.screenshot(path=shots / "vol-phone-notices-push.png", full_page=True)
    # The reload dropped the stand-in: put it back and turn push on again (the server keeps one subscription).
    page.evaluate("() => { %s }" % (STAND_IN % json.dumps(stand_in.subscription())))
    page.get_by_role("button", name="在这台手机上接收推送").click()
    expect(page.locator("#push-state")).to_contain_text("这台手机会收到推送通知")

    page.get_by_role("button", name="这台手机不再接收推送").click()
    expect(page.get_by_role("button", name="在这台手机上接收推送")).to_be_visible()
    assert page.evaluate("window.__unsubscribed") is True
    assert posted[-1]["url"].endswith("/api/notifications/push/unsubscribe")
    context.close()

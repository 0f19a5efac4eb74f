"""End to end in chromium: organiser → volunteer → kiosk → approval → points → store → honour list."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest

from tests.web.conftest import new_phone

pytestmark = [pytest.mark.browser]
TZ = ZoneInfo("Asia/Shanghai")
TITLE = "楼道清洁日"


def local(value: dt.datetime) -> str:
    return value.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def log_in(page, login: str, password: str) -> None:  # noqa: ANN001
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit].big")


def reload_until(page, selector: str, predicate, tries: int = 40) -> str:  # noqa: ANN001
    """Reload until the event handlers (embedded worker) have caught up; bounded."""
    text = ""
    for _ in range(tries):
        text = page.inner_text(selector)
        if predicate(text):
            return text
        time.sleep(0.5)
        page.reload()
    return text


def test_volunteer_journey_from_activity_to_honour_list(browser, web_server, shots) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, password = web_server["base"], web_server["password"]
    org_ctx, org = new_phone(browser, base)
    vol_ctx, vol = new_phone(browser, base)

    # The organiser creates and publishes an activity starting in a few minutes.
    org.goto("/login")
    log_in(org, web_server["organiser"], password)
    assert org.url.endswith("/manage")
    org.screenshot(path=shots / "01-dashboard.png", full_page=True)
    org.click("a[href^='/manage/activities/new']")
    now = dt.datetime.now(dt.UTC)
    org.fill("#title", TITLE)
    org.fill("#starts_at", local(now + dt.timedelta(minutes=10)))
    org.fill("#ends_at", local(now + dt.timedelta(hours=3)))
    org.fill("#address", "3号楼")
    org.check("input[name=publish]")
    org.screenshot(path=shots / "02-new-activity.png", full_page=True)
    org.click("button[type=submit].big")
    assert re.search(r"/manage/activities/\d+$", org.url), org.content()[:2000]
    activity_url = org.url
    assert org.inner_text("#activity-status") == "已发布"

    # The volunteer signs up.
    vol.goto("/login")
    log_in(vol, web_server["volunteer"], password)
    assert vol.url.endswith("/me")
    vol.goto("/activities")
    item = vol.locator("#activities li", has_text=TITLE)
    vol.screenshot(path=shots / "03-browse.png", full_page=True)
    item.locator("button").click()
    assert "报名成功" in vol.inner_text(".flash")
    assert TITLE in vol.inner_text("#my-signups")
    vol.screenshot(path=shots / "04-signed-up.png", full_page=True)

    # The kiosk shows the code; a phone that is not logged in opens it, logs in and checks in.
    org.goto(activity_url + "/kiosk")
    code_url = org.get_attribute("#kiosk-url", "href")
    assert code_url and "/c/i." in code_url
    assert org.inner_text("#count-in") == "0"
    org.screenshot(path=shots / "05-kiosk.png", full_page=True)
    scan_ctx, scan = new_phone(browser, base)
    scan.goto(code_url)
    assert "/login?next=" in scan.url
    log_in(scan, web_server["volunteer"], password)
    assert "/c/i." in scan.url
    scan.screenshot(path=shots / "06-scan.png", full_page=True)
    scan.click("button.huge")
    assert "签到成功" in scan.inner_text(".result")
    scan.screenshot(path=shots / "07-checked-in.png", full_page=True)
    # kiosk.js polls the live count; the page itself must show the new arrival without a reload.
    expect(org.locator("#count-in")).to_have_text("1", timeout=20_000)

    # Check out with the kiosk's check-out code.
    org.goto(activity_url + "/kiosk?purpose=check-out")
    scan.goto(org.get_attribute("#kiosk-url", "href"))
    scan.click("button.huge")
    assert "签退成功" in scan.inner_text(".result")

    # The organiser sets the hour that was served and approves it.
    org.goto(activity_url)
    record = org.locator("#attendance li", has_text=web_server["volunteer_name"])
    record.locator("summary").click()
    now = dt.datetime.now(dt.UTC)
    record.locator("input[name=checked_in_at]").fill(local(now - dt.timedelta(minutes=61)))
    record.locator("input[name=checked_out_at]").fill(local(now - dt.timedelta(minutes=1)))
    record.locator("input[name=reason][required]").fill("活动提前开始")
    record.locator("button.ok", has_text="保存并通过").click()
    assert "已通过" in org.inner_text("#attendance")
    org.screenshot(path=shots / "08-approved.png", full_page=True)

    # Points appear on the volunteer's page and on the leaderboard.
    vol.goto("/me")
    points = reload_until(vol, "#my-points", lambda t: t.strip() not in ("", "0"))
    assert int(points) == 60
    assert vol.inner_text("#my-hours") == "1"
    vol.screenshot(path=shots / "09-my-points.png", full_page=True)
    public_ctx, public = new_phone(browser, base)
    public.goto(f"/leaderboard?community={web_server['community_id']}&period=month")
    assert "王*英" in public.inner_text("#leaderboard")
    public.screenshot(path=shots / "10-leaderboard.png", full_page=True)

    # The clerk redeems a bag of rice with the volunteer's code.
    vol.goto("/me/code")
    code = vol.inner_text("#code-text")  # read aloud, grouped: "123 456"
    assert len(code) == 7 and code[3] == " " and code.replace(" ", "").isdigit()
    vol.screenshot(path=shots / "10a-my-code.png", full_page=True)
    clerk_ctx, clerk = new_phone(browser, base)
    clerk.goto("/login")
    log_in(clerk, web_server["clerk"], password)
    assert clerk.url.endswith(f"/till/{web_server['store_id']}")
    clerk.fill("#code", code)
    clerk.click("button.big")
    assert clerk.inner_text("#balance") == "60"
    clerk.locator("input[type=number]").first.fill("1")
    clerk.screenshot(path=shots / "11-till.png", full_page=True)
    clerk.click("button.big")
    assert "10" in clerk.inner_text("#receipt") and "大米" in clerk.inner_text("#receipt")
    clerk.screenshot(path=shots / "12-receipt.png", full_page=True)
    vol.goto("/me")
    assert vol.inner_text("#my-points") == "50"

    # Last month's honour list (a month's list is made once the month has ended) names its volunteers.
    org.goto(f"/manage/honours?community={web_server['community_id']}")
    org.click("form[action='/manage/honours/generate'] button")
    assert web_server["honour_name"] in org.inner_text("#honour-lists")
    org.click("#honour-lists button.ok")
    public.goto(f"/public/communities/{web_server['community_id']}/honours")
    assert web_server["honour_public_name"] in public.inner_text("#honour-volunteers")
    public.screenshot(path=shots / "13-honours.png", full_page=True)
    for context in (org_ctx, vol_ctx, scan_ctx, public_ctx, clerk_ctx):
        context.close()

"""Issue 17: an elderly volunteer scans the kiosk code, then needs minutes to log in on her phone (375 px,
zh-CN). The scan is remembered in her browser, so the check-in goes through although the kiosk code rotated
meanwhile, and it carries the time of the scan. Too late, or in another browser, the old code is refused.

The server's scan pages read their clock through tests/web/serve.py's install_clock: the tests move it
forward instead of waiting for the code to rotate."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from servicebank.checkins.tokens import CHECK_IN, issue_kiosk_token
from tests.web.conftest import new_phone
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]

ROTATION = 30  # the server's SERVICEBANK_QR_ROTATION_SECONDS (the default)
EXPIRED = "这个码已经过期，请重新扫屏幕上的码。"


@pytest.fixture
def clock(web_server) -> Iterator[object]:  # noqa: ANN001
    """Move the server's scan clock forward by some seconds; put it back afterwards."""
    path = web_server["clock_file"]

    def move(seconds: float) -> None:
        with open(path, "w") as f:
            f.write(str(seconds))

    yield move
    if os.path.exists(path):
        os.remove(path)


def _kiosk_token(web_server) -> str:  # noqa: ANN001
    return issue_kiosk_token(secret_key=SECRET_KEY, rotation_seconds=ROTATION, purpose=CHECK_IN,
                             activity_id=web_server["taiji_activity_id"], now=dt.datetime.now(dt.UTC)).token


def _log_in(page, web_server, login: str) -> None:  # noqa: ANN001
    page.fill("#login", login)
    page.fill("#password", web_server["password"])
    page.click("button[type=submit].big")


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_check_in_after_a_slow_login_succeeds_at_the_time_of_the_scan(browser, web_server, shots,  # noqa: ANN001
                                                                    clock) -> None:
    token = _kiosk_token(web_server)
    context, page = new_phone(browser, web_server["base"])
    before = dt.datetime.now(dt.UTC)
    page.goto(f"/c/{token}")
    after = dt.datetime.now(dt.UTC)
    assert "/login" in page.url
    page.screenshot(path=shots / "scan-login-01-login.png", full_page=True)

    clock(4 * ROTATION)  # she needs two minutes to log in: the kiosk has shown four new codes since
    _log_in(page, web_server, web_server["slow_logins"][0])
    assert f"/c/{token}" in page.url
    assert "晨练太极" in page.inner_text("main") and EXPIRED not in page.inner_text("main")
    page.screenshot(path=shots / "scan-login-02-button.png", full_page=True)

    page.get_by_role("button", name="签到").click()
    assert "签到成功。" in page.inner_text(".result.ok")
    shown = page.inner_text("main")
    assert _local(before) in shown or _local(after) in shown, shown  # the scan's time, not the login's
    assert _local(after + dt.timedelta(seconds=4 * ROTATION)) not in shown
    page.screenshot(path=shots / "scan-login-03-checked-in.png", full_page=True)
    context.close()


def test_the_old_code_is_refused_too_late_or_in_another_browser(browser, web_server, shots,  # noqa: ANN001
                                                               clock) -> None:
    token = _kiosk_token(web_server)
    scanner, phone = new_phone(browser, web_server["base"])
    phone.goto(f"/c/{token}")  # scanned, not logged in yet: the scan is remembered in this browser
    assert "/login" in phone.url

    # Her remembered scan copied into someone else's browser (logged in, within the time allowed) is no use.
    other, other_page = new_phone(browser, web_server["base"])
    other_page.goto("/login")
    _log_in(other_page, web_server, web_server["slow_logins"][2])
    scan_cookie = next(c for c in scanner.cookies() if c["name"] == "sb_scan")
    other.add_cookies([{k: scan_cookie[k] for k in ("name", "value", "domain", "path")}])
    clock(2 * ROTATION + 5)
    other_page.goto(f"/c/{token}")
    assert EXPIRED in other_page.inner_text(".result.bad")
    assert other_page.get_by_role("button", name="签到").count() == 0
    other.close()

    # Back in her own browser, but after the ten minutes a scan is remembered for.
    clock(11 * 60)
    _log_in(phone, web_server, web_server["slow_logins"][1])
    assert EXPIRED in phone.inner_text(".result.bad")
    assert phone.get_by_role("button", name="签到").count() == 0
    phone.screenshot(path=shots / "scan-login-04-too-late.png", full_page=True)
    csrf = next(c["value"] for c in scanner.cookies() if c["name"] == "sb_csrf")
    posted = phone.request.post(f"/c/{token}", form={"csrf_token": csrf})
    assert posted.status == 409 and EXPIRED in posted.text()
    scanner.close()

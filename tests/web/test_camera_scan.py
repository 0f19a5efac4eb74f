"""The in-page camera scanner (static/scan.js) in chromium with a fake camera that films a QR code: a team leader
代签s an elderly volunteer in and out by her printed card, a clerk takes a redemption code at the till; without a
camera the page says so in plain words and typing goes on.

Chromium's fake capture device plays a Y4M file in a loop, so each test launches its own chromium with the file of
its code (the shared `browser` fixture has no camera)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
import qrcode
from PIL import Image

from servicebank.checkins.tokens import issue_card_token
from servicebank.stores.codes import issue_code
from tests.web.conftest import launch, logged_in
from tests.web.serve import SECRET_KEY

pytestmark = [pytest.mark.browser]
WIDTH, HEIGHT, FRAMES = 640, 480, 10
QR_SIDE = 360  # pixels: a card held a hand's width from the phone
WAIT_MS = 20_000  # for the camera to start, jsQR to load and the page after the scan (waiting, not timing)


def camera_film(path: Path, text: str) -> Path:
    """A Y4M video of `text` as a QR code, black on white in the middle of a 640x480 picture.

    Y4M: one header line, then per frame "FRAME\\n" and the planes of 4:2:0 YUV: Y at full size, U and V at a
    quarter each (grey 128 = no colour)."""
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()  # quiet zone included
    modules = Image.frombytes("L", (len(matrix), len(matrix)),
                              bytes(0 if dark else 255 for row in matrix for dark in row))
    scale = QR_SIDE // len(matrix)  # whole pixels per module: crisp edges
    code = modules.resize((len(matrix) * scale,) * 2, Image.NEAREST)
    picture = Image.new("L", (WIDTH, HEIGHT), 255)
    picture.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    luma, chroma = picture.tobytes(), bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FRAMES):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def camera_browser(playwright_api, film: Path):  # noqa: ANN001, ANN201
    """Chromium whose camera films `film`, and that says yes when a page asks for it."""
    return launch(playwright_api, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={film}")


def attendance(world: dict, activity_id: int, volunteer_id: int) -> sqlite3.Row:
    """The record as the server stored it (the server's SQLite file)."""
    with sqlite3.connect(Path(world["log"]).parent / "web.db") as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM attendance WHERE activity_id = ? AND volunteer_id = ?",
                          (activity_id, volunteer_id)).fetchone()


def test_team_leader_scans_the_card_of_a_volunteer_without_a_phone(playwright_api, web_server, shots,
                                                                   tmp_path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    card = issue_card_token(secret_key=SECRET_KEY, volunteer_id=web_server["elder_id"],
                            card_version=web_server["elder_card_version"])
    browser = camera_browser(playwright_api, camera_film(tmp_path / "card.y4m", card))
    activity, elder = web_server["open_activity_id"], web_server["elder_id"]
    try:
        context, page = logged_in(browser, web_server, web_server["leader"])
        response = page.goto(f"/manage/activities/{activity}")
        assert "camera=(self)" in response.headers["permissions-policy"]

        # The activity page: the purpose is the scan button she presses; the read card is sent at once.
        page.click("#proxy-box summary")
        page.click("#proxy-box .scan-start[data-submit=check-in]")
        expect(page.locator(".flash")).to_contain_text("孙桂兰：签到成功", timeout=WAIT_MS)
        page.screenshot(path=shots / "scan-01-proxy-check-in.png", full_page=True)
        record = attendance(web_server, activity, elder)
        assert record["status"] == "checked_in"
        assert record["proxy_by_user_id"] == web_server["leader_user_id"]
        assert "proxy_check_in" in json.loads(record["flags"])

        # The kiosk's check-out screen: one purpose, one scan button; the kiosk's own code is not a card.
        page.goto(f"/manage/activities/{activity}/kiosk?purpose=check-out")
        page.click(".kiosk details summary")
        page.click(".kiosk .scan-start")
        expect(page.locator(".scan-frame video")).to_be_visible()
        page.screenshot(path=shots / "scan-02-kiosk-camera.png", full_page=True)
        expect(page.locator(".flash")).to_contain_text("孙桂兰：签退成功", timeout=WAIT_MS)
        record = attendance(web_server, activity, elder)
        assert record["checked_out_at"] is not None
        assert record["checkout_proxy_by_user_id"] == web_server["leader_user_id"]
        context.close()
    finally:
        browser.close()


def test_clerk_scans_a_redemption_code_at_the_till(playwright_api, web_server, shots, tmp_path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    # Ten minutes instead of the phone's two: the code must outlive a slow machine starting chromium.
    code = issue_code(secret_key=SECRET_KEY, volunteer_id=web_server["elder_id"], now=dt.datetime.now(dt.UTC),
                      lifetime=dt.timedelta(minutes=10)).code
    browser = camera_browser(playwright_api, camera_film(tmp_path / "code.y4m", code))
    try:
        context, page = logged_in(browser, web_server, web_server["clerk"])
        assert page.url.endswith(f"/till/{web_server['store_id']}")
        page.click(".scan-start")
        expect(page.locator("#balance")).to_be_visible(timeout=WAIT_MS)
        assert web_server["elder_number"] in page.inner_text("main")
        assert page.input_value("input[name=code]") == code
        page.screenshot(path=shots / "scan-03-till.png", full_page=True)
        context.close()
    finally:
        browser.close()


def test_clerk_scans_the_six_digit_code_of_a_phone(playwright_api, web_server, shots, tmp_path) -> None:  # noqa: ANN001
    """The phone's QR carries the same 6 digits the volunteer can read aloud (docs/stores.md)."""
    from playwright.sync_api import expect

    phone_browser = launch(playwright_api)
    try:
        phone_ctx, phone = logged_in(phone_browser, web_server, web_server["slow_logins"][2])
        phone.goto("/me/code")
        digits = phone.inner_text("#code-text").replace(" ", "")
        phone_ctx.close()
    finally:
        phone_browser.close()
    browser = camera_browser(playwright_api, camera_film(tmp_path / "digits.y4m", digits))
    try:
        context, page = logged_in(browser, web_server, web_server["clerk"])
        page.click(".scan-start")
        expect(page.locator("#balance")).to_be_visible(timeout=WAIT_MS)
        assert page.input_value("input[name=code]") == digits
        page.screenshot(path=shots / "scan-03b-till-digits.png", full_page=True)
        context.close()
    finally:
        browser.close()


def test_a_qr_code_that_is_not_a_volunteer_code_is_not_sent(playwright_api, web_server, shots,
                                                           tmp_path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    kiosk_code = camera_film(tmp_path / "kiosk.y4m", web_server["base"] + "/c/k.1.2.not-a-card")
    browser = camera_browser(playwright_api, kiosk_code)
    try:
        context, page = logged_in(browser, web_server, web_server["clerk"])
        till = page.url
        page.click(".scan-start")
        expect(page.locator(".scan-message")).to_contain_text("这不是要扫的二维码", timeout=WAIT_MS)
        page.screenshot(path=shots / "scan-04-wrong-code.png", full_page=True)
        assert page.url == till and page.input_value("#code") == ""
        page.click(".scan-cancel")
        expect(page.locator(".scan-panel")).to_be_hidden()
        assert page.evaluate("() => document.activeElement.id") == "code"
        context.close()
    finally:
        browser.close()


def test_without_a_camera_the_page_says_so_and_typing_goes_on(playwright_api, web_server) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    browser = launch(playwright_api)  # no camera at all
    try:
        context, page = logged_in(browser, web_server, web_server["clerk"])
        page.click(".scan-start")
        message = page.locator(".scan-message")
        expect(message).to_contain_text("请直接输入号码", timeout=WAIT_MS)
        assert "bad" in (message.get_attribute("class") or "")
        expect(page.locator(".scan-panel")).to_be_hidden()
        assert page.evaluate("() => document.activeElement.id") == "code"
        context.close()
    finally:
        browser.close()

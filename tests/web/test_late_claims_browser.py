"""补录 and corrections in chromium, zh-CN: a volunteer on a phone claims an activity they forgot to scan at, a photo
of the wrong type is refused on the page with what they typed kept, a real photo goes through; the organiser at a
desktop sees the photo on the review page and approves; the volunteer sees the hours counted, then asks to correct the
record, the organiser accepts, and the record counts the corrected hours."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest

from tests.web.conftest import logged_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]


def tiny_png() -> bytes:
    """A real 2×2 red PNG, so the browser can draw it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _fill_claim(page, world: dict, photo: dict) -> None:  # noqa: ANN001
    page.select_option("#claim-activity", str(world["claim_activity_id"]))
    page.fill("#claim-start", world["claim_starts"])
    page.fill("#claim-end", world["claim_ends"])
    page.fill("#claim-content", "清理湿地公园步道垃圾，当天手机没电没扫码")
    page.set_input_files("#claim-photos", files=[photo])


def test_a_volunteer_claims_and_corrects_on_the_phone_and_the_organiser_decides_at_the_desk(browser, web_server,  # noqa: ANN001
                                                                               shots) -> None:
    context, page = logged_in(browser, web_server, web_server["claimant"])
    page.goto("/me")
    page.click("#go-claims")
    assert page.inner_text("h1") == "补录服务"
    _fill_claim(page, web_server, {"name": "proof.png", "mimeType": "image/png", "buffer": b"not an image at all"})
    page.click("#claim-form button[type=submit]")
    assert "照片只能是 JPEG、PNG 或 WebP 格式的图片" in page.inner_text("#claim-error")
    assert page.input_value("#claim-content") == "清理湿地公园步道垃圾，当天手机没电没扫码"
    page.screenshot(path=shots / "claim-01-refused-photo.png", full_page=True)
    _fill_claim(page, web_server, {"name": "proof.png", "mimeType": "image/png", "buffer": tiny_png()})
    page.click("#claim-form button[type=submit]")
    assert "补录申请已提交" in page.inner_text("main")
    mine = page.inner_text("#my-claims")
    assert "湿地公园捡垃圾" in mine and "待审核" in mine and "申请 2 小时" in mine, mine
    page.screenshot(path=shots / "claim-02-sent.png", full_page=True)

    desk, organiser = desktop(browser, web_server)
    organiser.goto(f"/manage?community={web_server['community_id']}")
    organiser.click("#go-claims")
    waiting = organiser.locator("#waiting-claims li").filter(has_text="湿地公园捡垃圾")
    assert "赵补录" in waiting.inner_text()
    photo = waiting.locator(".claim-photos img").first
    # The browser drew the photo: it reached the organiser (2 px wide, as sent).
    organiser.wait_for_function("img => img.complete && img.naturalWidth === 2", arg=photo.element_handle())
    organiser.screenshot(path=shots / "claim-03-review.png", full_page=True)
    waiting.locator("form[action$='/approve'] button").click()
    assert "补录已通过" in organiser.inner_text("main")
    assert "湿地公园捡垃圾" in organiser.inner_text("#decided-claims")
    assert "湿地公园捡垃圾" not in organiser.inner_text("#waiting-claims")
    organiser.screenshot(path=shots / "claim-04-approved.png", full_page=True)
    desk.close()

    page.goto("/me/claims")
    mine = page.inner_text("#my-claims")
    assert "已通过" in mine and "计入 2 小时" in mine, mine
    # The photo is the volunteer's and the organiser's only: a stranger's browser gets nothing.
    url = page.locator("#my-claims .claim-photos img").first.get_attribute("src")
    stranger = browser.new_context(base_url=web_server["base"])
    assert stranger.request.get(url).status == 401
    stranger.close()

    # She left an hour early after all: she asks for a correction under the record, the organiser accepts it.
    claim = page.locator("#my-claims li").filter(has_text="湿地公园捡垃圾")
    claim.locator("summary").filter(has_text="申请更正").click()
    ends = (dt.datetime.fromisoformat(web_server["claim_ends"]) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    claim.locator("input[name=ended_at]").fill(ends)
    claim.locator("input[name=reason]").fill("其实提前一小时走了")
    claim.locator("form[action='/me/corrections'] button").click()
    assert "更正申请已提交" in page.inner_text("main")
    assert "更正：待审核" in page.inner_text("#my-claims")
    page.screenshot(path=shots / "claim-05-correction-asked.png", full_page=True)
    desk, organiser = desktop(browser, web_server)
    organiser.goto(f"/manage/claims?community={web_server['community_id']}")
    asked = organiser.locator("#waiting-corrections li").filter(has_text="其实提前一小时走了")
    assert "赵补录" in asked.inner_text()
    organiser.screenshot(path=shots / "claim-06-correction-review.png", full_page=True)
    asked.locator("form[action$='/accept'] button").click()
    assert "记录已更正" in organiser.inner_text("main")
    desk.close()
    page.goto("/me/claims")
    mine = page.inner_text("#my-claims")
    assert "更正：已同意" in mine and "计入 1 小时" in mine, mine
    page.screenshot(path=shots / "claim-07-corrected.png", full_page=True)
    context.close()

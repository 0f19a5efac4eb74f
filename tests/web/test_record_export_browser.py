"""The exported record in chromium, zh-CN: the volunteer downloads their 志愿服务记录表 on a phone (390×844); the
organiser at a desktop downloads a volunteer's and the community's service records (.xlsx), whose 台账 figures are
the reports page's, and a reversed month range is refused on the page in Chinese."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.web.conftest import logged_in
from tests.web.test_organiser_desktop_day import desktop

pytestmark = [pytest.mark.browser]


def _pdf_text(path: str | Path) -> str:
    text = "".join(page.extract_text() for page in PdfReader(str(path)).pages)
    return text.replace(" ", "").replace("\n", "").replace("\x00", "")


def test_the_volunteer_downloads_their_record_on_a_phone(browser, web_server, shots) -> None:  # noqa: ANN001
    context, phone = logged_in(browser, web_server, web_server["volunteer"], viewport={"width": 390, "height": 844})
    phone.goto("/me")
    link = phone.locator("#service-record-pdf")
    assert link.inner_text() == "下载志愿服务记录表（PDF）"
    link.scroll_into_view_if_needed()
    phone.screenshot(path=shots / "record-01-phone.png")
    with phone.expect_download() as download:
        link.click()
    text = _pdf_text(download.value.path())
    for expected in ("志愿服务记录表", web_server["volunteer_name"], "一、志愿者基本信息", "二、服务记录", "三、评价情况",
                     "四、培训情况", "五、更正情况"):
        assert expected in text, expected
    context.close()


def test_the_organiser_downloads_a_record_and_the_community_export(browser, web_server, shots) -> None:  # noqa: ANN001
    desk, page = desktop(browser, web_server)
    page.goto(f"/manage/volunteers/{web_server['volunteer_id']}")
    page.locator("#service-record-pdf").scroll_into_view_if_needed()
    page.screenshot(path=shots / "record-04-desk-volunteer.png")
    with page.expect_download() as download:
        page.click("#service-record-pdf")
    assert web_server["volunteer_name"] in _pdf_text(download.value.path())

    page.goto(f"/manage/reports?scope=community:{web_server['community_id']}")
    hours = float(page.inner_text("#report-hours"))
    month = page.input_value("#month")
    page.screenshot(path=shots / "record-05-desk-reports.png")
    page.click("#export-records")
    assert page.inner_text("h1") == "导出服务记录"
    page.fill("#export-from", month)
    page.fill("#export-to", "2000-01")
    page.click("#export-xlsx")
    assert "结束月份早于开始月份" in page.inner_text("#export-error")
    page.screenshot(path=shots / "record-02-desk-refused.png", full_page=True)
    page.fill("#export-to", month)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["字段版本"][0] == "1.0"
    counted_minutes = summary["计入台账（活动签到＋补录）"][2]
    assert round(int(counted_minutes) / 60, 2) == hours
    page.screenshot(path=shots / "record-03-desk.png", full_page=True)
    with page.expect_download() as download:
        page.click("#export-jsonl")
    assert download.value.suggested_filename.endswith(".jsonl")
    desk.close()

"""The organiser's office work in chromium at 375 px: import a roster (a bad row is reported, then the good
rows imported), 代签 the new volunteer by card, approve the hour, issue a certificate, download the 台账."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from tests.web.conftest import new_phone

pytestmark = [pytest.mark.browser]
TZ = ZoneInfo("Asia/Shanghai")


def local(value: dt.datetime) -> str:
    return value.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def roster(path) -> None:  # noqa: ANN001
    """Three volunteers, the second with a phone number that is not one."""
    book = Workbook()
    book.active.append(["社区志愿者花名册"])  # a title row above the header, as communities keep them
    book.active.append(["姓名", "手机号", "服务队", "技能"])
    book.active.append(["郑秀兰", "13977770001", "党员先锋队", "理发"])
    book.active.append(["钱大伯", "1397777", "", ""])
    book.active.append(["冯小妹", "13977770003", "", "文艺"])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())


def test_organiser_imports_a_roster_records_service_issues_a_certificate_and_downloads_the_report(
        browser, web_server, shots, tmp_path) -> None:  # noqa: ANN001
    base, community = web_server["base"], web_server["community_id"]
    context, page = new_phone(browser, base)
    page.goto("/login")
    page.fill("#login", web_server["organiser"])
    page.fill("#password", web_server["password"])
    page.click("button[type=submit].big")
    page.click(f"#manage-menu a[href='/manage/import?community={community}']")

    # Check the file first: the bad row is named by its spreadsheet row, in plain words; nothing is saved yet.
    file = tmp_path / "花名册.xlsx"
    roster(file)
    page.set_input_files("#roster-file", str(file))
    page.click("#import-form button[value=check]")
    report = page.inner_text("#row-errors")
    assert "4" in report and "这不是电话号码" in report, report
    assert "共 3 行，其中 2 行可以导入；1 行有问题" in page.inner_text("#import-report")
    page.screenshot(path=shots / "org-01-import-check.png", full_page=True)
    page.click("#import-now button")
    assert "已导入 2 名志愿者；跳过 1 行" in page.inner_text("#import-report")
    page.screenshot(path=shots / "org-02-imported.png", full_page=True)
    page.click("#import-report a.button")
    page.fill("#q", "郑秀兰")
    page.click("#volunteer-filters button")
    assert "郑秀兰" in page.inner_text("#volunteers")
    page.screenshot(path=shots / "org-03-volunteers.png", full_page=True)
    page.click("#volunteers a")
    volunteer_url = page.url
    assert "党员先锋队" in page.inner_text("#volunteer-details")
    page.click("#card-link")
    card = page.inner_text("#card-code").strip()

    # A walk-in without a phone: the organiser checks her in and out with her card, then sets the hour served.
    page.goto(f"/manage/activities/new?community={community}")
    now = dt.datetime.now(dt.UTC)
    page.fill("#title", "理发进楼道")
    # Begun a moment ago: an activity starting in ten minutes falls on tomorrow after 23:50 local time, and a
    # certificate covers service up to today only (this test failed when run then).
    page.fill("#starts_at", local(now - dt.timedelta(minutes=20)))
    page.fill("#ends_at", local(now + dt.timedelta(hours=2)))
    page.check("input[name=publish]")
    page.click("button[type=submit].big")
    assert re.search(r"/manage/activities/\d+$", page.url), page.url
    for purpose, said in (("check-in", "签到成功"), ("check-out", "签退成功")):
        if page.locator("#proxy-box").get_attribute("open") is None:  # it stays open after a card
            page.click("#proxy-box summary")
        page.fill("#proxy-card", card)
        page.click(f"#proxy-box button[value={purpose}]")
        assert said in page.inner_text(".flash"), page.inner_text("main")
    record = page.locator("#attendance li", has_text="郑秀兰")
    record.locator("summary", has_text="调整时间").click()
    now = dt.datetime.now(dt.UTC)
    record.locator("input[name=checked_in_at]").fill(local(now - dt.timedelta(minutes=61)))
    record.locator("input[name=checked_out_at]").fill(local(now - dt.timedelta(minutes=1)))
    record.locator("input[name=reason][required]").fill("忘带手机，代签")
    record.locator("button.ok", has_text="保存并通过").click()
    assert "已通过" in page.inner_text("#attendance")
    page.screenshot(path=shots / "org-04-proxy-approved.png", full_page=True)

    # The certificate: find her, issue for this year (the ledger credits the hour in the background).
    page.goto(f"/manage/certificates?community={community}")
    page.fill("#cert-q", "郑秀兰")
    page.click("#certificate-search button")
    page.click("#certificate-found a.button")
    for _ in range(40):
        page.fill("#purpose", "评优")
        # Wait for the answer page: read too early, the old page has no issued link yet, and the next round
        # would wait for a form the success page no longer shows.
        with page.expect_navigation():
            page.click("#certificate-issue button")
        if page.locator("#certificates-issued a[href$='/pdf']").count():
            break
        time.sleep(0.5)  # the hour is not credited yet: bounded retry
    issued = page.inner_text("#certificates-issued")
    assert "郑秀兰" in issued and "已开具" in issued, page.inner_text("main")
    page.screenshot(path=shots / "org-05-certificate.png", full_page=True)
    pdf = page.request.get(page.get_attribute("#certificates-issued a[href$='/pdf']", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # The 台账 of this month, with the xlsx download.
    page.goto(f"/manage/reports?scope=community:{community}")
    assert "服务时长(小时)" in page.inner_text("main")
    page.screenshot(path=shots / "org-06-report.png", full_page=True)
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert open(download.value.path(), "rb").read(2) == b"PK"
    page.goto(volunteer_url)
    assert page.inner_text("#volunteer-hours") == "1"
    context.close()

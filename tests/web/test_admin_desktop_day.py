"""The street office's desktop day in chromium (1366×768, zh-CN), by clicking from the landing page: the street's
communities with this month's figures and organisers, a new community and its first organiser (who logs in and
changes the first password), a forgotten password reset, a login disabled and enabled again, a team leader's
login wait lifted, a proposal sent back and approved, the street's 台账 and its download, the audit log in words,
a community's honour lists, the street's own honour list (draft, publish, a resident's objection) and the
certificate check; an organiser who opens the administrators' pages is told whose pages they are, with a way back."""

from __future__ import annotations

import httpx
import pytest

from tests.web.test_no_english_on_zh_pages import SHOWN, english_in

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1366, "height": 768}


def desktop(browser, world: dict, login: str, password: str | None = None):  # noqa: ANN001, ANN201
    """A laptop on which `login` has just logged in (landed on their home page)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=world["base"], locale="zh-CN")
    page = context.new_page()
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", password or world["password"])
    page.click("button[type=submit].big")
    return context, page


def chinese_only(page) -> None:  # noqa: ANN001
    """No English sentence and no raw code on the page (details opened)."""
    shown = page.evaluate(SHOWN)
    assert not english_in(shown), (page.url, english_in(shown))
    for raw in ("admin_required", "user.", "community.create", "{", "Traceback"):
        assert raw not in page.inner_text("main"), (page.url, raw)


def submit(page, form: str, **fields: str) -> None:  # noqa: ANN001
    """Type into the form's fields (by id) and press its button, as a person would."""
    for name, value in fields.items():
        page.fill(f"{form} #{name}", value)
    page.click(f"{form} button[type=submit]")


def staff_row(page, name: str):  # noqa: ANN001, ANN201
    return page.locator("#staff li.staff-login").filter(has_text=name)


def api_login(world: dict, login: str, password: str) -> int:
    return httpx.post(f"{world['base']}/api/auth/login", json={"login": login, "password": password},
                      timeout=20).status_code


def test_street_office_day(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["street_admin"])
    # Lands on the overview of the street: both communities, their figures and who runs them.
    assert page.url.endswith("/admin"), page.url
    assert page.inner_text("h1") == "管理员工作台"
    street = page.inner_text(f"#street-{web_server['street_id']}")
    assert web_server["street_name"] in street
    rows = {r.locator("td").first.inner_text().splitlines()[0]: r.inner_text()
            for r in page.locator(f"#street-{web_server['street_id']} tbody tr").all()}
    assert "社工小李" in rows[web_server["community_name"]], rows
    assert "还没有社工" in rows[web_server["other_community_name"]], rows
    assert "邻里文化节" in page.inner_text("#admin-proposals")
    chinese_only(page)
    page.screenshot(path=shots / "admin-01-overview.png")

    # A new community: a code already used is refused in words, what was typed stays.
    page.click("#admin-menu a:has-text('新建社区')")
    assert page.inner_text("h1") == "新建社区"
    page.fill("#name", "新风社区")
    page.fill("#code", web_server["community_code"])
    page.fill("#contact_phone", "021-66667777")
    page.click("#community-form button[type=submit]")
    assert "另一个社区已经在用这个编号" in page.inner_text("#form-error")
    assert page.input_value("#name") == "新风社区"
    chinese_only(page)
    page.screenshot(path=shots / "admin-02-community-refused.png")
    page.fill("#code", "XF")
    page.click("#community-form button[type=submit]")
    assert "社区已创建" in page.inner_text(".flash"), page.inner_text("main")
    assert "新风社区" in page.inner_text("h1")

    # Its first organiser, then the overview lists them.
    submit(page, "#organiser-form", display_name="社工小吴", username="xiaowu", password="first-pass-9")
    assert "账号已创建" in page.inner_text(".flash")
    assert "社区社工（组织者）" in staff_row(page, "社工小吴").inner_text()
    chinese_only(page)
    page.screenshot(path=shots / "admin-03-staff.png", full_page=True)
    page.click("a:has-text('← 管理员工作台')")
    assert "社工小吴" in page.locator("tr").filter(has_text="新风社区").inner_text()

    # The organiser logs in with the first password and changes it from the name in the header.
    org_context, org_page = desktop(browser, web_server, "xiaowu", "first-pass-9")
    assert "新风社区" in org_page.inner_text("h1")
    org_page.click(".prefs a.who")
    submit(org_page, "#password-form", current_password="first-pass-9", new_password="my-own-pass-4",
           repeat_password="my-own-pass-5")
    assert "两次输入的新密码不一样" in org_page.inner_text("#form-error")
    submit(org_page, "#password-form", current_password="first-pass-9", new_password="my-own-pass-4",
           repeat_password="my-own-pass-4")
    assert "密码已修改" in org_page.inner_text(".flash")
    chinese_only(org_page)
    org_page.screenshot(path=shots / "admin-04-own-password.png")

    # She forgets it: the street office sets a new first password; her open session ends.
    page.click("tr:has-text('新风社区') a:has-text('工作人员账号')")
    row = staff_row(page, "社工小吴")
    row.locator("summary").click()
    row.locator("input[name=password]").fill("reset-pass-7")
    row.locator("form[action$='/password'] button").click()
    assert "新密码已设置" in page.inner_text(".flash")
    org_page.goto("/manage")
    assert "/login" in org_page.url
    assert api_login(web_server, "xiaowu", "my-own-pass-4") == 401
    assert api_login(web_server, "xiaowu", "reset-pass-7") == 200

    # She leaves: the login is disabled (refused at once), then enabled again.
    row = staff_row(page, "社工小吴")
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("工作调动")
    row.locator("form[action$='/disable'] button").click()
    assert "账号已停用" in page.inner_text(".flash")
    assert "已停用" in staff_row(page, "社工小吴").inner_text()
    assert api_login(web_server, "xiaowu", "reset-pass-7") == 401
    row = staff_row(page, "社工小吴")
    row.locator("summary").click()
    row.locator("form[action$='/enable'] button").click()
    assert "重新启用" in page.inner_text(".flash")
    assert api_login(web_server, "xiaowu", "reset-pass-7") == 200
    org_context.close()

    # Everything done today is in the audit log, in words.
    page.click("a:has-text('← 管理员工作台')")
    page.click("#admin-menu a:has-text('操作日志')")
    # The click only starts the navigation: reading the page before the log has loaded read a torn-down body.
    page.wait_for_url("**/manage/audit")
    page.wait_for_load_state()
    chinese_only(page)  # opens every 改了什么 too
    log = page.inner_text("main")
    for words in ("创建社区", "管理员重设了初始密码", "账号已停用", "账号重新启用", "新风社区", "角色: 社区社工（组织者）",
                  "可以登录", "显示姓名", "社区编号"):
        assert words in log, words
    for raw in ("is_active", "display_name", "organiser", "street_id", "contact_phone", "user_id"):
        assert raw not in log, raw
    chinese_only(page)
    page.screenshot(path=shots / "admin-05-audit.png", full_page=True)
    context.close()


def test_a_waiting_login_is_let_in_again(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["street_admin"])
    page.click(f"tr:has-text('{web_server['other_community_name']}') a:has-text('工作人员账号')")
    row = staff_row(page, "孙队长")
    assert "登录受限" in row.inner_text()
    assert api_login(web_server, web_server["locked_leader"], web_server["password"]) == 429
    row.locator("summary").click()
    row.locator("form[action$='/unlock'] button").click()
    assert "登录限制已解除" in page.inner_text(".flash")
    assert "登录受限" not in staff_row(page, "孙队长").inner_text()
    assert api_login(web_server, web_server["locked_leader"], web_server["password"]) == 200
    # The administrator cannot disable or reset their own login here: the form is not offered.
    context.close()


def test_a_proposal_is_sent_back_then_approved(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["street_admin"])
    page.click("#admin-proposals a:has-text('邻里文化节')")
    facts = page.inner_text("#proposal")
    assert "促进邻里交流" in facts and "3500.00 元" in facts and "200" in facts, facts
    chinese_only(page)
    page.screenshot(path=shots / "admin-06-proposal.png")
    page.click("#reject-form button")
    assert "请填写退回理由" in page.inner_text("#form-error")
    page.fill("#note", "注意安全预案")
    page.click("#approve-form button")
    assert "项目申请已批准" in page.inner_text(".flash")
    assert "邻里文化节" not in page.inner_text("#admin-proposals")
    context.close()


def test_street_reports_honours_and_certificates(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["street_admin"])
    page.click(f"#street-{web_server['street_id']} a:has-text('街道统计台账')")
    assert web_server["street_name"] in page.inner_text("#report-title")
    tables = page.inner_text("main")
    assert web_server["community_name"] in tables and web_server["other_community_name"] in tables
    # No service in the period: a sentence, not a box of empty bars (other tests may have served this month).
    if page.inner_text("#report-hours") == "0.0":
        assert "本期还没有服务时长" in tables and page.locator("main svg.chart").count() == 0
    with page.expect_download() as download:
        page.click("#download-xlsx")
    with open(download.value.path(), "rb") as f:
        assert f.read(2) == b"PK"
    chinese_only(page)
    # On a laptop the tables are read whole, not through a sideways scroll bar.
    clipped = page.evaluate("[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth)"
                            ".map(w => w.innerText.slice(0, 40))")
    assert not clipped, clipped
    page.screenshot(path=shots / "admin-07-street-report.png", full_page=True)

    page.goto("/admin")
    page.click(f"tr:has-text('{web_server['community_name']}') a:has-text('光荣榜')")
    assert "一月光荣榜" in page.inner_text("#honour-lists")
    chinese_only(page)

    # The street's own list: a finished month's draft in sections, published in place, read and objected to by a
    # resident on its public page.
    page.goto("/admin")
    page.click(f"#street-{web_server['street_id']} a:has-text('街道光荣榜')")
    page.fill("#month", web_server["month_before_last"])
    page.click("#street-honour-form button")
    year, month = web_server["month_before_last"].split("-")
    draft = page.locator("#honour-lists li.honour-list").filter(has_text=f"{year}年{int(month)}月")
    assert web_server["honour_name"] in draft.locator("ol.honour-section").first.inner_text(), draft.inner_text()
    chinese_only(page)
    draft.locator("button:has-text('发布')").click()
    assert "公示期至" in page.inner_text(".flash")
    page.screenshot(path=shots / "admin-08-street-honours.png", full_page=True)
    published = page.locator("#honour-lists li.honour-list").filter(has_text=f"{year}年{int(month)}月")
    published.locator("a.public-link").click()
    assert web_server["honour_public_name"] in page.inner_text("#honour-volunteers")
    assert web_server["street_name"] in page.inner_text("h1")
    page.fill("#obj-name", "居民老张")
    page.fill("#obj-text", "我们楼的志愿者没有上榜")
    page.click("form[action*='/objections'] button")
    assert "谢谢" in page.inner_text("main")
    chinese_only(page)
    page.goto("/admin")
    page.click(f"#street-{web_server['street_id']} a:has-text('街道光荣榜')")
    page.locator("#honour-lists li.honour-list").filter(has_text=f"{year}年{int(month)}月").locator(
        "a.objections-link").click()
    assert "我们楼的志愿者没有上榜" in page.inner_text("main")
    chinese_only(page)
    page.click("a:has-text('返回')")
    assert "/admin/honours?street=" in page.url

    page.goto("/admin")
    page.click("#admin-menu a:has-text('查验服务证明')")
    page.fill("#number", "HX1-C-000000")
    page.fill("#vcode", "ABCDEF")
    page.click("form[action='/verify'] button")
    chinese_only(page)
    page.screenshot(path=shots / "admin-09-verify.png")
    context.close()


def test_an_organiser_is_told_the_administration_is_not_theirs(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["organiser"])
    assert "管理员工作台" not in page.inner_text("nav.nav")
    response = page.goto("/admin")
    assert response is not None and response.status == 403
    assert "只有平台或街道管理员" in page.inner_text("main")
    page.click("#home-link")
    assert "/manage" in page.url
    context.close()


def test_platform_admin_sees_every_street_and_may_create_without_one(browser, web_server, shots) -> None:  # noqa: ANN001
    context, page = desktop(browser, web_server, web_server["admin"])
    assert page.url.endswith("/admin")
    assert web_server["street_name"] in page.inner_text("main")
    page.click("#admin-menu a:has-text('新建社区')")
    options = page.locator("#street option").all_inner_texts()
    assert any("不属于街道" in o for o in options), options
    chinese_only(page)
    context.close()

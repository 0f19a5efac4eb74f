"""The scan page's answer (POST /c/<token>) names the person and builds their menu from the scan's own statement
(issue 18): it must still say the right thing in Chinese, show a volunteer's menu without staff links and a staff
member's with them, send an ended login to log in, and name the person on a refused scan."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.accounts.sessions import revoke_session
from servicebank.activities.models import Activity
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance
from tests.factories import make_org, make_person, make_volunteer
from tests.web.pages import log_in, post, text_of


async def _activity(session, community, *, status: str = "published") -> Activity:  # noqa: ANN001
    now = dt.datetime.now(dt.UTC)
    activity = Activity(community_id=community.id, kind="patrol", title="楼道清扫", status=status,
                        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=2))
    session.add(activity)
    await session.commit()
    return activity


def _code(app, activity: Activity, purpose: str) -> str:  # noqa: ANN001
    settings = app.state.settings
    return tokens.issue_kiosk_token(secret_key=settings.secret_key, rotation_seconds=settings.qr_rotation_seconds,
                                    activity_id=activity.id, purpose=purpose, now=dt.datetime.now(dt.UTC)).token


def _menu(html: str) -> str:
    return text_of(html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0])


async def test_a_volunteer_checks_in_and_out_and_the_page_names_them_with_their_menu(app, client, session,
                                                                                      db) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community, name="孙阿姨")
    activity = await _activity(session, org.community)
    await log_in(client, me)

    done = await post(client, f"/c/{_code(app, activity, tokens.CHECK_IN)}", {"latitude": "", "longitude": ""})
    assert done.status_code == 200
    page = text_of(done.text)
    assert "签到成功" in page and "楼道清扫" in page and "孙阿姨" in page and "退出" in page
    assert "我的" in _menu(done.text) and "管理" not in _menu(done.text)

    again = await post(client, f"/c/{_code(app, activity, tokens.CHECK_IN)}", {"latitude": "", "longitude": ""})
    assert again.status_code == 200 and "您已经签到过了" in text_of(again.text) and "孙阿姨" in text_of(again.text)

    out = await post(client, f"/c/{_code(app, activity, tokens.CHECK_OUT)}")
    assert out.status_code == 200
    assert "签退成功" in text_of(out.text) and "孙阿姨" in text_of(out.text) and "管理" not in _menu(out.text)
    async with db.session_scope() as s:
        record = await s.scalar(select(Attendance).where(Attendance.activity_id == activity.id))
        assert record is not None and record.volunteer_id == me.volunteer.id and record.checked_out_at is not None


async def test_an_organiser_scanning_for_themselves_keeps_the_staff_menu(app, client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_volunteer(session, org.community, name="周主任")
    me = await make_person(session, Role.ORGANISER, community=org.community, volunteer=volunteer, name="周主任")
    activity = await _activity(session, org.community)
    await log_in(client, me)
    done = await post(client, f"/c/{_code(app, activity, tokens.CHECK_IN)}", {"latitude": "", "longitude": ""})
    assert done.status_code == 200 and "签到成功" in text_of(done.text) and "周主任" in text_of(done.text)
    assert "管理" in _menu(done.text) and "我的" in _menu(done.text)


async def test_an_ended_login_is_sent_to_log_in_and_nothing_is_written(app, client, session,
                                                                        db) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    activity = await _activity(session, org.community)
    await log_in(client, me)
    await revoke_session(session, token=me.token)
    await session.commit()
    code = _code(app, activity, tokens.CHECK_IN)
    sent = await post(client, f"/c/{code}", {"latitude": "", "longitude": ""}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/login?next=%2Fc%2F")
    client.cookies.delete("sb_session")
    anonymous = await post(client, f"/c/{code}", {"latitude": "", "longitude": ""}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    async with db.session_scope() as s:
        assert await s.scalar(select(Attendance).where(Attendance.activity_id == activity.id)) is None


async def test_a_refused_scan_says_why_and_still_names_the_person(app, client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community, name="吴大爷")
    activity = await _activity(session, org.community, status="cancelled")
    await log_in(client, me)
    refused = await post(client, f"/c/{_code(app, activity, tokens.CHECK_IN)}", {"latitude": "", "longitude": ""})
    assert refused.status_code == 409
    page = text_of(refused.text)
    assert "取消" in page and "吴大爷" in page and "我的" in _menu(refused.text)
    async with db.session_scope() as s:
        assert await s.scalar(select(Attendance).where(Attendance.activity_id == activity.id)) is None


async def test_the_scan_page_has_the_apis_scan_limit_per_login(app, client, session) -> None:  # noqa: ANN001
    """A script holding one login cannot hammer the page's POST past the limit the API's scan has."""
    from servicebank.checkins.routes import SCAN_LIMIT
    from servicebank.web.pages.checkins.scan import ScanPages

    assert SCAN_LIMIT in ScanPages.scan.guards
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community, name="钱叔叔")
    await log_in(client, me)
    allowed = 0
    for _ in range(300):
        answer = await post(client, "/c/i.not-a-code", {"latitude": "", "longitude": ""})
        if answer.status_code == 429:
            break
        allowed += 1
    assert answer.status_code == 429
    assert "尝试次数太多，请稍等一会儿再试" in text_of(answer.text)
    assert 120 <= allowed <= 240


async def test_the_page_script_gets_the_answers_words_as_json(app, client, session, db) -> None:  # noqa: ANN001
    """offline-scan.js asks for the answer's words (Accept: application/json, the CSRF token as a header) and
    shows them in place: the same sentences in Chinese and the same check-in as the page, a refusal with its
    stable code, and neither a page nor its menu around them."""
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community, name="孙阿姨")
    activity = await _activity(session, org.community)
    await log_in(client, me)
    code = _code(app, activity, tokens.CHECK_IN)
    script = {"Accept": "application/json", "X-CSRF-Token": client.cookies.get("sb_csrf")}

    done = await client.post(f"/c/{code}", content=b"latitude=&longitude=", headers={
        **script, "Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and done.headers["content-type"].startswith("application/json")
    assert done.headers["cache-control"] == "no-store" and done.headers["x-content-type-options"] == "nosniff"
    words = done.json()
    assert words["ok"] is True and words["created"] is True and words["code"] is None
    assert words["title"] == "签到" and words["document_title"] == "签到 · 志愿服务银行"
    assert words["message"] == "签到成功。" and words["meta"].startswith("楼道清扫 · ")
    assert words["details"][0].startswith("时间: ") and words["home"] == {"href": "/me", "text": "回到我的主页"}
    async with db.session_scope() as s:
        record = await s.scalar(select(Attendance).where(Attendance.activity_id == activity.id))
        assert record is not None and record.volunteer_id == me.volunteer.id
        assert dt.datetime.fromisoformat(words["at"]) == record.checked_in_at.replace(tzinfo=dt.UTC)

    again = await post(client, f"/c/{code}", {"latitude": "", "longitude": ""}, headers=script)
    assert again.status_code == 200 and again.json()["message"].startswith("您已经签到过了") and again.json()["created"] is False

    out = await post(client, f"/c/{_code(app, activity, tokens.CHECK_OUT)}", headers=script)
    assert out.status_code == 200 and out.json()["message"].startswith("签退成功") and out.json()["minutes"] == 0
    assert out.json()["details"][1] == "计入时长: 0 分钟"

    refused = await post(client, f"/c/{_code(app, activity, tokens.CHECK_OUT)}x", headers=script)
    assert refused.status_code == 409 and refused.json()["ok"] is False
    assert refused.json()["code"] == "qr_token_invalid" and refused.json()["message"]

    whole = await post(client, f"/c/{code}", {"latitude": "", "longitude": ""})
    assert whole.headers["content-type"].startswith("text/html") and '<nav class="nav"' in whole.text


async def test_the_scripts_csrf_header_must_be_the_sessions(app, client, session, db) -> None:  # noqa: ANN001
    """The token may come as a header instead of the form field, but a wrong one is refused and writes nothing."""
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    activity = await _activity(session, org.community)
    await log_in(client, me)
    refused = await client.post(f"/c/{_code(app, activity, tokens.CHECK_IN)}", content=b"latitude=&longitude=",
                                headers={"Accept": "application/json", "X-CSRF-Token": "0" * 64,
                                         "Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 403
    async with db.session_scope() as s:
        assert await s.scalar(select(Attendance).where(Attendance.activity_id == activity.id)) is None

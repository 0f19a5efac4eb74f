"""Organiser pages over HTTP: the 台账 report, certificates, honour-list objections, the audit log."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.accounts.sessions import load_principal
from servicebank.checkins import review
from servicebank.honours.models import Certificate, HonourObjection
from servicebank.kernel import events
from servicebank.web.pages.reports import period_of
from tests.checkins.helpers import make_activity
from tests.factories import make_list_in_notice, make_org, make_person, make_volunteer
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]


def test_report_period_from_the_pickers() -> None:
    today = dt.date(2026, 11, 23)
    assert period_of("month", month="", quarter="", year="", today=today) == "2026-11"
    assert period_of("month", month="2026-09", quarter="", year="", today=today) == "2026-09"
    assert period_of("quarter", month="", quarter="2", year="2025", today=today) == "2025-Q2"
    assert period_of("quarter", month="", quarter="", year="", today=today) == "2026-Q4"
    assert period_of("year", month="", quarter="", year="2025", today=today) == "2025"


async def _served(session, db, org, organiser, volunteer_id: int) -> None:  # noqa: ANN001
    """An approved hour of service, credited by the ledger's event handlers."""
    activity = await make_activity(session, org, starts_in=dt.timedelta(hours=-3))
    async with db.session_scope() as s:
        principal = await load_principal(s, organiser.user)
        now = dt.datetime.now(dt.UTC)
        await review.manual_record(s, activity_id=activity.id, volunteer_id=volunteer_id, principal=principal,
                                   checked_in_at=activity.starts_at, checked_out_at=activity.starts_at
                                   + dt.timedelta(hours=1), reason="忘带手机", now=now)
    await events.drain(db)


async def test_report_page_shows_tables_chart_and_downloads(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_volunteer(session, org.community, name="周志愿")
    await _served(session, db, org, organiser, volunteer.id)
    await log_in(client, organiser)
    page = await client.get("/manage/reports")
    words = text_of(page.text)
    assert page.status_code == 200 and org.community.name in words and "服务时长(小时)" in words
    assert '<svg class="chart"' in page.text and 'id="report-hours">1.0<' in page.text
    xlsx = page.text.split('id="download-xlsx"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    download = await client.get(xlsx)
    assert download.status_code == 200 and download.content.startswith(b"PK")
    year = await client.get(f"/manage/reports?scope=community:{org.community.id}&kind=year&year=2026")
    assert year.status_code == 200 and "2026年" in year.text
    future = await client.get(f"/manage/reports?scope=community:{org.community.id}&kind=year&year=2300")
    assert future.status_code == 422 and "请选择已经开始的月份、季度或年份" in future.text
    # Someone else's community is not offered and not shown.
    other = await client.get(f"/manage/reports?scope=community:{org.other.id}")
    assert org.other.name not in other.text
    # In English the tables' headings and line labels are English too.
    client.cookies.set("sb_lang", "en")
    english = text_of((await client.get("/manage/reports")).text)
    assert "Registered volunteers" in english and "Same period last year" in english and "By kind of activity" in english
    assert "注册志愿者" not in english and "去年同期" not in english


async def test_volunteers_get_no_report_page(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    await log_in(client, volunteer)
    assert (await client.get("/manage/reports")).status_code == 403
    assert (await client.get("/manage/audit")).status_code == 403


async def test_certificate_search_issue_and_revoke(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_volunteer(session, org.community, name="吴同学")
    idle = await make_volunteer(session, org.community, name="吴没来")
    await _served(session, db, org, organiser, volunteer.id)
    await log_in(client, organiser)
    base = f"/manage/certificates?community={org.community.id}"
    found = await client.get(base + "&q=吴")
    assert "吴同学" in found.text and "吴没来" in found.text
    chosen = await client.get(f"{base}&volunteer={volunteer.id}")
    assert 'id="certificate-issue"' in chosen.text
    # The community's day (Asia/Shanghai) ends the period: the service was on it, and from 16:00 UTC on it is
    # already tomorrow's date there.
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    form = {"community_id": str(org.community.id), "period_start": f"{today.year - 1}-01-01",
            "period_end": today.isoformat(), "purpose": "入学"}
    none = await post(client, "/manage/certificates/issue", {**form, "volunteer_id": str(idle.id)})
    assert none.status_code == 422 and "没有已确认的服务记录" in none.text
    done = location(await post(client, "/manage/certificates/issue", {**form, "volunteer_id": str(volunteer.id)}))
    page = await client.get(done)
    async with db.session_scope() as s:
        cert = (await s.scalars(select(Certificate))).one()
    assert cert.status == "issued" and cert.total_minutes == 60
    assert f"/api/certificates/{cert.id}/pdf" in page.text and cert.number in page.text
    refused = await post(client, f"/manage/certificates/{cert.id}/revoke", {"reason": "x"})
    assert refused.status_code == 422 and "请填写原因" in refused.text
    location(await post(client, f"/manage/certificates/{cert.id}/revoke", {"reason": "信息有误"}))
    async with db.session_scope() as s:
        assert (await s.get(Certificate, cert.id)).status == "revoked"


async def test_objections_are_seen_and_resolved(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    honour_list = await make_list_in_notice(session, org.community)
    objection = HonourObjection(list_id=honour_list.id, name="居民老马", phone=None, text="张三那天不在", client_key="k")
    session.add(objection)
    await session.commit()
    await log_in(client, organiser)
    lists = await client.get(f"/manage/honours?community={org.community.id}")
    assert "异议（1 条待处理）" in text_of(lists.text)
    url = f"/manage/honours/{honour_list.id}/objections"
    assert "张三那天不在" in (await client.get(url)).text
    short = location(await post(client, f"/manage/honours/objections/{objection.id}/resolve",
                                {"list_id": honour_list.id, "resolution": "dismissed", "note": "x"}))
    assert "请填写答复" in (await client.get(short)).text
    location(await post(client, f"/manage/honours/objections/{objection.id}/resolve",
                        {"list_id": honour_list.id, "resolution": "dismissed", "note": "核实签到记录，当天在岗"}))
    async with db.session_scope() as s:
        saved = await s.get(HonourObjection, objection.id)
    assert saved.status == "dismissed" and "核实签到记录" in (await client.get(url)).text
    audit = text_of((await client.get(f"/manage/audit?community={org.community.id}")).text)
    assert "异议不成立" in audit and "核实签到记录，当天在岗" in audit


async def test_audit_log_filters_and_pages(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    for n in range(32):
        location(await post(client, "/manage/teams", {"community_id": str(org.community.id), "name": f"队{n}",
                                                      "kind": "居民"}))
    page = await client.get(f"/manage/audit?community={org.community.id}&action=team")
    words = text_of(page.text)
    assert "共 32 条" in words and "创建服务队" in words and "第 1 页，共 2 页" in words
    # Words, not codes or JSON: the action, the record kind and the changed fields.
    assert "team.create" not in words and "{" not in words and "名称" in words and "队31" in words
    second = text_of((await client.get(f"/manage/audit?community={org.community.id}&action=team&page=2")).text)
    assert "队0" in second and "队31" not in second  # newest first
    assert "共 0 条" in text_of((await client.get("/manage/audit?community=&action=volunteer&since=&until=")).text)
    assert (await client.get(f"/manage/audit?community={org.other.id}")).status_code == 404

"""Organiser pages over HTTP: volunteers (list, register, change, approve, suspend, card), teams, roster import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from servicebank.accounts.models import Role, RoleGrant
from servicebank.volunteers.models import TeamMember, Volunteer
from servicebank.volunteers.roster import read_roster
from servicebank.web.pages.volunteers.roster_import import template_csv, template_xlsx
from tests.factories import make_org, make_person, make_team, make_volunteer
from tests.web.pages import location, log_in, post, text_of

pytestmark = [pytest.mark.sqlite_only]
ID_NUMBER = "11010519491231002X"


async def _count(db, *where) -> int:  # noqa: ANN001
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count()).select_from(Volunteer).where(*where)) or 0)


async def test_register_a_volunteer_the_id_number_is_only_ever_shown_masked(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    team = await make_team(session, org.community, name="巾帼志愿队")
    await log_in(client, organiser)
    form = {"community_id": str(org.community.id), "real_name": "王秀英", "phone": "13900001234",
            "id_type": "居民身份证", "id_number": ID_NUMBER, "skill_tags": "理发、医疗", "team_ids": str(team.id),
            "grid_id": str(org.grid.id), "public_consent": "1"}
    url = location(await post(client, "/manage/volunteers/new", form)).split("?")[0]
    page = await client.get(url)
    assert page.status_code == 200 and ID_NUMBER not in page.text and "110***" in page.text
    words = text_of(page.text)
    assert "巾帼志愿队" in words and "理发、医疗" in words and "第一网格" in words
    assert 'href="/manage/volunteers/' in page.text and "二维码卡" in words
    duplicate = await post(client, "/manage/volunteers/new", {**form, "id_number": ""})
    assert duplicate.status_code == 422 and "本社区已有使用该手机号的志愿者" in duplicate.text
    edit = await client.get(url + "/edit")
    assert ID_NUMBER not in edit.text and 'value="王秀英"' in edit.text
    location(await post(client, url + "/edit", {"real_name": "王秀英", "phone": "13900009999", "id_type": "居民身份证",
                                                "skill_tags": "维修", "grid_id": "", "public_consent": "1"}))
    async with db.session_scope() as s:
        saved = (await s.scalars(select(Volunteer).where(Volunteer.real_name == "王秀英"))).one()
    assert (saved.phone, saved.skill_tags, saved.grid_id) == ("13900009999", ["维修"], None)
    assert saved.id_number_masked and saved.id_number_encrypted  # kept when the field was left empty


async def test_list_filters_and_approving_self_registrations(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    team = await make_team(session, org.community)
    await make_volunteer(session, org.community, name="张理发", skill_tags=["理发"])
    member = await make_volunteer(session, org.community, name="李队员")
    session.add(TeamMember(team_id=team.id, volunteer_id=member.id))
    waiting = await make_volunteer(session, org.community, name="新来的", status="pending")
    await make_volunteer(session, org.other, name="邻居")
    await log_in(client, organiser)
    base = f"/manage/volunteers?community={org.community.id}"
    everyone = text_of((await client.get(base)).text)
    assert "张理发" in everyone and "新来的" in everyone and "邻居" not in everyone
    assert "1 名自主注册的志愿者等待审核" in everyone
    assert "张理发" in text_of((await client.get(base + "&skill=理发")).text)
    blank = await client.get(base + "&q=&status=&team=&grid=&skill=&page=")  # what the filter form sends
    assert blank.status_code == 200 and "张理发" in blank.text
    by_team = text_of((await client.get(f"{base}&team={team.id}")).text)
    assert "李队员" in by_team and "张理发" not in by_team
    assert "找到 1 名志愿者" in text_of((await client.get(base + "&q=新来")).text)
    back = location(await post(client, f"/manage/volunteers/{waiting.id}/status/approve", {"back": "list"}))
    assert "已审核通过" in (await client.get(back)).text
    refused = await post(client, f"/manage/volunteers/{waiting.id}/status/suspend", {"reason": ""})
    assert refused.status_code == 422 and "请填写原因" in refused.text
    twice = await post(client, f"/manage/volunteers/{waiting.id}/status/approve")
    assert twice.status_code == 409 and "志愿者当前的状态不能这样修改" in twice.text


async def test_team_leaders_see_their_members_only_and_cannot_register(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    member = await make_volunteer(session, org.community, name="队里的")
    await make_volunteer(session, org.community, name="队外的")
    team = await make_team(session, org.community, members=[member])
    leader = await make_person(session, Role.TEAM_LEADER, community=org.community, team=team)
    await log_in(client, leader)
    listed = text_of((await client.get(f"/manage/volunteers?community={org.community.id}")).text)
    assert "队里的" in listed and "队外的" not in listed
    assert (await client.get(f"/manage/volunteers/new?community={org.community.id}")).status_code == 403
    assert (await client.get(f"/manage/volunteers/{member.id}")).status_code == 200


async def test_card_page_and_reissue(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_volunteer(session, org.community, name="刘奶奶")
    await log_in(client, organiser)
    card = await client.get(f"/manage/volunteers/{volunteer.id}/card")
    assert card.status_code == 200 and "data:image/svg+xml;base64," in card.text and "刘奶奶" in card.text
    location(await post(client, f"/manage/volunteers/{volunteer.id}/card/reissue", {"reason": "卡片丢失"}))
    async with db.session_scope() as s:
        assert (await s.get(Volunteer, volunteer.id)).card_version == 2


async def test_teams_create_add_by_number_leader_and_remove(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    with_login = await make_person(session, Role.VOLUNTEER, community=org.community, name="有账号")
    plain = await make_volunteer(session, org.community, name="没账号")
    await log_in(client, organiser)
    form = {"community_id": str(org.community.id), "name": "党员先锋队", "kind": "党员"}
    url = location(await post(client, "/manage/teams", form)).split("?")[0]
    again = await post(client, "/manage/teams", form)
    assert again.status_code == 422 and "本社区已有同名的服务队" in again.text
    location(await post(client, url + "/members", {"who": plain.number}))
    no_login = location(await post(client, url + "/members", {"who": plain.phone, "leader": "1"}))
    assert "还没有登录账号" in (await client.get(no_login)).text
    location(await post(client, url + "/members", {"who": with_login.volunteer.number, "leader": "1"}))
    unknown = location(await post(client, url + "/members", {"who": "NOBODY-1"}))
    assert "找不到这位志愿者" in (await client.get(unknown)).text
    page = text_of((await client.get(url)).text)
    assert "没账号" in page and "有账号" in page and "队长" in page
    team_id = int(url.rsplit("/", 1)[1])
    location(await post(client, f"{url}/members/{plain.id}/remove"))
    async with db.session_scope() as s:
        members = set((await s.scalars(select(TeamMember.volunteer_id).where(TeamMember.team_id == team_id))).all())
        leaders = (await s.scalars(select(RoleGrant).where(RoleGrant.team_id == team_id))).all()
    assert members == {with_login.volunteer.id} and len(leaders) == 1


def _roster(rows: list[list[object]]) -> bytes:
    book = Workbook()
    book.active.append(["姓名", "手机号", "身份证号", "服务队"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_import_checks_first_then_imports_the_good_rows(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await make_team(session, org.community, name="文艺队")
    await log_in(client, organiser)
    assert (await client.get(f"/manage/import?community={org.community.id}")).status_code == 200
    content = _roster([["陈阿姨", "13911112222", ID_NUMBER, "文艺队"], ["坏行", "12345", "", ""],
                       ["孙师傅", "13933334444", "", "不存在的队"]])
    files = {"file": ("花名册.xlsx", content, "application/octet-stream")}
    data = {"community_id": str(org.community.id), "mode": "check", "csrf_token": client.cookies.get("sb_csrf")}
    checked = await client.post("/manage/import", data=data, files=files)
    words = text_of(checked.text)
    assert checked.status_code == 200 and "共 3 行，其中 1 行可以导入；2 行有问题" in words
    assert "3 手机号 这不是电话号码" in words and "4 服务队 本社区没有这个名称的服务队" in words
    assert await _count(db) == 0  # a check saves nothing
    carried = checked.text.split('name="content" value="')[1].split('"')[0]
    done = await post(client, "/manage/import", {"community_id": str(org.community.id), "mode": "import",
                                                 "content": carried, "filename": "花名册.xlsx"})
    assert "已导入 1 名志愿者；跳过 2 行" in text_of(done.text)
    assert await _count(db, Volunteer.real_name == "陈阿姨") == 1
    wrong = await client.post("/manage/import", data={**data, "csrf_token": client.cookies.get("sb_csrf")},
                              files={"file": ("roster.pdf", b"%PDF-1.4 not a roster", "application/pdf")})
    assert wrong.status_code == 422 and "只能导入 .xlsx 或 .csv 文件" in wrong.text


async def test_templates_are_read_by_the_importer(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    xlsx = await client.get("/manage/import/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    for content, name in ((xlsx.content, "t.xlsx"), (template_csv(), "t.csv"), (template_xlsx(), "t.xlsx")):
        roster = read_roster(content, filename=name)
        assert roster.rows == [] and {"real_name", "phone", "id_number", "teams", "grid"} <= set(roster.columns)


async def test_a_crafted_workbook_is_refused_in_chinese_on_the_page(client, session) -> None:  # noqa: ANN001
    from tests.volunteers.test_import_limits import HEADER, workbook

    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    data = {"community_id": str(org.community.id), "mode": "check", "csrf_token": client.cookies.get("sb_csrf")}
    far_column = workbook([HEADER, '<row r="2"><c r="ZZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>'])
    refused = await client.post("/manage/import", data=data, files={"file": ("花名册.xlsx", far_column)})
    assert refused.status_code == 422 and "文件过大，无法安全读取" in text_of(refused.text)

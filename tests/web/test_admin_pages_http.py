"""The administrators' pages over HTTP: who reaches them, whose logins a street office looks after, what a forged
form is told, and the audit log of those changes in words."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import LoginThrottle, Role
from servicebank.audit.models import AuditEntry
from servicebank.web import audit_text, i18n
from tests.factories import PASSWORD, make_org, make_person
from tests.web.pages import location, log_in, post, text_of


async def test_administrators_land_on_their_overview_and_others_are_told_in_words(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    street_admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    await log_in(client, street_admin)
    assert location(await client.get("/")) == "/admin"
    page = text_of((await client.get("/admin")).text)
    assert org.community.name in page and org.other.name in page and "还没有社工" in page
    for role in (Role.ORGANISER, Role.VOLUNTEER):
        client.cookies.clear()
        await log_in(client, await make_person(session, role, community=org.community))
        refused = await client.get("/admin", headers={"Accept": "text/html"})
        assert refused.status_code == 403
        assert "只有平台或街道管理员可以做这件事" in text_of(refused.text) and 'id="home-link"' in refused.text


async def test_a_street_office_looks_after_its_own_streets_logins_only(client, session) -> None:  # noqa: ANN001
    org, elsewhere = await make_org(session), await make_org(session)
    street_admin = await make_person(session, Role.STREET_ADMIN, street=org.street)
    ours = await make_person(session, Role.ORGANISER, community=org.community)
    theirs = await make_person(session, Role.ORGANISER, community=elsewhere.community)
    platform = await make_person(session, Role.PLATFORM_ADMIN)
    await log_in(client, street_admin)
    # Another street's community is not there at all.
    assert (await client.get(f"/admin/communities/{elsewhere.community.id}/staff")).status_code == 404
    # Another street's login, through our own community's address: "no such login"; the platform's: not ours to
    # change. Nothing changed either way.
    for user, code, words in ((theirs.user, "user_not_found", "这个账号已经不存在"),
                              (platform.user, "admin_required", "只有平台或街道管理员")):
        answer = await post(client, f"/admin/communities/{org.community.id}/staff/{user.id}/password",
                            {"password": "taken-over-1"})
        assert location(answer).endswith(f"error={code}"), (user.display_name, location(answer))
        assert words in text_of((await client.get(location(answer))).text)
    assert (await client.post("/api/auth/login", json={"login": theirs.user.username,
                                                       "password": "taken-over-1"})).status_code == 401
    # Our own login is changed on the own password page, not here.
    self_reset = await post(client, f"/admin/communities/{org.community.id}/staff/{street_admin.user.id}/password",
                            {"password": "my-new-pass-1"})
    assert location(self_reset).endswith("error=cannot_change_self")
    # Our organiser: a weak password is refused in words, a good one ends the sessions and lifts a wait.
    weak = await post(client, f"/admin/communities/{org.community.id}/staff/{ours.user.id}/password",
                      {"password": "1234"})
    assert location(weak).endswith("error=weak_password")
    session.add(LoginThrottle(key=f"user:{ours.user.id}", failures=9))
    await session.commit()
    done = await post(client, f"/admin/communities/{org.community.id}/staff/{ours.user.id}/password",
                      {"password": "fresh-start-1"})
    assert location(done).endswith("done=password")
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {ours.token}"})).status_code == 401
    assert await session.scalar(select(LoginThrottle).where(LoginThrottle.key == f"user:{ours.user.id}")) is None
    await session.commit()  # SQLite has one connection: give it back to the app
    assert (await client.post("/api/auth/login", json={"login": ours.user.username,
                                                       "password": "fresh-start-1"})).status_code == 200
    assert (await client.post("/api/auth/login", json={"login": ours.user.username,
                                                       "password": PASSWORD})).status_code == 401


async def test_a_forged_street_is_refused_and_what_was_typed_stays(client, session) -> None:  # noqa: ANN001
    org, elsewhere = await make_org(session), await make_org(session)
    await log_in(client, await make_person(session, Role.STREET_ADMIN, street=org.street))
    form = (await client.get("/admin/communities/new")).text
    assert f'value="street:{org.street.id}"' in form and f"street:{elsewhere.street.id}" not in form
    forged = await post(client, "/admin/communities/new", {"street": f"street:{elsewhere.street.id}",
                                                           "name": "越界社区", "code": "YJ"})
    assert forged.status_code == 422
    assert "请选择社区所属的街道" in text_of(forged.text) and 'value="越界社区"' in forged.text
    made = await post(client, "/admin/communities/new", {"street": f"street:{org.street.id}", "name": "新风社区",
                                                         "code": "xf9"})
    assert location(made).endswith("/staff?done=community")
    assert "社区已创建" in text_of((await client.get(location(made))).text)


async def test_disabling_ends_the_sessions_and_the_log_says_so_in_words(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    await log_in(client, await make_person(session, Role.STREET_ADMIN, street=org.street))
    ours = await make_person(session, Role.ORGANISER, community=org.community)
    staff_page = f"/admin/communities/{org.community.id}/staff"
    assert location(await post(client, f"{staff_page}/{ours.user.id}/disable", {"reason": "离职"})).endswith(
        "done=disabled")
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {ours.token}"})).status_code == 401
    assert "已停用" in text_of((await client.get(staff_page)).text)
    assert location(await post(client, f"{staff_page}/{ours.user.id}/enable")).endswith("done=enabled")
    await session.refresh(ours.user)
    assert ours.user.is_active
    await session.commit()
    log = text_of((await client.get(f"/manage/audit?community={org.community.id}")).text)
    assert "账号已停用" in log and "账号重新启用" in log and "离职" in log
    actions = set(await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(ours.user.id))))
    assert {"user.disable", "user.enable"} <= actions


def test_the_log_names_login_and_community_fields_in_words() -> None:
    _ = i18n.translator("zh")
    rows = audit_text.changes(None, {"username": "xiaowu", "display_name": "社工小吴", "is_active": True,
                                     "grant": {"id": 9, "user_id": 14, "role": "organiser", "street_id": None,
                                               "community_id": 5, "team_id": None, "store_id": None}}, _, "Asia/Shanghai")
    shown = " ".join(" ".join(row) for row in rows)
    assert "角色 — 登录账号: 14；角色: 社区社工（组织者）" in shown, shown
    for raw in ("is_active", "display_name", "username", "organiser", "street_id", "store_id", "None"):
        assert raw not in shown, (raw, shown)
    community = audit_text.changes(None, {"name": "新风社区", "district_id": 1, "street_id": 1, "code": "XF",
                                          "contact_phone": "021-66667777"}, _, "Asia/Shanghai")
    assert {row[0] for row in community} == {"名称", "街道", "区", "社区编号", "联系电话"}


async def test_a_street_list_is_the_streets_own(client, session) -> None:  # noqa: ANN001
    import datetime as dt

    from servicebank.honours.models import HonourList

    org, elsewhere = await make_org(session), await make_org(session)
    period = {"month": "2020-01", "status": "draft", "period_start": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
              "period_end": dt.datetime(2020, 2, 1, tzinfo=dt.UTC)}
    street_list = HonourList(scope_kind="street", scope_id=elsewhere.street.id, title="别的街道光荣榜", **period)
    community_list = HonourList(scope_kind="community", scope_id=org.community.id, title="社区榜", **period)
    session.add_all([street_list, community_list])
    await session.commit()
    await log_in(client, await make_person(session, Role.STREET_ADMIN, street=org.street))
    # Only the caller's streets are offered; another street's list is not there to publish.
    page = (await client.get("/admin/honours")).text
    assert org.street.name in page and elsewhere.street.name not in page
    assert (await post(client, f"/admin/honours/{street_list.id}/publish")).status_code == 404
    made = await post(client, "/admin/honours/generate", {"street_id": str(elsewhere.street.id), "month": "2020-01"})
    assert "error=" in location(made)
    # Nobody reads a draft, an unknown street or a community's list through the street's pages.
    assert (await client.get("/public/streets/999999/honours", headers={"Accept": "text/html"})).status_code == 404
    assert "别的街道光荣榜" not in (await client.get(f"/public/streets/{elsewhere.street.id}/honours")).text
    objection = await post(client, f"/public/streets/honours/{community_list.id}/objections",
                           {"name": "某人", "text": "有问题"})
    assert objection.status_code == 404

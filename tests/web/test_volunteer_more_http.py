"""The volunteer's gift, certificate request, store page and web check-in position over HTTP, on both backends:
the refusals the browser test does not reach (no family link, a bad amount, a second request, a position that is
not one), a form sent twice gives once, and the public calendar stops after four weeks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from servicebank.accounts.models import Role
from servicebank.accounts.sessions import load_principal
from servicebank.activities.models import Activity
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance, CheckinPolicy, GeofenceMode
from servicebank.family import service as family
from servicebank.family.schemas import FamilyLinkRecordIn
from servicebank.honours.models import Certificate
from servicebank.ledger import transactions as ledger
from servicebank.ledger.models import TransferRecord
from tests.factories import make_org, make_person, make_volunteer
from tests.web.pages import location, log_in, post, text_of


async def _with_points(session, community, volunteer_id: int, points: int) -> None:  # noqa: ANN001
    issuer = await ledger.community_account(session, community.id)
    account = await ledger.volunteer_account(session, volunteer_id)
    await ledger.post_transaction(session, source_key=f"test-credit:{volunteer_id}", kind="service",
                                  entries=[(issuer.id, -points), (account.id, points)])
    await session.commit()


async def test_gifts_go_only_to_family_and_once_per_form(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    giver = await make_person(session, Role.VOLUNTEER, community=org.community, name="钱大伯")
    son = await make_volunteer(session, org.community, name="钱小明")
    stranger = await make_volunteer(session, org.community, name="路人甲")
    await _with_points(session, org.community, giver.volunteer.id, 50)
    await log_in(client, giver)
    page = text_of((await client.get("/me")).text)
    assert "转赠积分给家人" in page and "积分只能转赠给在这里关联的家庭成员" in page, "no form before a link"

    refused = await post(client, "/me/gifts", {"to_volunteer_id": stranger.id, "amount": "5", "idempotency_key": "a"})
    assert location(refused) == "/me?gift_error=family_link_required#gift"
    assert "积分只能转赠给已确认关系的家庭成员" in text_of((await client.get(location(refused))).text)

    await family.record_link(session, principal=await load_principal(session, organiser.user),
                             community_id=org.community.id,
                             data=FamilyLinkRecordIn(volunteer_id=giver.volunteer.id, relative_number=son.number,
                                                     relation="子女"))
    await session.commit()
    bad = await post(client, "/me/gifts", {"to_volunteer_id": son.id, "amount": "五", "idempotency_key": "b"})
    assert location(bad) == "/me?gift_error=bad_amount#gift"
    assert "请填写整数积分" in text_of((await client.get(location(bad))).text)
    too_much = await post(client, "/me/gifts", {"to_volunteer_id": son.id, "amount": "500", "idempotency_key": "c"})
    assert location(too_much) == "/me?gift_error=insufficient_balance#gift"

    form = {"to_volunteer_id": son.id, "amount": "12", "idempotency_key": "same-form", "memo": "生日快乐"}
    assert location(await post(client, "/me/gifts", form)) == "/me?done=gift_sent#gift"
    assert location(await post(client, "/me/gifts", form)) == "/me?done=gift_sent#gift"
    async with db.session_scope() as s:
        assert await s.scalar(select(func.count()).select_from(TransferRecord)) == 1, "the same form gives once"
        assert (await ledger.volunteer_account(s, son.id)).balance == 12
    page = text_of((await client.get("/me?done=gift_sent")).text)
    assert "积分已转赠" in page and "钱小明" in page


async def test_a_certificate_request_waits_and_a_second_is_refused(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    await log_in(client, me)
    today = dt.date.today()
    period = {"period_start": (today - dt.timedelta(days=60)).isoformat(),
              "period_end": (today - dt.timedelta(days=1)).isoformat(), "purpose": "升学"}
    no_dates = await post(client, "/me/certificates/request", {"period_start": "", "period_end": ""})
    assert no_dates.status_code == 422 and "请选择起止日期" in text_of(no_dates.text)
    assert location(await post(client, "/me/certificates/request", period)) == \
        "/me/certificates?done=requested#certificates"
    again = await post(client, "/me/certificates/request", period)
    assert again.status_code == 409 and "已有一份申请正在等待" in text_of(again.text)
    async with db.session_scope() as s:
        rows = (await s.scalars(select(Certificate))).all()
        assert [(c.status, c.purpose) for c in rows] == [("requested", "升学")]


async def test_the_store_page_without_a_store(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    await log_in(client, me)
    page = text_of((await client.get("/me/stores")).text)
    assert "爱心超市" in page and "您的社区还没有爱心超市" in page


async def test_web_check_in_sends_its_position_to_the_geofence(app, client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    now = dt.datetime.now(dt.UTC)
    venue = Activity(community_id=org.community.id, kind="patrol", title="防汛值守", status="published",
                     starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=2),
                     latitude=31.2304, longitude=121.4737)
    session.add(venue)
    await session.flush()
    session.add(CheckinPolicy(activity_id=venue.id, radius_m=300, geofence_mode=GeofenceMode.REFUSE))
    await session.commit()
    await log_in(client, me)
    settings = app.state.settings
    token = tokens.issue_kiosk_token(secret_key=settings.secret_key, rotation_seconds=settings.qr_rotation_seconds,
                                     activity_id=venue.id, purpose=tokens.CHECK_IN, now=now).token
    page = (await client.get(f"/c/{token}")).text
    assert 'name="latitude"' in page and "/static/position.js" in page
    for junk in ({"latitude": "abc", "longitude": "121.4737"}, {"latitude": "nan", "longitude": "nan"},
                 {"latitude": "131.2", "longitude": "121.4737"}, {"latitude": "31.2304"}):
        refused = await post(client, f"/c/{token}", junk)
        assert refused.status_code == 409 and "请允许本页面获取您的位置" in text_of(refused.text), junk
    far = await post(client, f"/c/{token}", {"latitude": "31.30", "longitude": "121.55"})
    assert far.status_code == 409 and "离活动地点太远" in text_of(far.text)
    there = await post(client, f"/c/{token}", {"latitude": "31.2306", "longitude": "121.4739"})
    assert there.status_code == 200 and "签到成功" in text_of(there.text)
    async with db.session_scope() as s:
        record = await s.scalar(select(Attendance).where(Attendance.activity_id == venue.id))
        assert record is not None and record.volunteer_id == me.volunteer.id


async def test_the_public_calendar_covers_four_weeks_by_day(client, session, settings) -> None:  # noqa: ANN001
    org = await make_org(session)
    now = dt.datetime.now(dt.UTC)
    local_days = set()
    for days, title in ((2, "两天后的义诊"), (2.05, "稍后的理发"), (20, "三周后的讲座"), (40, "六周后的演出")):
        start = now + dt.timedelta(days=days)
        session.add(Activity(community_id=org.community.id, kind="cleanup", title=title, status="published",
                             starts_at=start, ends_at=start + dt.timedelta(hours=1)))
        if days < 28:
            local_days.add(start.astimezone(ZoneInfo(settings.timezone)).date())
    await session.commit()
    html = (await client.get(f"/public/communities/{org.community.id}")).text
    page = text_of(html)
    assert "两天后的义诊" in page and "三周后的讲座" in page and "六周后的演出" not in page
    assert html.count('class="day"') == len(local_days), "one block per local day"
    assert "如何加入" in page and "社区审核" in page and f"/public/communities/{org.community.id}/join" in html

"""Organiser pages over HTTP: the repeat picker, editing an activity, series, attendance review and 代签 by card."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity, ActivitySeries
from servicebank.checkins.models import Attendance
from servicebank.kernel.errors import InvalidInput
from servicebank.web import recurrence
from tests.checkins.helpers import card, make_activity, sign_up
from tests.factories import make_org, make_person, make_team
from tests.web.pages import location, log_in, post, text_of

# Web-layer rules: the domains test their own rules on both backends.
pytestmark = [pytest.mark.sqlite_only]
TZ = "Asia/Shanghai"


def _repeat(**fields: object) -> dict[str, object]:
    return {"freq": "weekly", "weekday": ["SA"], "interval": "1", "first_day": "2026-11-18", "start_time": "09:00",
            "length_minutes": "120", "until": "", **fields}


def test_picker_builds_the_rrule_and_finds_the_first_real_date() -> None:
    repeat = recurrence.parse_repeat(_repeat(weekday=["SA", "SU"], until="2026-12-31"))
    assert recurrence.to_rrule(repeat) == "FREQ=WEEKLY;BYDAY=SA,SU;UNTIL=20261231T235959"
    start, end = recurrence.first_occurrence(repeat, timezone=TZ)
    assert start == dt.datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo(TZ))  # the first Saturday, not the Wednesday
    assert end - start == dt.timedelta(minutes=120)
    monthly = recurrence.parse_repeat(_repeat(freq="monthly", monthday="-1", interval="2"))
    assert recurrence.to_rrule(monthly) == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1"
    assert recurrence.first_occurrence(monthly, timezone=TZ)[0].date() == dt.date(2026, 11, 30)


def test_picker_reads_its_own_rules_back_and_words_them() -> None:
    start = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
    values = recurrence.read_rrule("FREQ=WEEKLY;BYDAY=SA,SU;UNTIL=20261231T235959", first_start=start,
                                   length_minutes=90, timezone=TZ)
    assert values is not None
    assert values["weekday"] == ["SA", "SU"] and values["start_time"] == "09:00" and values["until"] == "2026-12-31"
    assert recurrence.read_rrule("FREQ=WEEKLY;BYDAY=1SA", first_start=start, length_minutes=90, timezone=TZ) is None
    words = recurrence.describe("FREQ=WEEKLY;BYDAY=SA,SU", first_start=start, length_minutes=90, timezone=TZ,
                                _=lambda text, **values: text % values if values else text)
    assert words == "Every week on Sat、Sun · 09:00, 90 minutes"


@pytest.mark.parametrize("fields, code", [
    ({"weekday": []}, "repeat_weekday_required"), ({"freq": "daily"}, "invalid_repeat"),
    ({"length_minutes": "0"}, "invalid_repeat_length"), ({"until": "2026-11-01"}, "invalid_repeat_until"),
    ({"start_time": "9 o'clock"}, "invalid_repeat"), ({"monthday": "32", "freq": "monthly"}, "invalid_repeat"),
    ({"interval": "13"}, "invalid_repeat"),
])
def test_picker_refuses_what_makes_no_schedule(fields: dict, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        recurrence.parse_repeat(_repeat(**fields))
    assert caught.value.code == code


def test_a_schedule_that_never_happens_is_refused() -> None:
    repeat = recurrence.parse_repeat(_repeat(freq="monthly", monthday="31", first_day="2027-02-01",
                                             until="2027-02-27"))
    with pytest.raises(InvalidInput) as caught:
        recurrence.first_occurrence(repeat, timezone=TZ)
    assert caught.value.code == "repeat_never_happens"


async def test_editing_saves_every_field_and_only_what_changed(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    team = await make_team(session, org.community, name="党员先锋队")
    activity = await make_activity(session, org, starts_in=dt.timedelta(days=2))
    await log_in(client, organiser)
    menu = await client.get("/manage")
    assert menu.status_code == 200 and f"/manage/import?community={org.community.id}" in menu.text
    page = await client.get(f"/manage/activities/{activity.id}/edit")
    assert page.status_code == 200 and 'name="hr_multiplier"' in page.text and "党员先锋队" in page.text
    local = activity.starts_at.astimezone(ZoneInfo(TZ))
    form = {"title": "楼道大扫除", "kind": "cleanup", "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "capacity": "12",
            "team_ids": str(team.id), "required_skill": "维修", "beneficiary_groups": "老年人、儿童",
            "beneficiaries_count": "30", "hr_multiplier": "1.5", "hr_rounding": "down", "hr_earns_points": "no"}
    assert location(await post(client, f"/manage/activities/{activity.id}/edit", form)).endswith("done=saved")
    async with db.session_scope() as s:
        saved = await s.get(Activity, activity.id)
        assert (saved.title, saved.capacity, saved.team_ids, saved.required_skill) == ("楼道大扫除", 12, [team.id], "维修")
        assert saved.beneficiary_groups == ["老年人", "儿童"] and saved.beneficiaries_count == 30
        assert saved.hours_rule_override == {"multiplier_permille": 1500, "rounding": "down", "earns_points": False}
        assert saved.ends_at == (local + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    shown = await client.get(f"/manage/activities/{activity.id}/edit")
    assert 'value="1.5"' in shown.text and 'value="老年人、儿童"' in shown.text


async def test_a_refused_edit_is_explained_and_changes_nothing(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    activity = await make_activity(session, org, starts_in=dt.timedelta(days=2))
    await log_in(client, organiser)
    local = activity.starts_at.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M")
    refused = await post(client, f"/manage/activities/{activity.id}/edit",
                         {"title": "新名字", "kind": "cleanup", "starts_at": local, "ends_at": local})
    assert refused.status_code == 422 and "结束时间必须晚于开始时间" in refused.text
    assert 'value="新名字"' in refused.text  # what was typed stays in the form
    async with db.session_scope() as s:
        assert (await s.get(Activity, activity.id)).title == "楼道清洁"


async def test_volunteers_cannot_open_the_edit_page(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    activity = await make_activity(session, org, starts_in=dt.timedelta(days=2))
    await log_in(client, volunteer)
    assert (await client.get(f"/manage/activities/{activity.id}/edit")).status_code == 403
    assert (await post(client, f"/manage/activities/{activity.id}/edit", {"title": "x"})).status_code == 403


async def test_series_from_the_picker_edit_one_date_then_the_series_then_cancel(client, session, db) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    assert (await client.get(f"/manage/series/new?community={org.community.id}")).status_code == 200
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    form = {"community_id": str(org.community.id), "title": "周六义剪", "kind": "cleanup", "freq": "weekly",
            "weekday": ["SA"], "interval": "1", "first_day": (today + dt.timedelta(days=1)).isoformat(),
            "start_time": "09:30", "length_minutes": "90", "until": (today + dt.timedelta(days=40)).isoformat(),
            "publish": "1"}
    series_url = location(await post(client, "/manage/series/new", form)).split("?")[0]
    page = await client.get(series_url)
    assert "每周周六 · 09:30 开始，每次 90 分钟" in text_of(page.text)
    async with db.session_scope() as s:
        series = (await s.scalars(select(ActivitySeries))).one()
        dates = list((await s.scalars(select(Activity).where(Activity.series_id == series.id)
                                      .order_by(Activity.starts_at))).all())
    assert 5 <= len(dates) <= 6 and all(a.starts_at.astimezone(ZoneInfo(TZ)).weekday() == 5 for a in dates)
    assert all(a.status == "published" and a.title == "周六义剪" for a in dates)
    # Saving one date unchanged does not detach it; changing its title does.
    first = dates[0]
    one = {"title": "周六义剪", "kind": "cleanup",
           "starts_at": first.starts_at.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M"),
           "ends_at": first.ends_at.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M")}
    location(await post(client, f"/manage/activities/{first.id}/edit", one))
    async with db.session_scope() as s:
        assert (await s.get(Activity, first.id)).detached_from_series is False
    location(await post(client, f"/manage/activities/{first.id}/edit", {**one, "title": "重阳节义剪"}))
    # The series' new title reaches every other future date; the detached one keeps its own.
    location(await post(client, f"{series_url}/edit", {"title": "周末义剪", "kind": "cleanup"}))
    async with db.session_scope() as s:
        titles = [a.title for a in (await s.scalars(select(Activity).where(Activity.series_id == series.id)
                                                     .order_by(Activity.starts_at))).all()]
    assert titles[0] == "重阳节义剪" and set(titles[1:]) == {"周末义剪"}
    # Cancel one date from the series page: back to the series page.
    back = location(await post(client, f"/manage/activities/{dates[1].id}/cancel",
                               {"reason": "下雨", "next": series_url}))
    assert back == f"{series_url}?done=cancelled"
    location(await post(client, f"{series_url}/cancel", {"reason": "理发师休假"}))
    async with db.session_scope() as s:
        assert (await s.get(ActivitySeries, series.id)).status == "cancelled"
        statuses = {a.status for a in (await s.scalars(select(Activity).where(Activity.series_id == series.id))).all()}
    assert statuses == {"cancelled"}


async def test_series_form_keeps_the_input_and_explains_a_bad_schedule(client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)
    refused = await post(client, "/manage/series/new", {
        "community_id": str(org.community.id), "title": "巡逻", "kind": "cleanup", "freq": "weekly",
        "first_day": "2030-01-01", "start_time": "09:00", "length_minutes": "60"})
    assert refused.status_code == 422 and "请至少选择一天" in refused.text and 'value="巡逻"' in refused.text


async def test_proxy_check_in_by_card_bulk_approval_and_no_show(client, session, db, settings) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    came = await make_person(session, Role.VOLUNTEER, community=org.community, name="李桂兰")
    absent = await make_person(session, Role.VOLUNTEER, community=org.community, name="赵大爷")
    activity = await make_activity(session, org, starts_in=dt.timedelta(minutes=-30), position=None)
    await sign_up(session, activity, came.volunteer.id)
    await sign_up(session, activity, absent.volunteer.id)
    await log_in(client, organiser)
    page = await client.get(f"/manage/activities/{activity.id}")
    assert 'name="card"' in page.text and "赵大爷" in page.text  # signed up without a record
    scanned = f"https://example.org/card?c={card(settings, came.volunteer.id)}"  # scanners type URLs too
    done = location(await post(client, f"/manage/activities/{activity.id}/proxy",
                               {"card": scanned, "purpose": "check-in"}))
    assert "李桂兰：签到成功" in (await client.get(done)).text
    wrong = location(await post(client, f"/manage/activities/{activity.id}/proxy",
                                {"card": "c.1.1.forged", "purpose": "check-in"}))
    assert "这不是本平台的志愿者卡" in (await client.get(wrong)).text
    kiosk = location(await post(client, f"/manage/activities/{activity.id}/proxy",
                                {"card": card(settings, came.volunteer.id), "purpose": "check-out", "back": "kiosk"}))
    assert kiosk.startswith(f"/manage/activities/{activity.id}/kiosk?purpose=check-out")
    assert "李桂兰：签退成功" in (await client.get(kiosk)).text
    # The address carries only known outcomes: made-up words are not shown.
    assert 'class="flash' not in (await client.get(f"/manage/activities/{activity.id}?proxy=HACKED&att=1")).text
    assert "approve-all" in (await client.get(f"/manage/activities/{activity.id}")).text
    bulk = location(await post(client, f"/manage/activities/{activity.id}/approve-all"))
    assert "已通过 1 条记录" in (await client.get(bulk)).text
    location(await post(client, f"/manage/activities/{activity.id}/no-show", {"volunteer_id": absent.volunteer.id}))
    async with db.session_scope() as s:
        rows = {a.volunteer_id: a for a in (await s.scalars(select(Attendance))).all()}
    assert rows[came.volunteer.id].status == "approved" and rows[absent.volunteer.id].status == "no_show"
    assert "proxy_check_in" in rows[came.volunteer.id].flags and rows[came.volunteer.id].proxy_by_user_id

"""Recurring activities end to end: weekly patrols, editing one occurrence, editing and cancelling the series."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from servicebank.activities import series as series_service
from servicebank.activities.models import Activity, ActivitySeries
from tests.activities.conftest import create

TZ = ZoneInfo("Asia/Shanghai")


def next_saturday_evening() -> dt.datetime:
    today = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    day = today + dt.timedelta(days=(5 - today.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(19, 0), tzinfo=TZ)


def patrol(community_id: int, **overrides) -> dict:  # noqa: ANN003
    start = next_saturday_evening()
    body = {"community_id": community_id, "kind": "patrol", "title": "周六夜间巡逻", "rrule": "FREQ=WEEKLY;BYDAY=SA",
            "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "capacity": 4}
    body.update(overrides)
    return body


async def test_weekly_patrol_series(client, world, db) -> None:  # noqa: ANN001
    r = await client.post("/api/series", json=patrol(world.org.community.id), headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    series = r.json()
    upcoming = series["upcoming"]
    # 90 days of Saturdays: 12 or 13, all at 19:00 local, published.
    assert 12 <= len(upcoming) <= 13
    for item in upcoming:
        start = dt.datetime.fromisoformat(item["starts_at"]).astimezone(TZ)
        assert (start.weekday(), start.hour, start.minute) == (5, 19, 0) and item["status"] == "published"
    first, second, third = upcoming[0], upcoming[1], upcoming[2]

    # One occurrence edited and one cancelled on their own.
    r = await client.patch(f"/api/activities/{second['id']}", json={"address": "东门集合"},
                           headers=world.organiser.headers)
    assert r.json()["detached_from_series"] is True
    r = await client.post(f"/api/activities/{third['id']}/cancel", json={"reason": "节假日停一次"},
                          headers=world.organiser.headers)
    assert r.json()["status"] == "cancelled"
    await client.post(f"/api/activities/{first['id']}/signups", headers=world.volunteer.headers)

    # Editing the series changes future unedited occurrences only.
    r = await client.patch(f"/api/series/{series['id']}", json={"title": "平安巡逻", "capacity": 6},
                           headers=world.organiser.headers)
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/activities?series_id={series['id']}&limit=200", headers=world.organiser.headers)
    items = {a["id"]: a for a in r.json()["items"]}
    assert items[first["id"]]["title"] == "平安巡逻" and items[first["id"]]["capacity"] == 6
    assert items[first["id"]]["confirmed_count"] == 1
    assert items[second["id"]]["title"] == "周六夜间巡逻" and items[second["id"]]["address"] == "东门集合"
    assert items[third["id"]]["status"] == "cancelled"

    # The periodic extension is idempotent and never recreates the cancelled occurrence.
    async with db.session_scope() as s:
        assert await series_service.extend_all(s) == 0
    async with db.session_scope() as s:
        count = len((await s.scalars(select(Activity).where(Activity.series_id == series["id"]))).all())
    assert count == len(upcoming)

    # Later, the horizon moves forward.
    async with db.session_scope() as s:
        made = await series_service.extend_all(s, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=14))
    assert made == 2

    # Rescheduling to Sundays cancels the Saturday occurrences not edited on their own and creates Sundays.
    sunday = next_saturday_evening() + dt.timedelta(days=1)
    r = await client.patch(f"/api/series/{series['id']}", json={
        "rrule": "FREQ=WEEKLY;BYDAY=SU", "starts_at": sunday.isoformat(),
        "ends_at": (sunday + dt.timedelta(hours=2)).isoformat()}, headers=world.organiser.headers)
    assert r.status_code == 200, r.text
    live = [a for a in r.json()["upcoming"] if a["status"] == "published"]
    assert {dt.datetime.fromisoformat(a["starts_at"]).astimezone(TZ).weekday() for a in live} == {5, 6}
    saturdays = [a for a in live if dt.datetime.fromisoformat(a["starts_at"]).astimezone(TZ).weekday() == 5]
    assert [a["id"] for a in saturdays] == [second["id"]]  # only the detached one stays

    # Cancelling the series cancels everything not yet started, the detached occurrence too.
    r = await client.post(f"/api/series/{series['id']}/cancel", json={"reason": "巡逻队调整"},
                          headers=world.organiser.headers)
    assert r.json()["status"] == "cancelled"
    assert all(a["status"] == "cancelled" for a in r.json()["upcoming"])
    r = await client.patch(f"/api/series/{series['id']}", json={"title": "x"}, headers=world.organiser.headers)
    assert r.status_code == 409 and r.json()["code"] == "series_cancelled"


async def test_monthly_cleanup_keeps_local_time(client, world, db) -> None:  # noqa: ANN001
    start = next_saturday_evening().replace(hour=9)
    body = patrol(world.org.community.id, kind="cleanup", title="月度大扫除", rrule="RRULE:FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA",
                  starts_at=start.isoformat(), ends_at=(start + dt.timedelta(hours=3)).isoformat())
    r = await client.post("/api/series", json=body, headers=world.organiser.headers)
    assert r.status_code == 201, r.text
    starts = [dt.datetime.fromisoformat(a["starts_at"]).astimezone(TZ) for a in r.json()["upcoming"]]
    assert 2 <= len(starts) <= 4
    assert all(s.weekday() == 5 and s.day <= 7 and s.hour == 9 for s in starts)
    async with db.session_scope() as s:
        row = await s.get(ActivitySeries, r.json()["id"])
        assert row.rrule == "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA" and row.duration_minutes == 180


async def test_series_refusals(client, world) -> None:  # noqa: ANN001
    cid = world.org.community.id
    for rrule, code in [("FREQ=HOURLY", "rrule_too_frequent"), ("FREQ=SOMETIMES", "invalid_rrule"),
                        ("DTSTART:20250101T000000\nFREQ=DAILY", "invalid_rrule")]:
        r = await client.post("/api/series", json=patrol(cid, rrule=rrule), headers=world.organiser.headers)
        assert r.status_code == 422 and r.json()["code"] == code, (rrule, r.text)
    r = await client.post("/api/series", json=patrol(cid), headers=world.volunteer.headers)
    assert r.status_code == 403
    r = await client.post("/api/series", json=patrol(cid, hours_rule_override={"multiplier_permille": -1}),
                          headers=world.organiser.headers)
    assert r.json()["code"] == "invalid_hours_rule"
    one_off = await create(client, world)
    assert one_off["series_id"] is None

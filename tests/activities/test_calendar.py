"""iCalendar feeds: a signed per-volunteer feed without login, and the community's public feed."""

from __future__ import annotations

from icalendar import Calendar

from tests.activities.conftest import create


async def test_volunteer_feed_by_signed_link(client, world) -> None:  # noqa: ANN001
    mine = await create(client, world, title="敬老走访", kind="elderly_visit", address="幸福里5号")
    await create(client, world, title="别人的活动")
    cancelled = await create(client, world, title="取消的活动")
    for a in (mine, cancelled):
        await client.post(f"/api/activities/{a['id']}/signups", headers=world.volunteer.headers)
    await client.post(f"/api/activities/{cancelled['id']}/cancel", json={"reason": "下雨"},
                      headers=world.organiser.headers)
    r = await client.get("/api/me/calendar", headers=world.volunteer.headers)
    url = r.json()["url"]
    assert url.startswith("http://testserver/api/calendar/volunteer/") and url.endswith(".ics")
    path = url.removeprefix("http://testserver")
    r = await client.get(path)  # no login: phone calendars cannot log in
    assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
    events = {str(e["summary"]): e for e in Calendar.from_ical(r.content).walk("VEVENT")}
    assert set(events) == {"敬老走访", "取消的活动"}
    assert str(events["敬老走访"]["location"]) == "幸福里5号"
    assert str(events["取消的活动"]["status"]) == "CANCELLED"
    # Forged or altered tokens find nothing.
    volunteer_id = world.volunteer.volunteer.id
    for bad in (f"{volunteer_id}-forged.ics", f"{volunteer_id + 1}-{path.rsplit('-', 1)[1]}", "abc.ics",
                path.rsplit("/", 1)[1].removesuffix(".ics")):
        r = await client.get(f"/api/calendar/volunteer/{bad}")
        assert r.status_code == 404 and r.json()["code"] == "calendar_not_found", bad


async def test_community_feed_shows_public_activities_only(client, world) -> None:  # noqa: ANN001
    await create(client, world, title="公开活动")
    await create(client, world, title="草稿", publish=False)
    r = await client.get(f"/api/calendar/community/{world.org.community.id}.ics")
    assert r.status_code == 200
    cal = Calendar.from_ical(r.content)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["公开活动"]
    r = await client.get("/api/calendar/community/999999.ics")
    assert r.status_code == 404

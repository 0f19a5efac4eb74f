"""Fixtures for the records tests: the activities world, and a way to make a volunteer miss an activity."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from servicebank.activities.models import Activity
from servicebank.records import no_shows
from tests.activities.conftest import World, create, world  # noqa: F401 - the fixture is shared
from tests.factories import Person


async def end_activity(db, activity_id: int, *, hours_ago: float = 1) -> None:  # noqa: ANN001
    """Move an activity into the past, as if it had been held and finished."""
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    async with db.session_scope() as s:
        await s.execute(update(Activity).where(Activity.id == activity_id)
                        .values(starts_at=end - dt.timedelta(hours=2), ends_at=end, status="completed"))


async def miss(client, db, setting: World, person: Person, *, hours_ago: float = 1) -> int:  # noqa: ANN001
    """An activity the person signed up for (on their behalf, so no hold applies) and never came to."""
    activity = await create(client, setting)
    r = await client.post(f"/api/activities/{activity['id']}/signups", json={"volunteer_id": person.volunteer.id},
                          headers=setting.organiser.headers)
    assert r.status_code == 201 and r.json()["status"] == "confirmed", r.text
    await end_activity(db, activity["id"], hours_ago=hours_ago)
    async with db.session_scope() as s:
        await no_shows.mark_ended(s)
    return activity["id"]

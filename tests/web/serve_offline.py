"""For the offline check-in test (tests/web/test_offline_checkin_browser.py): an activity open for check-in now,
with the volunteer's confirmed place, that no other test touches."""

from __future__ import annotations

import datetime as dt


async def offline_world(session, community, volunteer_id: int) -> dict[str, object]:  # noqa: ANN001
    from servicebank.activities.models import Activity, Signup

    now = dt.datetime.now(dt.UTC)
    activity = Activity(community_id=community.id, kind="cleanup", title="楼道清洁（地下室）", status="published",
                        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=8))
    session.add(activity)
    await session.flush()
    session.add(Signup(activity_id=activity.id, volunteer_id=volunteer_id, status="confirmed"))
    await session.commit()
    return {"offline_activity_id": activity.id}

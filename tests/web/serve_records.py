"""The browser world's service records: a volunteer of their own (so other tests' hours stay as they are) and an
activity of two days ago they served at without scanning, for the late claim (补录)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")


async def claims_world(session, community) -> dict[str, object]:  # noqa: ANN001
    from servicebank.accounts.models import Role
    from servicebank.activities.models import Activity
    from tests.factories import make_person

    claimant = await make_person(session, Role.VOLUNTEER, community=community, name="赵补录")
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(second=0, microsecond=0)
    missed = Activity(community_id=community.id, kind="cleanup", title="湿地公园捡垃圾", status="completed",
                      starts_at=end - dt.timedelta(hours=2), ends_at=end)
    session.add(missed)
    await session.commit()
    local = "%Y-%m-%dT%H:%M"
    assert claimant.volunteer is not None
    return {"claimant": claimant.user.phone, "claimant_id": claimant.volunteer.id, "claim_activity_id": missed.id,
            "claim_starts": (end - dt.timedelta(hours=2)).astimezone(LOCAL).strftime(local),
            "claim_ends": end.astimezone(LOCAL).strftime(local)}

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


async def insurance_world(session, community) -> dict[str, object]:  # noqa: ANN001
    """A kind of the community's own (扫雪除冰) that requires insurance cover, an activity of it in three days, and a
    volunteer of their own with no cover yet."""
    from servicebank.accounts.models import Role
    from servicebank.activities.models import Activity, ActivityKind
    from servicebank.records.models import CoverRequirement
    from tests.factories import make_person

    insured = await make_person(session, Role.VOLUNTEER, community=community, name="孙参保")
    session.add(ActivityKind(community_id=community.id, code="snow_clearing", name="扫雪除冰"))
    session.add(CoverRequirement(community_id=community.id, kind_code="snow_clearing"))
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    snow = Activity(community_id=community.id, kind="snow_clearing", title="雪后扫雪除冰", status="published",
                    starts_at=start, ends_at=start + dt.timedelta(hours=2), address="小区主干道")
    session.add(snow)
    await session.commit()
    assert insured.volunteer is not None
    return {"insured": insured.user.phone, "insured_id": insured.volunteer.id, "snow_activity_id": snow.id}

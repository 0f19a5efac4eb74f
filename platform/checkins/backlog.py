"""What waits for an organiser after activities end: records to approve, per activity (the dashboard's 待处理)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.checkins.access import require_reviewer
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel import direct


@dataclass(frozen=True)
class AwaitingReview:
    activity_id: int
    title: str
    starts_at: dt.datetime
    records: int


async def awaiting_review(session: AsyncSession, *, principal: Principal, community_id: int,
                          limit: int = 20) -> list[AwaitingReview]:
    """Activities of the community with closed records nobody approved or declined yet, oldest first:
    ended activities leave the upcoming list, so without this their records were reachable only by URL."""
    require_reviewer(principal, community_id)
    rows = await direct.read(session, _awaiting_statement(), {"community_id": community_id, "limit": limit})
    return [AwaitingReview(activity_id=a, title=t, starts_at=s, records=int(n)) for a, t, s, n in rows]


@cache
def _awaiting_statement() -> Any:  # noqa: ANN401
    # Built once and sent through kernel/direct.py: the dashboard reads it on every view.
    return (select(Activity.id, Activity.title, Activity.starts_at, func.count(Attendance.id))
            .join(Attendance, Attendance.activity_id == Activity.id)
            .where(Activity.community_id == bindparam("community_id", type_=BigInteger),
                   or_(*(Attendance.status == status for status in AttendanceStatus.AWAITING_REVIEW)))
            .group_by(Activity.id, Activity.title, Activity.starts_at)
            .order_by(Activity.starts_at, Activity.id).limit(bindparam("limit", type_=Integer)))

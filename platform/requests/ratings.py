"""评价情况: what residents said of a volunteer's services (average stars, how many ratings, the tags most given),
for the volunteer's service record and their certificate (the 民政部 record rules list 评价情况 as a field)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import NotFound
from servicebank.requests.models import RequestRating, ServiceRequest
from servicebank.requests.schemas import RatingSummaryOut
from servicebank.volunteers.models import Volunteer

TOP_TAGS = 5


@dataclasses.dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float  # stars, one decimal
    tags: list[tuple[str, int]]  # the most given tags, most first

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "average": self.average, "tags": [list(t) for t in self.tags]}


async def received(session: AsyncSession, *, volunteer_id: int, served_from: dt.datetime | None = None,
                   served_before: dt.datetime | None = None) -> RatingSummary | None:
    """The ratings of the volunteer's services finished in [served_from, served_before); None without any."""
    query = (select(RequestRating.stars, RequestRating.tags)
             .join(ServiceRequest, ServiceRequest.id == RequestRating.request_id)
             .where(RequestRating.volunteer_id == volunteer_id))
    if served_from is not None:
        query = query.where(ServiceRequest.finished_at >= served_from)
    if served_before is not None:
        query = query.where(ServiceRequest.finished_at < served_before)
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    tags = Counter(tag for _stars, row_tags in rows for tag in (row_tags or []))
    return RatingSummary(count=len(rows), average=round(sum(stars for stars, _ in rows) / len(rows), 1),
                         tags=sorted(tags.items(), key=lambda t: (-t[1], t[0]))[:TOP_TAGS])


async def of_volunteer(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> RatingSummary | None:
    """All ratings the volunteer received: the volunteer themself and staff of their community."""
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or not (principal.volunteer_id == volunteer_id or principal.works_in(volunteer.community_id)):
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    return await received(session, volunteer_id=volunteer_id)


def in_words(summary: dict[str, Any] | None) -> str:
    """评价情况 as a certificate prints it: 平均 4.7 星（共 12 次评价）；常见评价：准时 5 次、耐心 3 次."""
    if not summary or not summary.get("count"):
        return "—"
    text = f"平均 {summary['average']} 星（共 {summary['count']} 次评价）"
    tags = "、".join(f"{tag} {times} 次" for tag, times in summary.get("tags") or [])
    return text + (f"；常见评价：{tags}" if tags else "")


def rating_summary_out(summary: RatingSummary | dict[str, Any] | None) -> RatingSummaryOut | None:
    """A summary (or its frozen dict on a certificate) as the API shows it."""
    if summary is None:
        return None
    data = summary.as_dict() if isinstance(summary, RatingSummary) else summary
    return RatingSummaryOut(count=int(data["count"]), average=float(data["average"]),
                            tags=[(str(tag), int(times)) for tag, times in data.get("tags") or []])

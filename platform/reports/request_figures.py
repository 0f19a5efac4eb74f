"""台账 of residents' requests: per category and local month, 需求数, 响应率, 完成率, 平均响应时长, 满意度.

Every figure is re-derived from the request rows (reproducible, like the rest of the 台账):
- requests (需求数): requests created in the month;
- counted: those neither declined nor cancelled before anyone took them (the ones the community had to answer);
- response rate (响应率): accepted or assigned / counted;  completion rate (完成率): served / counted;
- average response (平均响应时长): minutes from asking to acceptance, over the accepted ones;
- satisfaction (满意度): ratings of 4 or 5 stars / ratings, with the average stars beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.reports.periods import parse_period
from servicebank.reports.service import resolve_scope
from servicebank.requests.models import RequestCategory, RequestRating, RequestStatus, ServiceRequest


class RequestFigures(msgspec.Struct, kw_only=True):
    month: str  # local 2026-11
    category: str  # 代购 ... or "合计" for the month's total
    requests: int
    counted: int
    accepted: int
    completed: int
    response_rate: float | None  # percent, one decimal; None when nothing was counted
    completion_rate: float | None
    average_response_minutes: int | None
    ratings: int
    satisfaction: float | None  # percent of ratings with 4 or 5 stars
    average_stars: float | None


class RequestReportOut(msgspec.Struct, kw_only=True):
    scope: str
    scope_name: str
    period: str
    rows: list[RequestFigures]


@dataclasses.dataclass
class _Tally:
    requests: int = 0
    counted: int = 0
    accepted: int = 0
    completed: int = 0
    response_minutes: int = 0
    stars: list[int] = dataclasses.field(default_factory=list)

    def add(self, status: str, created: dt.datetime, accepted: dt.datetime | None, finished: dt.datetime | None,
            stars: int | None) -> None:
        self.requests += 1
        if status == RequestStatus.DECLINED or (status == RequestStatus.CANCELLED and accepted is None):
            return
        self.counted += 1
        if accepted is not None:
            self.accepted += 1
            self.response_minutes += int((accepted - created).total_seconds() // 60)
        if finished is not None:
            self.completed += 1
        if stars is not None:
            self.stars.append(stars)

    def out(self, month: str, category: str) -> RequestFigures:
        def pct(part: int, whole: int) -> float | None:
            return round(100 * part / whole, 1) if whole else None

        return RequestFigures(
            month=month, category=category, requests=self.requests, counted=self.counted, accepted=self.accepted,
            completed=self.completed, response_rate=pct(self.accepted, self.counted),
            completion_rate=pct(self.completed, self.counted),
            average_response_minutes=self.response_minutes // self.accepted if self.accepted else None,
            ratings=len(self.stars), satisfaction=pct(sum(1 for s in self.stars if s >= 4), len(self.stars)),
            average_stars=round(sum(self.stars) / len(self.stars), 2) if self.stars else None)


async def request_report(session: AsyncSession, *, principal: Principal | None, scope: str, period: str,
                         timezone: str) -> RequestReportOut:
    """The figures per month and category of a community or street (organisers, street admins)."""
    parsed = parse_period(period)
    kind, scope_id, name, communities = await resolve_scope(session, scope, principal)
    start, end = parsed.utc_bounds(timezone)
    r = ServiceRequest
    rows = await session.execute(
        select(RequestCategory.name, r.status, r.created_at, r.accepted_at, r.finished_at, RequestRating.stars)
        .join(RequestCategory, RequestCategory.id == r.category_id)
        .outerjoin(RequestRating, RequestRating.request_id == r.id)
        .where(r.community_id.in_(sorted(communities)), r.created_at >= start, r.created_at < end))
    tz = ZoneInfo(timezone)
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for category, status, created, accepted, finished, stars in rows.all():
        month = created.astimezone(tz).strftime("%Y-%m")
        for key in ((month, category), (month, "合计")):
            tallies[key].add(status, created, accepted, finished, stars)
    ordered = sorted(tallies, key=lambda k: (k[0], k[1] == "合计", k[1]))
    return RequestReportOut(scope=f"{kind}:{scope_id}", scope_name=name, period=parsed.label,
                            rows=[tallies[k].out(*k) for k in ordered])

"""What the volunteer's own pages show, gathered from the domains' services and tables."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.points.models import PeriodTotal


def qr_data_uri(data: str) -> str:
    """A QR code as an inline SVG image (allowed by our CSP: img-src data:)."""
    from servicebank.checkins.tokens import qr_svg

    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(data)).decode()


async def month_hours(session: AsyncSession, *, volunteer_id: int, today: dt.date,
                      months: int = 6) -> list[tuple[str, float]]:
    """Hours served in each of the last `months` months (oldest first), for the chart."""
    from servicebank.web.manage_data import last_months

    labels = last_months(today, months)
    rows = await session.execute(select(PeriodTotal.period, PeriodTotal.minutes).where(
        PeriodTotal.volunteer_id == volunteer_id, PeriodTotal.period.in_(labels)))
    minutes = dict(rows.all())
    return [(label[5:], round(minutes.get(label, 0) / 60, 1)) for label in labels]


async def my_signups(session: AsyncSession, *, principal: Principal, volunteer_id: int) -> list[Any]:
    """The volunteer's current sign-ups (upcoming activities), with the activity's details."""
    from servicebank.activities import repository as activity_repo
    from servicebank.activities.browse import present

    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)
    rows = await activity_repo.my_signups(session, volunteer_id=volunteer_id, since=since, limit=50)
    return await present(session, principal, [a for _, a in rows])


async def my_attendance(session: AsyncSession, *, volunteer_id: int, limit: int = 20) -> list[tuple[Any, str, Any]]:
    """Recent attendance records with the activity titles and what each counts for in the account (None until
    posted), newest first: recorded and counted minutes differ by rounding and the daily cap, and the page
    says so rather than leaving sums that do not add up."""
    from servicebank.checkins import repository as checkin_repo
    from servicebank.points import statement

    rows = list(await checkin_repo.volunteer_history(session, volunteer_id=volunteer_id, limit=limit))
    counted = await statement.counted(session, attendance_ids=[att.id for att, _title in rows])
    return [(att, title, counted.get(att.id)) for att, title in rows]


async def group_by_series(session: AsyncSession, signups: list[Any], *, _) -> list[dict[str, Any]]:  # noqa: ANN001
    """Sign-ups in order, those of one repeating series folded into one entry (title, the schedule in words, the
    next date, every date): a patrol member signed up for 25 dates sees one row, not 25 alike."""
    from servicebank.activities.series import schedules_of
    from servicebank.web.recurrence import describe

    schedules = await schedules_of(session, activities=signups)
    entries: list[dict[str, Any]] = []
    by_series: dict[int, dict[str, Any]] = {}
    for activity in signups:
        series = schedules.get(activity.series_id or 0)
        if series is None:
            entries.append({"series": None, "dates": [activity]})
        elif series.id in by_series:
            by_series[series.id]["dates"].append(activity)
        else:
            by_series[series.id] = {"series": series.id, "title": activity.title, "dates": [activity],
                                    "schedule": describe(series.rrule, first_start=series.first_starts_at,
                                                         length_minutes=series.duration_minutes,
                                                         timezone=series.timezone, _=_)}
            entries.append(by_series[series.id])
    # A series with one date left is shown like any activity.
    return [e if e["series"] is None or len(e["dates"]) > 1 else {"series": None, "dates": e["dates"]}
            for e in entries]

"""What the volunteer's own pages show besides the domains' views: the hours chart, sign-ups folded by series,
the service record with what each record counted for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.browse import my_activities
from servicebank.activities.series import schedules_of
from servicebank.checkins import records
from servicebank.ledger import service as ledger
from servicebank.web.charts import last_months
from servicebank.web.recurrence import describe


async def month_hours(session: AsyncSession, *, volunteer_id: int, today: dt.date,
                      months: int = 6) -> list[tuple[str, float]]:
    """Hours served in each of the last `months` months (oldest first), for the chart."""
    labels = last_months(today, months)
    minutes = await ledger.minutes_by_period(session, volunteer_id=volunteer_id, periods=labels)
    return [(label[5:], round(minutes.get(label, 0) / 60, 1)) for label in labels]


async def my_signups(session: AsyncSession, *, principal: Principal) -> list[Any]:
    """The volunteer's current sign-ups (activities ended at most 12 hours ago and later), with their details."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)
    return [activity for _signup, activity in await my_activities(session, principal=principal, since=since,
                                                                  limit=50)]


async def my_attendance(session: AsyncSession, *, volunteer_id: int, limit: int = 20) -> list[tuple[Any, str, Any]]:
    """Recent attendance records with the activity titles and what each counts for in the account (None until
    posted), newest first: recorded and counted minutes differ by rounding and the daily cap, and the page
    says so rather than leaving sums that do not add up."""
    rows = list(await records.service_record(session, volunteer_id=volunteer_id, limit=limit))
    counted = await ledger.counted(session, attendance_ids=[att.id for att, _title in rows])
    return [(att, title, counted.get(att.id)) for att, title in rows]


async def group_by_series(session: AsyncSession, signups: list[Any], *, _) -> list[dict[str, Any]]:  # noqa: ANN001
    """Sign-ups in order, those of one repeating series folded into one entry (title, the schedule in words, the
    next date, every date): a patrol member signed up for 25 dates sees one row, not 25 alike."""
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

"""Recurring activities: create with an RRULE, edit the series, cancel it."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import series as series_service
from servicebank.activities.browse import present
from servicebank.activities.models import ActivitySeries
from servicebank.activities.schemas import CancelIn, SeriesCreate, SeriesOut, SeriesPatch

UPCOMING_SHOWN = 20


async def series_out(session: AsyncSession, principal: Principal, series: ActivitySeries) -> SeriesOut:
    """The series with its next occurrences."""
    upcoming = await series_service.upcoming_dates(session, series_id=series.id, limit=UPCOMING_SHOWN)
    return SeriesOut(id=series.id, community_id=series.community_id, rrule=series.rrule,
                     first_starts_at=series.first_starts_at, duration_minutes=series.duration_minutes,
                     timezone=series.timezone, status=series.status, publish_occurrences=series.publish_occurrences,
                     template=series.template, materialised_until=series.materialised_until,
                     cancel_reason=series.cancel_reason, upcoming=await present(session, principal, list(upcoming)))


class SeriesController(Controller):
    path = "/api/series"
    tags = ["series"]

    @post("/")
    async def create(self, data: SeriesCreate, db_session: AsyncSession, principal: Principal,
                     state: State) -> SeriesOut:
        """Create a recurring activity from an RFC 5545 RRULE (e.g. FREQ=WEEKLY;BYDAY=SA). `starts_at`/`ends_at`
        give the first occurrence; occurrences are created for the next 90 days (at most 200) and extended
        daily. Each occurrence can then be edited or cancelled on its own."""
        series = await series_service.create_series(db_session, principal=principal, data=data,
                                                    timezone=state.settings.timezone)
        return await series_out(db_session, principal, series)

    @get("/")
    async def list_series(self, community_id: int, db_session: AsyncSession, principal: Principal) -> list[SeriesOut]:
        """Staff: the community's series."""
        rows = await series_service.series_of_community(db_session, principal=principal, community_id=community_id)
        return [await series_out(db_session, principal, s) for s in rows]

    @get("/{series_id:int}")
    async def get_one(self, series_id: int, db_session: AsyncSession, principal: Principal) -> SeriesOut:
        """A series with its next occurrences."""
        series = await series_service.get_series(db_session, principal=principal, series_id=series_id)
        return await series_out(db_session, principal, series)

    @patch("/{series_id:int}")
    async def update(self, series_id: int, data: SeriesPatch, db_session: AsyncSession,
                     principal: Principal) -> SeriesOut:
        """Edit the series. Future occurrences not edited on their own follow; a new schedule (rrule,
        starts_at/ends_at) cancels occurrences that no longer fit and creates the new ones."""
        series = await series_service.update_series(db_session, principal=principal, series_id=series_id,
                                                    changes=data.changes())
        return await series_out(db_session, principal, series)

    @post("/{series_id:int}/cancel", status_code=200)
    async def cancel(self, series_id: int, data: CancelIn, db_session: AsyncSession,
                     principal: Principal) -> SeriesOut:
        """Stop the series: every occurrence not yet started is cancelled and its volunteers notified."""
        series = await series_service.cancel_series(db_session, principal=principal, series_id=series_id,
                                                    reason=data.reason)
        return await series_out(db_session, principal, series)

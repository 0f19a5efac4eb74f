"""Queries of the requests domain: categories, households, the hall, the dispatch queue, tasks, ratings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from servicebank.kernel import direct
from servicebank.kernel.bulk import insert_rows
from servicebank.kernel.db import affected_rows
from servicebank.org.models import Grid
from servicebank.requests import page_json
from servicebank.requests.models import (
    DEFAULT_CATEGORIES,
    Household,
    RequestCategory,
    RequestHistory,
    RequestPolicy,
    RequestRating,
    RequestStatus,
    ServiceRequest,
)
from servicebank.volunteers.models import Team, TeamMember, Volunteer, VolunteerStatus

R = ServiceRequest


async def categories(session: AsyncSession, community_id: int, *, active_only: bool = True) -> list[RequestCategory]:
    """The community's categories in their order."""
    query = select(RequestCategory).where(RequestCategory.community_id == community_id)
    if active_only:
        query = query.where(RequestCategory.is_active.is_(True))
    return list((await session.scalars(query.order_by(RequestCategory.sort_order, RequestCategory.id))).all())


async def seed_categories(session: AsyncSession, community_id: int) -> None:
    """Add the default categories (a concurrent first reader may add them too: conflicts are ignored)."""
    rows = [{"community_id": community_id, "name": name, "sort_order": i, "is_active": True}
            for i, name in enumerate(DEFAULT_CATEGORIES)]
    stmt, params = insert_rows(session, RequestCategory, rows)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["community_id", "name"]), params)


async def policy(session: AsyncSession, community_id: int) -> RequestPolicy:
    """The community's request policy, or the defaults."""
    found = await session.get(RequestPolicy, community_id)
    return found or RequestPolicy(community_id=community_id, escalate_after_minutes=120, pool_monthly_limit=240,
                                  contact_days_after=3, geofence_metres=0)


async def households(session: AsyncSession, community_id: int, *, grid_id: int | None = None,
                     search: str | None = None, limit: int = 200) -> list[Household]:
    query = select(Household).where(Household.community_id == community_id)
    if grid_id is not None:
        query = query.where(Household.grid_id == grid_id)
    if search:
        query = query.where(Household.name.contains(search, autoescape=True)
                            | Household.building.contains(search, autoescape=True))
    return list((await session.scalars(query.order_by(Household.grid_id, Household.building, Household.unit,
                                                      Household.id).limit(limit))).all())


async def buildings(session: AsyncSession, community_id: int, limit: int = 60) -> list[str]:
    """The distinct buildings of the community's households, in order."""
    found = await session.scalars(select(Household.building).where(Household.community_id == community_id)
                                  .distinct().order_by(Household.building).limit(limit))
    return list(found.all())


async def households_of_volunteer(session: AsyncSession, volunteer_id: int) -> list[Household]:
    """The households whose resident is this volunteer (a resident ordering for themselves)."""
    return list((await session.scalars(select(Household).where(Household.volunteer_id == volunteer_id)
                                       .order_by(Household.id))).all())


H = Household
# What a list shows of a request, with its household, category, grid and rating: one query for a whole page,
# plain rows (no ORM objects to build and track), attribute names as views.outs reads them.
LIST_COLUMNS = (
    R.id, R.community_id, R.grid_id, R.household_id, R.description, R.urgency, R.time_windows, R.status, R.payer,
    R.estimated_minutes, R.created_at, R.on_behalf, R.volunteer_id, R.decline_reason, R.cancel_reason, R.accepted_at,
    R.started_at, R.finished_at, R.posted_minutes, R.posted_points, R.paid_by_payer, R.team_id,
    RequestCategory.name.label("category"), Grid.name.label("grid_name"), H.name.label("resident_name"), H.building,
    H.unit, H.phone, H.volunteer_id.label("resident_volunteer_id"), RequestRating.stars, RequestRating.tags,
    RequestRating.comment, RequestRating.on_behalf.label("rating_on_behalf"), RequestRating.review_open)


def listing() -> Select:
    return (select(*LIST_COLUMNS).join(H, H.id == R.household_id)
            .join(RequestCategory, RequestCategory.id == R.category_id).join(Grid, Grid.id == R.grid_id)
            .outerjoin(RequestRating, RequestRating.request_id == R.id))


def in_state(*states: str) -> ColumnElement[bool]:
    """The request is in one of `states`, written into the statement: a parameter would hide from PostgreSQL that
    the query's states are among a partial index's (models.py), and it would not use the index."""
    unknown = set(states) - set(RequestStatus.ALL)
    if unknown:
        raise ValueError(f"unknown request states: {sorted(unknown)}")
    return R.status.in_([literal_column(f"'{state}'") for state in states])


def _paged(query: Select) -> Select:
    return query.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


# Built once: a statement object built per request costs about a millisecond to build and to key for the
# compiled-statement cache (measured), more than PostgreSQL spends answering it.
@lru_cache(maxsize=32)
def _in_states(states: tuple[str, ...]) -> Select:
    """A page of a community's requests in `states` states, most urgent first, then oldest.

    One ordered index scan per state (ix_service_request_queue runs in this order), each stopped after the rows
    the page can need, then the few merged: with `status IN (...)` PostgreSQL could not read the index in order
    across the states and sorted every waiting request of the community for a page of 50."""
    depth = bindparam("depth", type_=Integer)
    parts = [listing().where(R.community_id == bindparam("community_id"), in_state(state))
             .order_by(R.urgency.desc(), R.created_at, R.id).limit(depth).subquery(f"state_{i}")
             for i, state in enumerate(states)]
    merged = union_all(*(select(part) for part in parts)).subquery("merged")
    return _paged(select(merged).order_by(merged.c.urgency.desc(), merged.c.created_at, merged.c.id))


# The 接单大厅 of one volunteer: the community's open requests given to nobody in particular or to a team of theirs
# (the teams in the same statement: one round trip per page).
def _hall_page(limit: Any, offset: Any) -> Select:  # noqa: ANN401 - bound parameters or literals
    return (listing().where(R.community_id == bindparam("community_id"), in_state(RequestStatus.OPEN),
                            R.team_id.is_(None) | R.team_id.in_(
                                select(TeamMember.team_id).where(TeamMember.volunteer_id == bindparam("volunteer_id"))))
            .order_by(R.urgency.desc(), R.created_at, R.id)
            .limit(limit).offset(offset))


_HALL = _hall_page(bindparam("limit", type_=Integer), bindparam("offset", type_=Integer))
_ONE = listing().where(R.id == bindparam("request_id"))
_OF_VOLUNTEER = _paged(listing().where(R.volunteer_id == bindparam("volunteer_id"),
                                       R.status.in_(bindparam("statuses", expanding=True)))
                       .order_by(R.window_end, R.id))
_OF_HOUSEHOLDS = _paged(listing().where(R.household_id.in_(bindparam("household_ids", expanding=True)))
                        .order_by(R.id.desc()))


async def in_states(session: AsyncSession, community_id: int, statuses: Sequence[str], *, limit: int,
                    offset: int = 0) -> list[Row]:
    """A community's requests in these states, most urgent first, then oldest (the index's order)."""
    states, params = _states_params(community_id, statuses, limit=limit, offset=offset)
    if not states:
        return []
    return list((await session.execute(_in_states(states), params)).all())


def _states_params(community_id: int, statuses: Sequence[str], *, limit: int,
                   offset: int) -> tuple[tuple[str, ...], dict[str, object]]:
    """The states _in_states is built for (in one order, so one statement per set), and its parameters."""
    states = tuple(sorted(set(statuses)))
    return states, {"community_id": community_id, "depth": limit + offset, "limit": limit, "offset": offset}


@lru_cache(maxsize=32)
def _in_states_json(states: tuple[str, ...]) -> Select:
    return page_json.as_json(_in_states(states), contact=page_json.staff_contact)


@lru_cache(maxsize=64)
def _hall_json(limit: int, offset: int) -> Select:
    """The hall's page as JSON, its size and place written into the statement: with LIMIT and OFFSET parameters,
    PostgreSQL planned every page anew (a generic plan for unknown ones looked dearer), about 0.6 ms of its CPU per
    page; written in, it keeps one plan (bench/requests_notes.md). Phones ask for one page size and rarely page far."""
    return page_json.as_json(_hall_page(literal_column(str(int(limit))), literal_column(str(int(offset)))),
                             contact=page_json.hall_contact)


async def in_states_json(session: AsyncSession, community_id: int, statuses: Sequence[str], *, limit: int,
                         offset: int = 0) -> str:
    """in_states's page as the API's JSON (page_json.py; its callers are the community's staff). PostgreSQL."""
    states, params = _states_params(community_id, statuses, limit=limit, offset=offset)
    if not states:
        return "[]"
    [(found,)] = await direct.read(session, _in_states_json(states), params)
    return str(found)


async def hall_json(session: AsyncSession, community_id: int, volunteer_id: int, *, works_in: bool, limit: int,
                    offset: int = 0) -> str:
    """hall's page as the API's JSON (page_json.py); `works_in`: the caller is staff of the community. PostgreSQL."""
    [(found,)] = await direct.read(session, _hall_json(limit, offset), {
        "community_id": community_id, "volunteer_id": volunteer_id, "works_in": works_in})
    return str(found)


async def hall(session: AsyncSession, community_id: int, volunteer_id: int, *, limit: int,
               offset: int = 0) -> list[Row]:
    """Open requests the volunteer may accept (those given to a team only for its members), most urgent first,
    then oldest."""
    return list((await session.execute(_HALL, {"community_id": community_id, "volunteer_id": volunteer_id,
                                               "limit": limit, "offset": offset})).all())


async def team_ids_of(session: AsyncSession, volunteer_id: int) -> list[int]:
    return list((await session.scalars(select(TeamMember.team_id).where(TeamMember.volunteer_id == volunteer_id)
                                       .order_by(TeamMember.team_id))).all())


async def listed(session: AsyncSession, request_id: int) -> Row | None:
    return (await session.execute(_ONE, {"request_id": request_id})).first()


async def for_volunteer(session: AsyncSession, volunteer_id: int, statuses: Sequence[str],
                        limit: int = 100) -> list[Row]:
    """The volunteer's tasks in these states, soonest window first."""
    return list((await session.execute(_OF_VOLUNTEER, {"volunteer_id": volunteer_id, "statuses": list(statuses),
                                                       "limit": limit, "offset": 0})).all())


async def for_households(session: AsyncSession, household_ids: Sequence[int], limit: int = 50) -> list[Row]:
    if not household_ids:
        return []
    return list((await session.execute(_OF_HOUSEHOLDS, {"household_ids": list(household_ids), "limit": limit,
                                                        "offset": 0})).all())


async def lock(session: AsyncSession, request_id: int) -> ServiceRequest | None:
    """The request, its row locked until the transaction ends (two transitions never interleave)."""
    return await session.scalar(select(R).where(R.id == request_id).with_for_update().execution_options(
        populate_existing=True))


async def take_open(session: AsyncSession, request_id: int, *, volunteer_id: int, now: dt.datetime,
                    visit_at: dt.datetime | None) -> bool:
    """Accept an open request: one guarded UPDATE, so of two volunteers at once exactly one wins."""
    result = await session.execute(
        update(R).where(R.id == request_id, R.status == RequestStatus.OPEN)
        .values(status=RequestStatus.ACCEPTED, volunteer_id=volunteer_id, accepted_at=now, visit_at=visit_at)
        .execution_options(synchronize_session=False))
    return affected_rows(result) == 1


async def tasks_to_serve(session: AsyncSession, volunteer_id: int, *, household_id: int | None = None) -> list[Row]:
    """The volunteer's requests a scan may start or finish: those in service first, then accepted, soonest first."""
    query = select(R.id, R.household_id, R.status).where(
        R.volunteer_id == volunteer_id, R.status.in_((RequestStatus.IN_SERVICE, RequestStatus.ACCEPTED)))
    if household_id is not None:
        query = query.where(R.household_id == household_id)
    in_service_first = case((R.status == RequestStatus.IN_SERVICE, 0), else_=1)
    return list((await session.execute(query.order_by(in_service_first, R.window_end, R.id).limit(20))).all())


async def pool_used(session: AsyncSession, household_id: int, month: str) -> int:
    """Points the community pool paid for this household's requests in a local month."""
    return int(await session.scalar(select(func.coalesce(func.sum(R.paid_by_payer), 0)).where(
        R.household_id == household_id, R.payer == "pool", R.month == month)) or 0)


async def rating_of(session: AsyncSession, request_id: int) -> RequestRating | None:
    return await session.scalar(select(RequestRating).where(RequestRating.request_id == request_id))


async def ratings_of(session: AsyncSession, request_ids: Sequence[int]) -> dict[int, RequestRating]:
    if not request_ids:
        return {}
    rows = await session.scalars(select(RequestRating).where(RequestRating.request_id.in_(request_ids)))
    return {r.request_id: r for r in rows.all()}


async def open_reviews(session: AsyncSession, community_id: int, limit: int = 50) -> list[RequestRating]:
    return list((await session.scalars(
        select(RequestRating).join(R, R.id == RequestRating.request_id)
        .where(R.community_id == community_id, RequestRating.review_open.is_(True))
        .order_by(RequestRating.id).limit(limit))).all())


async def history(session: AsyncSession, request_id: int) -> list[RequestHistory]:
    return list((await session.scalars(select(RequestHistory).where(RequestHistory.request_id == request_id)
                                       .order_by(RequestHistory.event_id))).all())


async def active_volunteers(session: AsyncSession, community_id: int, limit: int = 500) -> list[Volunteer]:
    return list((await session.scalars(select(Volunteer).where(
        Volunteer.community_id == community_id, Volunteer.status == VolunteerStatus.ACTIVE)
        .order_by(Volunteer.id).limit(limit))).all())


async def active_team_members(session: AsyncSession, community_id: int) -> list[tuple[int, str, Volunteer]]:
    """(team id, team name, volunteer) for every active volunteer in a team of the community."""
    rows = await session.execute(
        select(Team.id, Team.name, Volunteer).join(TeamMember, TeamMember.team_id == Team.id)
        .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(Team.community_id == community_id, Volunteer.status == VolunteerStatus.ACTIVE)
        .order_by(Team.id, Volunteer.id))
    return [(team_id, name, volunteer) for team_id, name, volunteer in rows.all()]


async def volunteer_load(session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, int]:
    """Open tasks per volunteer (accepted or in service): the dispatcher's "current load"."""
    if not volunteer_ids:
        return {}
    rows = await session.execute(select(R.volunteer_id, func.count(R.id)).where(
        R.volunteer_id.in_(volunteer_ids), R.status.in_((RequestStatus.ACCEPTED, RequestStatus.IN_SERVICE)))
        .group_by(R.volunteer_id))
    return {vid: int(n) for vid, n in rows.all()}


async def volunteer_rating(session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, tuple[float, int]]:
    """Average stars and number of ratings per volunteer."""
    if not volunteer_ids:
        return {}
    rows = await session.execute(select(RequestRating.volunteer_id, func.avg(RequestRating.stars),
                                        func.count(RequestRating.id))
                                 .where(RequestRating.volunteer_id.in_(volunteer_ids))
                                 .group_by(RequestRating.volunteer_id))
    return {vid: (round(float(avg), 1), int(n)) for vid, avg, n in rows.all()}


async def communities_waiting(session: AsyncSession) -> list[int]:
    """Communities with unaccepted requests (the periodic check goes through them one at a time)."""
    return list((await session.scalars(select(R.community_id).where(in_state(*RequestStatus.UNACCEPTED))
                                       .distinct().order_by(R.community_id))).all())


async def due_for_escalation(session: AsyncSession, *, community_id: int, level: int, created_before: dt.datetime,
                             limit: int = 500) -> list[ServiceRequest]:
    """Unaccepted requests at this escalation level created before the time; skips rows being accepted."""
    return list((await session.scalars(
        select(R).where(R.community_id == community_id, in_state(*RequestStatus.UNACCEPTED),
                        R.escalation_level == level, R.created_at < created_before)
        .order_by(R.id).limit(limit).with_for_update(skip_locked=True))).all())


async def windows_ended(session: AsyncSession, *, now: dt.datetime, limit: int = 500) -> list[ServiceRequest]:
    """Requests nobody accepted (or nobody reviewed) before their last preferred window ended."""
    return list((await session.scalars(
        select(R).where(in_state(*RequestStatus.WAITING), R.window_end < now)
        .order_by(R.id).limit(limit).with_for_update(skip_locked=True))).all())


async def visits_due(session: AsyncSession, *, sent_column: InstrumentedAttribute[dt.datetime | None],
                     lead: dt.timedelta, now: dt.datetime, limit: int = 500) -> list[ServiceRequest]:
    """Accepted requests whose visit comes within `lead` and whose reminder (`sent_column`) was not recorded."""
    return list((await session.scalars(
        select(R).where(in_state(RequestStatus.ACCEPTED), sent_column.is_(None), R.visit_at > now,
                        R.visit_at <= now + lead)
        .order_by(R.visit_at, R.id).limit(limit).with_for_update(skip_locked=True))).all())


async def unrated_since(session: AsyncSession, *, before: dt.datetime, limit: int = 500) -> list[ServiceRequest]:
    """Served requests whose rating window has closed."""
    return list((await session.scalars(
        select(R).where(R.status == RequestStatus.AWAITING_RATING, R.finished_at < before)
        .order_by(R.id).limit(limit).with_for_update(skip_locked=True))).all())

"""What a caller sees: activity lists with their counts and the caller's own place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import hooks
from servicebank.activities import repository as repo
from servicebank.activities.access import STAFF_ONLY_STATUSES, eligibility_problem, volunteer_team_ids
from servicebank.activities.kinds import BUILTIN_KINDS
from servicebank.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from servicebank.activities.schemas import ActivityOut, SignupOut
from servicebank.volunteers.models import Volunteer

MAX_PAGE = 200
# A volunteer with one of these has a sign-up (or one waiting for the organiser): no second one.
SIGNED_UP = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED, SignupStatus.PENDING_APPROVAL)


def activity_out(activity: Activity, *, counts: tuple[int, int] = (0, 0), signup: Signup | None = None,
                 can_sign_up: bool | None = None) -> ActivityOut:
    """The response shape of one activity."""
    return ActivityOut(
        id=activity.id, community_id=activity.community_id, kind=activity.kind, title=activity.title,
        description=activity.description or "", beneficiary_groups=list(activity.beneficiary_groups or []),
        address=activity.address or "", latitude=activity.latitude, longitude=activity.longitude,
        starts_at=activity.starts_at, ends_at=activity.ends_at, capacity=activity.capacity, status=activity.status,
        team_ids=list(activity.team_ids or []), required_skill=activity.required_skill,
        hours_rule_override=activity.hours_rule_override, beneficiaries_count=activity.beneficiaries_count,
        needs_approval=activity.needs_approval, series_id=activity.series_id,
        detached_from_series=activity.detached_from_series, cancel_reason=activity.cancel_reason,
        confirmed_count=counts[0], waitlist_count=counts[1],
        my_signup_status=signup.status if signup else None, my_waitlist_position=signup.position if signup else None,
        can_sign_up=can_sign_up,
    )


def signup_out(signup: Signup, volunteer: Volunteer | None = None, *, hold_message: str | None = None,
               no_show_count: int | None = None) -> SignupOut:
    """The response shape of one signup."""
    return SignupOut(id=signup.id, activity_id=signup.activity_id, volunteer_id=signup.volunteer_id,
                     status=signup.status, position=signup.position, created_at=signup.created_at,
                     updated_at=signup.updated_at, volunteer_name=volunteer.real_name if volunteer else None,
                     volunteer_number=volunteer.number if volunteer else None, hold_code=signup.hold_code,
                     hold_message=hold_message, no_show_count=no_show_count)


async def signup_result(session: AsyncSession, signup: Signup) -> SignupOut:
    """A sign-up as its volunteer sees it: a held one says why, in words (docs/records.md)."""
    message = None
    if signup.status == SignupStatus.PENDING_APPROVAL:
        volunteer = await session.get(Volunteer, signup.volunteer_id)
        if volunteer is not None:
            message = next((words for words in await hooks.hold_explanations.answers(session, volunteer=volunteer)
                            if words), None)
    return signup_out(signup, hold_message=message)


async def present(session: AsyncSession, principal: Principal, activities: Sequence[Activity],
                  *, now: dt.datetime | None = None) -> list[ActivityOut]:
    """Activities with counts, the caller's signup and whether the caller may sign up now."""
    now = now or dt.datetime.now(dt.UTC)
    ids = [a.id for a in activities]
    counts = await repo.signup_counts(session, ids)
    mine: dict[int, Signup] = {}
    volunteer = None
    teams: set[int] = set()
    if principal.volunteer_id is not None and ids:
        rows = await session.scalars(select(Signup).where(Signup.volunteer_id == principal.volunteer_id,
                                                          Signup.activity_id.in_(ids)))
        mine = {s.activity_id: s for s in rows.all()}
        volunteer = await session.get(Volunteer, principal.volunteer_id)
        teams = await volunteer_team_ids(session, volunteer_id=principal.volunteer_id)
    out = []
    for activity in activities:
        signup = mine.get(activity.id)
        can = None
        if volunteer is not None:
            can = (activity.status == ActivityStatus.PUBLISHED and activity.starts_at > now
                   and (signup is None or signup.status not in SIGNED_UP)
                   and eligibility_problem(activity, volunteer, teams) is None)
        out.append(activity_out(activity, counts=counts.get(activity.id, (0, 0)), signup=signup, can_sign_up=can))
    return out


def _visibility(principal: Principal, community_id: int | None):  # noqa: ANN202
    """Where-clause: staff see everything in their communities, volunteers only what was published."""
    public = Activity.status.not_in(STAFF_ONLY_STATUSES)
    if community_id is not None:
        principal.require_member(community_id)
        scope = Activity.community_id == community_id
        return scope if principal.works_in(community_id) else and_(scope, public)
    if principal.managed_community_ids is None:
        return None
    staff = set(principal.managed_community_ids) | set(principal.led_team_community_ids)
    clauses: list[ColumnElement[bool]] = [Activity.community_id.in_(staff)] if staff else []
    if principal.volunteer_community_id is not None and principal.volunteer_community_id not in staff:
        clauses.append(and_(Activity.community_id == principal.volunteer_community_id, public))
    return or_(*clauses) if clauses else false()


async def list_activities(session: AsyncSession, *, principal: Principal, community_id: int | None = None,
                          kind: str | None = None, status: Sequence[str] | None = None,
                          starts_from: dt.datetime | None = None, starts_to: dt.datetime | None = None,
                          series_id: int | None = None, joinable: bool = False, newest_first: bool = False,
                          limit: int = 50, offset: int = 0) -> tuple[list[ActivityOut], int]:
    """A page of the activities the caller may see; `joinable` keeps those the caller may sign up for now;
    `newest_first` for looking back (past activities)."""
    now = dt.datetime.now(dt.UTC)
    limit = max(1, min(limit, MAX_PAGE))
    query = repo.activity_query(community_ids=None, kind=kind, status=status, starts_from=starts_from,
                                starts_to=starts_to, series_id=series_id)
    where = _visibility(principal, community_id)
    if where is not None:
        query = query.where(where)
    if newest_first:
        query = query.order_by(None).order_by(Activity.starts_at.desc(), Activity.id.desc())
    if joinable:
        query = query.where(Activity.status == ActivityStatus.PUBLISHED, Activity.starts_at > now)
        # Eligibility (teams, skills) is checked per row; bounded so a huge community stays cheap.
        rows = list((await session.scalars(query.limit(1000))).all())
        items = [a for a in await present(session, principal, rows, now=now) if a.can_sign_up]
        return items[offset:offset + limit], len(items)
    total = int(await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = list((await session.scalars(query.limit(limit).offset(offset))).all())
    return await present(session, principal, rows, now=now), total


async def staff_signups(session: AsyncSession, *, principal: Principal, activity: Activity,
                        include_withdrawn: bool = False) -> list[SignupOut]:
    """Staff: who is confirmed and who is waiting, in order (the API's list and the organiser's page)."""
    principal.require_staff(activity.community_id)
    statuses = None if include_withdrawn else list(SIGNED_UP)
    rows = await repo.signups_of(session, activity.id, statuses=statuses)
    ids = [s.volunteer_id for s in rows]
    people = {v.id: v for v in (await session.scalars(
        select(Volunteer).where(Volunteer.id.in_(ids)))).all()} if rows else {}
    missed: dict[int, int] = {}
    for counted in await hooks.missed_counts.answers(session, community_id=activity.community_id, volunteer_ids=ids):
        for volunteer_id, n in counted.items():
            missed[volunteer_id] = missed.get(volunteer_id, 0) + n
    # Confirmed first, then those waiting for the organiser, then the waitlist in order.
    rank = {SignupStatus.CONFIRMED: 0, SignupStatus.PENDING_APPROVAL: 1, SignupStatus.WAITLISTED: 2}
    ordered = sorted(rows, key=lambda s: (rank.get(s.status, 3), s.position or 0, s.id))
    return [signup_out(s, people.get(s.volunteer_id), no_show_count=missed.get(s.volunteer_id, 0)) for s in ordered]


PUBLIC_STATUSES = (ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS)
# Left out of the dashboard's count by kind: never held.
NOT_HELD = (ActivityStatus.DRAFT, ActivityStatus.CANCELLED)


async def get_activity(session: AsyncSession, activity_id: int) -> Activity | None:
    """The activity, for a page that names it (the scan page: the code already proved the activity)."""
    return await repo.get_activity(session, activity_id)


async def public_upcoming(session: AsyncSession, *, community_id: int, limit: int = 30,
                          until: dt.datetime | None = None) -> list[Activity]:
    """Published activities of the community that have not ended (and start before `until`), soonest first,
    open to everyone: team-only activities are not public."""
    return await repo.public_upcoming(session, community_id=community_id, statuses=PUBLIC_STATUSES,
                                      now=dt.datetime.now(dt.UTC), until=until, limit=limit)


async def kind_names(session: AsyncSession) -> dict[str, str]:
    """Kind code -> name, for showing an activity's kind."""
    return await repo.kind_names(session)


async def activities_by_kind(session: AsyncSession, *, community_id: int, since: dt.datetime) -> list[tuple[str, int]]:
    """How many activities of each kind started since `since` (drafts and cancelled ones left out)."""
    return await repo.count_by_kind(session, community_id=community_id, since=since, leave_out=NOT_HELD)


async def community_activities(session: AsyncSession, *, community_id: int, since: dt.datetime,
                               limit: int = 50) -> list[repo.ActivityLine]:
    """The community's activities that end after `since` (drafts included), soonest first; for its staff."""
    return await repo.ending_after(session, community_id=community_id, since=since, limit=limit)


async def awaiting_approval(session: AsyncSession, *, principal: Principal, community_id: int,
                            limit: int = 20) -> list[repo.ActivityLine]:
    """The community's proposals waiting for the street office, by start time; for its staff."""
    principal.require_staff(community_id)
    return await repo.in_status(session, community_id=community_id, status=ActivityStatus.PENDING_APPROVAL,
                                limit=limit)


async def community_kind_names(session: AsyncSession, *, community_id: int) -> dict[str, str]:
    """Kind code -> name as the community's pages show it: the built-in kinds (their built-in names where no row
    exists yet) and the community's own; read without creating any kind (the dashboard reads from a replica)."""
    return {**BUILTIN_KINDS, **await repo.kind_names_of(session, [community_id])}


async def my_activities(session: AsyncSession, *, principal: Principal, since: dt.datetime | None,
                        limit: int) -> list[tuple[Signup, ActivityOut]]:
    """The caller's own sign-ups (any status) with their activities as the caller sees them, soonest first."""
    volunteer_id = principal.require_volunteer()
    rows = await repo.my_signups(session, volunteer_id=volunteer_id, since=since, limit=limit)
    outs = await present(session, principal, [a for _, a in rows])
    return [(signup, out) for (signup, _), out in zip(rows, outs, strict=True)]

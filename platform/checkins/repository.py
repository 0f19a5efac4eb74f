"""Queries of the checkins domain. The scan path uses lean Core statements: it is the busiest write we have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    and_,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import AuthSession, RoleGrant, User
from servicebank.accounts.sessions import hash_token, plausible_token
from servicebank.activities.models import Activity, ActivityKind, Signup, SignupStatus
from servicebank.checkins.models import (
    Attendance,
    AttendanceAdjustment,
    AttendanceStatus,
    CheckinPolicy,
)
from servicebank.kernel.db import table_of
from servicebank.kernel.dialect import upsert
from servicebank.volunteers.models import Volunteer

ATTENDANCE = table_of(Attendance)
_CONFIRMED = SignupStatus.CONFIRMED


def _signup_status(activity_id: Any, volunteer_id: Any):  # noqa: ANN202
    return (
        select(Signup.status)
        .where(Signup.activity_id == activity_id, Signup.volunteer_id == volunteer_id)
        .scalar_subquery()
        .label("signup_status")
    )


_CONTEXT_COLUMNS = (
    Activity.id, Activity.community_id, Activity.status, Activity.kind, Activity.title, Activity.starts_at,
    Activity.ends_at,
    Activity.capacity, Activity.latitude, Activity.longitude, CheckinPolicy.radius_m, CheckinPolicy.geofence_mode,
    CheckinPolicy.opens_minutes_before, CheckinPolicy.grace_minutes_after_end, CheckinPolicy.allow_walk_ins,
)


@lru_cache(maxsize=1)
def _scan_context_statement() -> Select[Any]:
    # Built once with bound parameters: a scan then skips statement construction and cache-key work.
    activity_id: Any = bindparam("activity_id")
    volunteer_id: Any = bindparam("volunteer_id")
    return (
        select(*_CONTEXT_COLUMNS, _signup_status(activity_id, volunteer_id), Attendance.id.label("attendance_id"),
               Volunteer.status.label("volunteer_status"))
        .outerjoin(CheckinPolicy, CheckinPolicy.activity_id == Activity.id)
        .outerjoin(Volunteer, Volunteer.id == volunteer_id)
        .outerjoin(Attendance, and_(Attendance.activity_id == Activity.id, Attendance.volunteer_id == volunteer_id))
        .where(Activity.id == activity_id)
    )


async def scan_context(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> Row[Any] | None:
    """Everything a scan needs in one round trip: the activity, its policy, the sign-up, any attendance and the
    volunteer's status."""
    params = {"activity_id": activity_id, "volunteer_id": volunteer_id}
    return (await session.execute(_scan_context_statement(), params)).first()


@lru_cache(maxsize=1)
def self_scan_statement() -> Select[Any]:
    """The context of a volunteer's own scan: login, volunteer record, activity, policy, sign-up, record.

    With the login's display name and whether it holds any role: a page showing the scan's result names the
    person and builds its menu from these when there is no grant to resolve (web/pages/checkins/scan.py)."""
    activity_id: Any = bindparam("activity_id")
    has_grants = exists().where(RoleGrant.user_id == User.id).correlate(User)
    return (
        select(
            User.id.label("user_id"), User.volunteer_id, User.is_active, AuthSession.expires_at,
            User.display_name.label("user_display_name"), has_grants.label("user_has_grants"),
            Volunteer.community_id.label("volunteer_community_id"), Volunteer.status.label("volunteer_status"),
            *_CONTEXT_COLUMNS, _signup_status(activity_id, User.volunteer_id),
            Attendance.id.label("attendance_id"),
        )
        .select_from(AuthSession)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Volunteer, Volunteer.id == User.volunteer_id)
        .outerjoin(Activity, Activity.id == activity_id)
        .outerjoin(CheckinPolicy, CheckinPolicy.activity_id == Activity.id)
        .outerjoin(Attendance, and_(Attendance.activity_id == Activity.id,
                                    Attendance.volunteer_id == User.volunteer_id))
        .where(AuthSession.token_hash == bindparam("token_hash"), AuthSession.revoked_at.is_(None))
    )


async def self_scan_context(session: AsyncSession, *, bearer: str, activity_id: int) -> Row[Any] | None:
    """A volunteer's own scan in one round trip: their login and volunteer record plus the scan context.

    None when the token matches no open login; activity columns are NULL when the activity is gone.
    """
    if not plausible_token(bearer):
        return None
    params = {"activity_id": activity_id, "token_hash": hash_token(bearer)}
    return (await session.execute(self_scan_statement(), params)).first()


async def confirmed_signup_count(session: AsyncSession, *, activity_id: int) -> int:
    """How many volunteers hold a confirmed place."""
    return int(await session.scalar(
        select(func.count()).where(Signup.activity_id == activity_id, Signup.status == _CONFIRMED)) or 0)


async def confirmed_volunteer_ids(session: AsyncSession, *, activity_id: int) -> list[int]:
    """Volunteers holding a confirmed place."""
    rows = await session.scalars(
        select(Signup.volunteer_id).where(Signup.activity_id == activity_id, Signup.status == _CONFIRMED))
    return list(rows.all())


async def places_taken_locked(session: AsyncSession, *, activity_id: int) -> int:
    """Confirmed places plus walk-ins still on site (checked in), counted under a lock on the activity row.

    A walk-in who has checked out gave their place back: the place is room at the venue, and a full
    activity must not turn away the next person because of someone who already left. A confirmed
    sign-up keeps its place whether or not they have come or gone.

    Count-then-insert is a race on PostgreSQL: fifteen walk-ins at once all saw a free place. The
    lock (FOR NO KEY UPDATE) makes walk-ins of one activity, and sign-ups (which lock it FOR UPDATE),
    take turns until their transaction ends, so each counts what the one before wrote. It does not
    block check-ins of confirmed volunteers: their inserts only take the foreign key's share lock.
    The count is a statement of its own, after the lock: under READ COMMITTED that statement sees
    every transaction that held the lock before. SQLite transactions are already serialised
    (BEGIN IMMEDIATE), where the lock clause is left out.
    """
    await session.execute(select(Activity.id).where(Activity.id == activity_id).with_for_update(key_share=True))
    walk_ins = select(func.count()).select_from(Attendance).where(Attendance.activity_id == activity_id,
                                                                   Attendance.status == AttendanceStatus.CHECKED_IN)
    confirmed = select(Signup.volunteer_id).where(Signup.activity_id == activity_id, Signup.status == _CONFIRMED)
    walk_ins = walk_ins.where(Attendance.volunteer_id.not_in(confirmed))
    confirmed_count = select(func.count()).select_from(confirmed.subquery())
    return int(await session.scalar(select(walk_ins.scalar_subquery() + confirmed_count.scalar_subquery())) or 0)


def fresh_attendance(*, activity_id: int, volunteer_id: int, community_id: int, at: dt.datetime,
                     service_date: dt.date, flags: list[str], distance: int | None, proxy_user_id: int | None,
                     now: dt.datetime) -> dict[str, Any]:
    """The columns of a new check-in, every one but the id (fast_scan writes the same for a plain self-scan)."""
    return {
        "activity_id": activity_id, "volunteer_id": volunteer_id, "community_id": community_id,
        "checked_in_at": at, "checked_out_at": None, "status": AttendanceStatus.CHECKED_IN, "served_minutes": 0,
        "service_date": service_date, "revision": 0, "proxy_by_user_id": proxy_user_id,
        "checkout_proxy_by_user_id": None, "flags": flags, "distance_m": distance, "decided_by_user_id": None,
        "decided_at": None, "created_at": now,
    }


async def insert_attendance(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a check-in; None when the volunteer already has a record.

    The unique key (activity, volunteer) decides a race: ON CONFLICT DO NOTHING inserts nothing and
    the caller answers with the winner's row. No event goes with it: nothing consumes a check-in, and
    the attendance row is itself the record (the approval that follows check-out is the event).
    """
    return (await session.execute(
        upsert(session, ATTENDANCE).values(**values)
        .on_conflict_do_nothing(index_elements=["activity_id", "volunteer_id"])
        .returning(ATTENDANCE.c.id))).scalar()


async def attendance_row(session: AsyncSession, attendance_id: int) -> Row[Any] | None:
    """An attendance as a plain row (no ORM identity)."""
    return (await session.execute(select(ATTENDANCE).where(ATTENDANCE.c.id == attendance_id))).first()


async def attendance_row_for(session: AsyncSession, *, activity_id: int, volunteer_id: int) -> Row[Any] | None:
    """A volunteer's attendance at an activity as a plain row."""
    return (await session.execute(select(ATTENDANCE).where(
        ATTENDANCE.c.activity_id == activity_id, ATTENDANCE.c.volunteer_id == volunteer_id))).first()


async def get_attendance(session: AsyncSession, attendance_id: int, *, for_update: bool = False) -> Attendance | None:
    """An attendance as an ORM object, locked for the decision when asked (PostgreSQL)."""
    query = select(Attendance).where(Attendance.id == attendance_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def get_by_activity_volunteer(session: AsyncSession, *, activity_id: int, volunteer_id: int,
                                    for_update: bool = False) -> Attendance | None:
    query = select(Attendance).where(Attendance.activity_id == activity_id, Attendance.volunteer_id == volunteer_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def close_open(session: AsyncSession, *, attendance_id: int, values: dict[str, Any]) -> Row[Any] | None:
    """Close a still-open attendance and return it as closed; None when someone else closed it first."""
    # IS NOT DISTINCT FROM, not `=`: PostgreSQL cannot use the status index for it, so it takes the row by its key;
    # with `status = 'checked_in'` and statistics from when few records were open it may walk every open record
    # through that index instead (seen in the one-statement check-out's plan, fast_scan.py).
    return (await session.execute(
        update(ATTENDANCE)
        .where(ATTENDANCE.c.id == attendance_id, ATTENDANCE.c.status.is_not_distinct_from(AttendanceStatus.CHECKED_IN))
        .values(**values)
        .returning(*ATTENDANCE.c)
    )).first()


@lru_cache(maxsize=1)
def _checkout_state_statement() -> Select[Any]:
    kind: Any = bindparam("kind")
    community_id: Any = bindparam("community_id")
    # The community's own kind wins; without one, any built-in kind of that code that auto-approves.
    own = (select(ActivityKind.auto_approve)
           .where(ActivityKind.code == kind, ActivityKind.community_id == community_id).scalar_subquery())
    built_in = exists().where(ActivityKind.code == kind, ActivityKind.community_id.is_(None),
                              ActivityKind.auto_approve.is_(True))
    return (select(*ATTENDANCE.c, func.coalesce(own, built_in).label("kind_auto_approves"))
            .where(ATTENDANCE.c.id == bindparam("attendance_id")))


@lru_cache(maxsize=1)
def self_check_out_statement() -> Select[Any]:
    """A volunteer's own check-out context: the self-scan context plus the record's state and whether the
    activity's kind is approved without review (fast_scan.py sends it in one round trip)."""
    own = (select(ActivityKind.auto_approve)
           .where(ActivityKind.code == Activity.kind, ActivityKind.community_id == Activity.community_id)
           .correlate(Activity).scalar_subquery())
    built_in = exists().where(ActivityKind.code == Activity.kind, ActivityKind.community_id.is_(None),
                              ActivityKind.auto_approve.is_(True)).correlate(Activity)
    return self_scan_statement().add_columns(
        Attendance.status.label("attendance_status"), Attendance.checked_in_at.label("attendance_checked_in_at"),
        Attendance.flags.label("attendance_flags"), func.coalesce(own, built_in).label("kind_auto_approves"))


# What a check-out writes, when nothing is approved at once.
CLOSING_COLUMNS = ("checked_out_at", "status", "flags", "served_minutes", "checkout_proxy_by_user_id")


async def checkout_state(session: AsyncSession, *, attendance_id: int, community_id: int,
                         kind: str) -> Row[Any] | None:
    """An attendance as a plain row plus whether its activity's kind is approved without review."""
    params = {"attendance_id": attendance_id, "community_id": community_id, "kind": kind}
    return (await session.execute(_checkout_state_statement(), params)).first()


async def get_activity(session: AsyncSession, activity_id: int) -> Activity | None:
    return await session.get(Activity, activity_id)


async def activity_of_record(session: AsyncSession, activity_id: int) -> Activity:
    """The activity an attendance record belongs to (its foreign key keeps it in existence)."""
    activity = await session.get(Activity, activity_id)
    assert activity is not None, "attendance.activity_id is a foreign key"
    return activity


async def get_policy(session: AsyncSession, activity_id: int) -> CheckinPolicy | None:
    return await session.get(CheckinPolicy, activity_id)


async def get_volunteer(session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def list_for_activity(session: AsyncSession, *, activity_id: int,
                            status: str | None = None) -> Sequence[Row[Any]]:
    """Attendance of an activity with the volunteer's name and number, check-in order."""
    query = (
        select(Attendance, Volunteer.real_name, Volunteer.number)
        .join(Volunteer, Volunteer.id == Attendance.volunteer_id)
        .where(Attendance.activity_id == activity_id)
        .order_by(Attendance.checked_in_at.is_(None), Attendance.checked_in_at, Attendance.id)
    )
    if status:
        query = query.where(Attendance.status == status)
    return (await session.execute(query)).all()


async def status_counts(session: AsyncSession, *, activity_id: int) -> dict[str, int]:
    """Attendance count per status for one activity."""
    rows = await session.execute(
        select(Attendance.status, func.count()).where(Attendance.activity_id == activity_id)
        .group_by(Attendance.status))
    return {status: int(n) for status, n in rows.all()}


async def open_past_grace(session: AsyncSession, *, now: dt.datetime, limit: int) -> Sequence[Row[Any]]:
    """Open attendances of activities that ended (grace checked by the caller: it is per activity)."""
    query = (
        select(Attendance.id, Activity.ends_at,
               func.coalesce(CheckinPolicy.grace_minutes_after_end, 60).label("grace"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .outerjoin(CheckinPolicy, CheckinPolicy.activity_id == Activity.id)
        .where(Attendance.status == AttendanceStatus.CHECKED_IN, Activity.ends_at < now)
        .order_by(Attendance.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def open_for_activity(session: AsyncSession, *, activity_id: int) -> list[int]:
    rows = await session.scalars(select(Attendance.id).where(
        Attendance.activity_id == activity_id, Attendance.status == AttendanceStatus.CHECKED_IN))
    return list(rows.all())


async def volunteer_history(session: AsyncSession, *, volunteer_id: int, limit: int) -> Sequence[Row[Any]]:
    """A volunteer's attendance with the activity title, newest first."""
    query = (
        select(Attendance, Activity.title)
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(Attendance.volunteer_id == volunteer_id)
        .order_by(Attendance.service_date.desc(), Attendance.id.desc())
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def for_review(session: AsyncSession, *, activity_id: int) -> list[Attendance]:
    """Every attendance of an activity as ORM objects, locked for the decisions (PostgreSQL)."""
    rows = await session.scalars(
        select(Attendance).where(Attendance.activity_id == activity_id).order_by(Attendance.id)
        .with_for_update().execution_options(populate_existing=True))
    return list(rows.all())


async def adjustments(session: AsyncSession, *, attendance_id: int) -> list[AttendanceAdjustment]:
    """The history of one attendance, oldest first."""
    rows = await session.scalars(select(AttendanceAdjustment).where(AttendanceAdjustment.attendance_id == attendance_id)
                                 .order_by(AttendanceAdjustment.id))
    return list(rows.all())

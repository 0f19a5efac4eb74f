"""Queries of the records domain: no-shows, the policy, qualifications and what activity kinds require."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityStatus, Signup, SignupStatus
from servicebank.checkins.models import Attendance
from servicebank.kernel.db import affected_rows
from servicebank.kernel.dialect import upsert
from servicebank.records.models import (
    KindQualification,
    NoShow,
    NoShowPolicy,
    QualificationType,
    VolunteerQualification,
)


async def insert_missed_places(session: AsyncSession, *, ended_after: dt.datetime, now: dt.datetime) -> int:
    """Record a no-show for every confirmed place of an ended activity with no check-in; returns how many are new."""
    checked_in = exists().where(Attendance.activity_id == Signup.activity_id,
                                Attendance.volunteer_id == Signup.volunteer_id,
                                Attendance.checked_in_at.is_not(None))
    known = exists().where(NoShow.signup_id == Signup.id)
    rows = (await session.execute(
        select(Signup.id, Signup.activity_id, Signup.volunteer_id, Activity.community_id, Activity.ends_at)
        .join(Activity, Activity.id == Signup.activity_id)
        .where(Activity.ends_at <= now, Activity.ends_at > ended_after,
               Activity.status != ActivityStatus.CANCELLED, Signup.status == SignupStatus.CONFIRMED,
               ~checked_in, ~known))).all()
    if not rows:
        return 0
    values = [{"signup_id": r[0], "activity_id": r[1], "volunteer_id": r[2], "community_id": r[3],
               "activity_ended_at": r[4], "recorded_at": now} for r in rows]
    # Two runs racing each other meet on the unique signup_id: the second adds nothing.
    stmt = upsert(session, NoShow).values(values).on_conflict_do_nothing(index_elements=["signup_id"])
    return affected_rows(await session.execute(stmt))


async def counted_no_show_times(session: AsyncSession, *, volunteer_id: int, since: dt.datetime) -> list[dt.datetime]:
    """End times of the volunteer's unexcused no-shows since `since`, oldest first."""
    return list((await session.scalars(
        select(NoShow.activity_ended_at)
        .where(NoShow.volunteer_id == volunteer_id, NoShow.excused_at.is_(None), NoShow.activity_ended_at > since)
        .order_by(NoShow.activity_ended_at))).all())


async def no_show_counts(session: AsyncSession, volunteer_ids: Iterable[int], *, since: dt.datetime) -> dict[int, int]:
    """Unexcused no-shows per volunteer since `since` (volunteers without any are left out)."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    return dict((await session.execute(
        select(NoShow.volunteer_id, func.count())
        .where(NoShow.volunteer_id.in_(ids), NoShow.excused_at.is_(None), NoShow.activity_ended_at > since)
        .group_by(NoShow.volunteer_id))).tuples().all())


async def no_shows_of(session: AsyncSession, *, volunteer_id: int, limit: int = 100) -> Sequence[tuple[NoShow, str]]:
    """(no-show, activity title) of a volunteer, newest first, excused ones included."""
    return (await session.execute(
        select(NoShow, Activity.title).join(Activity, Activity.id == NoShow.activity_id)
        .where(NoShow.volunteer_id == volunteer_id).order_by(NoShow.activity_ended_at.desc()).limit(limit))
    ).tuples().all()


async def lock_no_show(session: AsyncSession, no_show_id: int) -> NoShow | None:
    """The no-show, locked for the excuse (two organisers excusing at once: one wins)."""
    return await session.scalar(select(NoShow).where(NoShow.id == no_show_id).with_for_update())


async def policy(session: AsyncSession, community_id: int) -> NoShowPolicy | None:
    """The community's own no-show policy row, if it set one."""
    return await session.get(NoShowPolicy, community_id)


async def qualification_types(session: AsyncSession, community_id: int) -> Sequence[QualificationType]:
    """The community's own qualification types (and its names for default ones), by code."""
    return (await session.scalars(select(QualificationType).where(QualificationType.community_id == community_id)
                                  .order_by(QualificationType.code))).all()


async def required_codes(session: AsyncSession, *, community_id: int, kind_code: str) -> list[str]:
    """The qualification codes the community's activity kind requires."""
    return list((await session.scalars(
        select(KindQualification.qualification_code)
        .where(KindQualification.community_id == community_id, KindQualification.kind_code == kind_code)
        .order_by(KindQualification.qualification_code))).all())


async def requirements(session: AsyncSession, community_id: int) -> Sequence[KindQualification]:
    """Every kind → qualification requirement of the community."""
    return (await session.scalars(select(KindQualification).where(KindQualification.community_id == community_id)
                                  .order_by(KindQualification.kind_code, KindQualification.qualification_code))).all()


async def valid_checked_codes(session: AsyncSession, *, volunteer_id: int, on: dt.date) -> set[str]:
    """Codes of the volunteer's qualifications valid on `on` and checked by an organiser."""
    return set((await session.scalars(
        select(VolunteerQualification.qualification_code)
        .where(VolunteerQualification.volunteer_id == volunteer_id, VolunteerQualification.valid_until >= on,
               VolunteerQualification.verified_at.is_not(None)))).all())


async def qualifications_of(session: AsyncSession, *, volunteer_id: int) -> Sequence[VolunteerQualification]:
    """A volunteer's qualifications, soonest expiry first."""
    return (await session.scalars(select(VolunteerQualification)
                                  .where(VolunteerQualification.volunteer_id == volunteer_id)
                                  .order_by(VolunteerQualification.valid_until, VolunteerQualification.id))).all()


async def claim_due_reminders(session: AsyncSession, *, today: dt.date, until: dt.date) -> list[tuple[int, int]]:
    """Mark checked qualifications expiring in [today, until] not yet reminded for this date; (id, volunteer id)."""
    due = and_(VolunteerQualification.valid_until >= today, VolunteerQualification.valid_until <= until,
               VolunteerQualification.verified_at.is_not(None),
               or_(VolunteerQualification.reminded_for.is_(None),
                   VolunteerQualification.reminded_for != VolunteerQualification.valid_until))
    rows = list((await session.execute(select(VolunteerQualification.id, VolunteerQualification.volunteer_id)
                                       .where(due).with_for_update(skip_locked=True))).tuples().all())
    if rows:
        await session.execute(update(VolunteerQualification)
                              .where(VolunteerQualification.id.in_([r[0] for r in rows]))
                              .values(reminded_for=VolunteerQualification.valid_until)
                              .execution_options(synchronize_session=False))
    return rows


async def type_names(session: AsyncSession, *, community_id: int, codes: list[str],
                     defaults: dict[str, str]) -> list[str]:
    """The names of the given qualification codes (the community's own name wins), in the given order."""
    names = {**defaults, **{t.code: t.name for t in await qualification_types(session, community_id)}}
    return [names.get(code, code) for code in codes]


async def activity_title(session: AsyncSession, activity_id: int) -> str:
    """An activity's title ("" if gone)."""
    return await session.scalar(select(Activity.title).where(Activity.id == activity_id)) or ""

"""Builders for the checkins tests: an activity around now, sign-ups, kiosk codes, cards, outbox reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity, ActivityKind, ActivityStatus, Signup
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance, CheckinPolicy
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.events import OutboxEvent
from tests.factories import Org, Person, make_org, make_person, make_team

VENUE = (39.9042, 116.4074)  # latitude, longitude of the activity


async def make_activity(session: AsyncSession, org: Org, *, starts_in: dt.timedelta = dt.timedelta(minutes=10),
                        duration: dt.timedelta = dt.timedelta(hours=2), status: str = ActivityStatus.PUBLISHED,
                        kind: str = "cleanup", capacity: int | None = None, community: Any = None,
                        position: tuple[float, float] | None = VENUE) -> Activity:
    starts_at = utcnow() + starts_in
    activity = Activity(community_id=(community or org.community).id, kind=kind, title="楼道清洁",
                        starts_at=starts_at, ends_at=starts_at + duration, status=status, capacity=capacity,
                        latitude=position[0] if position else None, longitude=position[1] if position else None)
    session.add(activity)
    await session.commit()
    return activity


async def sign_up(session: AsyncSession, activity: Activity, volunteer_id: int, status: str = "confirmed") -> None:
    session.add(Signup(activity_id=activity.id, volunteer_id=volunteer_id, status=status))
    await session.commit()


async def set_policy(session: AsyncSession, activity: Activity, **fields: Any) -> None:
    session.add(CheckinPolicy(activity_id=activity.id, **fields))
    await session.commit()


async def auto_approving_kind(session: AsyncSession, code: str = "patrol") -> None:
    session.add(ActivityKind(code=code, name="治安巡逻", auto_approve=True))
    await session.commit()


def code(settings: Settings, activity_id: int, purpose: str = tokens.CHECK_IN, *, at: dt.datetime | None = None) -> str:
    return tokens.issue_kiosk_token(secret_key=settings.secret_key, rotation_seconds=settings.qr_rotation_seconds,
                                    activity_id=activity_id, purpose=purpose, now=at or utcnow()).token


def card(settings: Settings, volunteer_id: int, version: int = 1) -> str:
    return tokens.issue_card_token(secret_key=settings.secret_key, volunteer_id=volunteer_id, card_version=version)


async def events_of(db: Any, type_: str) -> list[dict[str, Any]]:
    async with db.session_scope() as s:
        rows = await s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id))
        return [dict(r.payload) for r in rows.all()]


async def event_types(db: Any) -> list[str]:
    """Every event in the outbox, by type: a scan writes none (the attendance row is the record)."""
    async with db.session_scope() as s:
        return list((await s.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id))).all())


async def attendance_count(db: Any) -> int:
    async with db.session_scope() as s:
        return int(await s.scalar(select(func.count()).select_from(Attendance)) or 0)


async def get_attendance(db: Any, attendance_id: int) -> Attendance:
    async with db.session_scope() as s:
        return await s.get(Attendance, attendance_id)


@dataclasses.dataclass
class Scene:
    """A community with an organiser, a team leader, a volunteer (signed up) and an activity soon."""

    org: Org
    organiser: Person
    leader: Person
    volunteer: Person
    activity: Activity


async def scene(session: AsyncSession, **activity_fields: Any) -> Scene:
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    volunteer = await make_person(session, Role.VOLUNTEER, community=org.community)
    team = await make_team(session, org.community, members=[volunteer.volunteer])
    leader = await make_person(session, Role.TEAM_LEADER, community=org.community, team=team)
    activity = await make_activity(session, org, **activity_fields)
    await sign_up(session, activity, volunteer.volunteer.id)
    return Scene(org=org, organiser=organiser, leader=leader, volunteer=volunteer, activity=activity)


async def scan(client: Any, path: str, token: str, person: Person, **body: Any) -> Any:
    return await client.post(path, json={"token": token, **body}, headers=person.headers)

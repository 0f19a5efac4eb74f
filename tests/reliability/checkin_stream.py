"""The volunteers' day the fault tests drive through real API processes: check in, check out, the organiser
corrects the times to one hour (which approves it and posts the credit). Afterwards `count_postings` says what
the ledger holds: every attendance approved with exactly one credit of 60 minutes, or what was lost or doubled."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random

import httpx
from sqlalchemy import func, select

from servicebank.accounts.models import User
from servicebank.accounts.sessions import open_session
from servicebank.activities.models import Activity, ActivityStatus
from servicebank.checkins import tokens
from servicebank.checkins.models import Attendance
from servicebank.kernel.db import Database
from servicebank.kernel.events import OutboxEvent
from servicebank.ledger.models import AttendancePosting, ServiceCredit
from servicebank.volunteers.models import Volunteer
from tests.factories import make_org, make_person


@dataclasses.dataclass(frozen=True)
class Patrol:
    """An activity in progress, its volunteers' bearer tokens and its organiser's."""

    activity_id: int
    volunteer_tokens: list[str]
    organiser_token: str
    community_id: int


async def arrange_patrol(db: Database, volunteers: int) -> Patrol:
    async with db.sessionmaker() as session:
        org = await make_org(session)
        organiser = await make_person(session, "organiser", community=org.community)
        now = dt.datetime.now(dt.UTC)
        activity = Activity(community_id=org.community.id, kind="patrol", title="夜间巡逻", starts_at=now - dt.timedelta(minutes=30),
                            ends_at=now + dt.timedelta(hours=3), status=ActivityStatus.IN_PROGRESS)
        session.add(activity)
        people = [Volunteer(community_id=org.community.id, number=f"{org.community.code}-X{i:05d}",
                            real_name=f"巡逻员{i}", phone=f"137{i:08d}") for i in range(volunteers)]
        session.add_all(people)
        await session.flush()
        users = [User(phone=v.phone, display_name=v.real_name, password_hash="x", volunteer_id=v.id) for v in people]
        session.add_all(users)
        await session.flush()
        volunteer_tokens = [await open_session(session, user_id=u.id) for u in users]
        await session.commit()
        return Patrol(activity.id, volunteer_tokens, organiser.token, org.community.id)


class Stream:
    """Counts what the API answered while faults were injected."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.unexpected: list[str] = []
        self.retries = 0

    async def call(self, client: httpx.AsyncClient, method: str, url: str, *, ok: set[int], **kw) -> httpx.Response:  # noqa: ANN003
        for _ in range(200):
            try:
                response = await client.request(method, url, **kw)
            except httpx.TransportError:
                self.retries += 1
                await asyncio.sleep(0.25)
                continue
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code in ok:
                return response
            if response.status_code == 503 and response.json().get("code") == "database_unavailable":
                self.retries += 1  # a phone user taps again a moment later
                await asyncio.sleep(0.5)
                continue
            self.unexpected.append(f"{method} {url} -> {response.status_code} {response.text[:200]}")
            return response
        raise AssertionError(f"{method} {url} never succeeded")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


async def volunteer_day(stream: Stream, client: httpx.AsyncClient, patrol: Patrol, token: str, *,
                        secret_key: str, rotation_seconds: int) -> None:
    """One volunteer scans in and out at the kiosk; the organiser then records an hour of service."""

    def kiosk(purpose: str) -> str:
        return tokens.issue_kiosk_token(secret_key=secret_key, rotation_seconds=rotation_seconds,
                                        activity_id=patrol.activity_id, purpose=purpose,
                                        now=dt.datetime.now(dt.UTC)).token

    auth = {"Authorization": f"Bearer {token}"}
    checkin = await stream.call(client, "POST", "/api/check-ins", ok={200, 201}, headers=auth,
                                json={"token": kiosk("check-in")})
    await asyncio.sleep(random.random() * 0.05)
    r = await stream.call(client, "POST", "/api/check-outs", ok={200, 201}, headers=auth,
                          json={"token": kiosk("check-out")})
    assert r.status_code in (200, 201), (checkin.text[:300], r.text[:300])
    attendance = r.json()["attendance"]
    start = dt.datetime.fromisoformat(attendance["checked_in_at"]).replace(second=0, microsecond=0)
    await stream.call(client, "POST", f"/api/attendance/{attendance['id']}/adjust", ok={200},
                      headers={"Authorization": f"Bearer {patrol.organiser_token}"},
                      json={"checked_in_at": (start - dt.timedelta(minutes=60)).isoformat(),
                            "checked_out_at": start.isoformat(), "reason": "补录实际服务时间"})


async def wait_outbox_empty(db: Database, timeout: float) -> int:
    """Until every event is processed (the last worker and the sweeps finish the backlog); returns those left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db.session_scope() as s:
            pending = await s.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.processed_at.is_(None)))
        if not pending or loop.time() > deadline:
            return pending or 0
        await asyncio.sleep(1.0)


@dataclasses.dataclass(frozen=True)
class Postings:
    """What the ledger holds for the stream's attendances."""

    approved: int
    lost: int
    duplicated: int
    minutes: set[int]
    events: int
    dead: int


async def count_postings(db: Database, volunteers: int) -> Postings:
    async with db.session_scope() as s:
        approved = await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.status == "approved"))
        credits = dict((await s.execute(select(ServiceCredit.attendance_id, func.count())
                                        .group_by(ServiceCredit.attendance_id))).all())
        minutes = dict((await s.execute(select(AttendancePosting.attendance_id, AttendancePosting.minutes))).all())
        events = await s.scalar(select(func.count(OutboxEvent.id)))
        dead = await s.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.dead.is_(True)))
    return Postings(approved=approved or 0, lost=volunteers - len(minutes),
                    duplicated=sum(1 for n in credits.values() if n != 1), minutes=set(minutes.values()),
                    events=events or 0, dead=dead or 0)

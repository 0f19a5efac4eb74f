"""A seeded month of service (October 2026) written straight into the activity, attendance and ledger tables,
with every record also kept in Python so tests can compute the expected figures independently."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import Activity, ActivityKind
from servicebank.checkins.models import Attendance
from servicebank.ledger.models import AttendancePosting, ServiceCredit, Transaction
from servicebank.org.models import Community
from servicebank.volunteers.models import Team, Volunteer
from tests.factories import Org, make_org, make_team, make_volunteer

TZ = ZoneInfo("Asia/Shanghai")
KINDS = {"patrol": "治安巡逻", "elderly_care": "敬老助老", "cleanup": "环境清洁"}
_keys = itertools.count(1)


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ).astimezone(dt.UTC)


@dataclasses.dataclass
class CreditRecord:
    volunteer_id: int
    minutes: int
    posted_at: dt.datetime
    service_date: dt.date
    attendance_id: int | None


@dataclasses.dataclass
class AttendanceRecord:
    attendance_id: int
    activity_id: int
    volunteer_id: int
    community_id: int
    status: str
    service_date: dt.date
    served_minutes: int
    credited_minutes: int


@dataclasses.dataclass
class ActivityRecord:
    activity_id: int
    community_id: int
    kind: str
    starts_at: dt.datetime
    status: str
    groups: list[str]
    beneficiaries: int


@dataclasses.dataclass
class Seeded:
    org: Org
    far: Community  # a community of another street
    volunteers: dict[int, Volunteer]
    teams: list[Team]
    team_members: dict[int, list[int]]
    credits: list[CreditRecord] = dataclasses.field(default_factory=list)
    attendances: list[AttendanceRecord] = dataclasses.field(default_factory=list)
    activities: list[ActivityRecord] = dataclasses.field(default_factory=list)


async def add_kinds(session: AsyncSession) -> None:
    session.add_all([ActivityKind(code=code, name=name) for code, name in KINDS.items()])
    await session.commit()


async def add_activity(session: AsyncSession, seeded: Seeded, community: Community, *, kind: str,
                       starts_at: dt.datetime, groups: list[str], beneficiaries: int,
                       status: str = "completed") -> Activity:
    activity = Activity(community_id=community.id, kind=kind, title=f"{KINDS[kind]}活动", starts_at=starts_at,
                        ends_at=starts_at + dt.timedelta(hours=3), status=status, beneficiary_groups=groups,
                        beneficiaries_count=beneficiaries)
    session.add(activity)
    await session.flush()
    seeded.activities.append(ActivityRecord(activity.id, community.id, kind, starts_at, status, groups, beneficiaries))
    return activity


async def credit(session: AsyncSession, seeded: Seeded, *, volunteer_id: int, minutes: int, posted_at: dt.datetime,
                 service_date: dt.date, attendance_id: int | None) -> None:
    """One ledger transaction crediting service minutes, posted at `posted_at`."""
    txn = Transaction(source_key=f"test:{next(_keys)}", kind="service", created_at=posted_at)
    session.add(txn)
    await session.flush()
    session.add(ServiceCredit(transaction_id=txn.id, created_at=txn.created_at, volunteer_id=volunteer_id,
                              service_date=service_date,
                              minutes=minutes, points=minutes, attendance_id=attendance_id))
    seeded.credits.append(CreditRecord(volunteer_id, minutes, posted_at, service_date, attendance_id))


async def attend(session: AsyncSession, seeded: Seeded, activity: Activity, volunteer: Volunteer, *,
                 minutes: int, status: str = "approved", posted_at: dt.datetime | None = None) -> Attendance:
    """An attendance; approved ones are credited in the ledger (posted when approved)."""
    service_date = activity.starts_at.astimezone(TZ).date()
    attendance = Attendance(activity_id=activity.id, volunteer_id=volunteer.id, community_id=activity.community_id,
                            status=status, served_minutes=minutes, service_date=service_date)
    session.add(attendance)
    await session.flush()
    credited = 0
    if status == "approved":
        posted = posted_at or activity.starts_at + dt.timedelta(days=1)
        await credit(session, seeded, volunteer_id=volunteer.id, minutes=minutes, posted_at=posted,
                     service_date=service_date, attendance_id=attendance.id)
        session.add(AttendancePosting(attendance_id=attendance.id, volunteer_id=volunteer.id,
                                      community_id=activity.community_id, service_date=service_date,
                                      minutes=minutes, points=minutes, first_transaction_id=0,
                                      last_transaction_id=0))
        credited = minutes
    seeded.attendances.append(AttendanceRecord(attendance.id, activity.id, volunteer.id, activity.community_id,
                                               status, service_date, minutes, credited))
    return attendance


async def seed_october(session: AsyncSession, *, seed: int = 7) -> Seeded:
    """Two communities of one street and one far away, with a month of varied service."""
    rnd = random.Random(seed)
    await add_kinds(session)
    org = await make_org(session)
    other_org = await make_org(session)
    far = other_org.community
    volunteers: dict[int, Volunteer] = {}
    home = [await make_volunteer(session, org.community, name=f"张{i}{'英' * (i % 3)}",
                                 public_consent=i % 5 != 0) for i in range(14)]
    home.append(await make_volunteer(session, org.community, name="钱公岗", paid_service=True))
    home.append(await make_volunteer(session, org.community, name="孙暂停", status="suspended"))
    neighbours = [await make_volunteer(session, org.other, name=f"李{i}") for i in range(6)]
    distant = [await make_volunteer(session, far, name=f"王{i}") for i in range(4)]
    for v in home + neighbours + distant:
        volunteers[v.id] = v
    teams = [await make_team(session, org.community, name="党员先锋队", members=home[:5]),
             await make_team(session, org.community, name="巾帼服务队", members=home[4:9]),
             await make_team(session, org.other, name="青年突击队", members=neighbours[:3]),
             await make_team(session, far, name="远方队", members=distant)]
    members = {teams[0].id: [v.id for v in home[:5]], teams[1].id: [v.id for v in home[4:9]],
               teams[2].id: [v.id for v in neighbours[:3]], teams[3].id: [v.id for v in distant]}
    # Everyone registered long before the seeded months (the 台账 counts rows created before a period ends).
    for row in [*volunteers.values(), *teams]:
        row.created_at = local(2025, 1, 1)
    seeded = Seeded(org=org, far=far, volunteers=volunteers, teams=teams, team_members=members)
    plans = [(org.community, home, "patrol", ["老年人"], 30), (org.community, home, "elderly_care",
             ["老年人", "困难家庭"], 12), (org.other, neighbours, "cleanup", ["青少年"], 50),
             (far, distant, "patrol", [], 5)]
    for day in (3, 10, 17, 24, 31):
        for community, people, kind, groups, beneficiaries in plans:
            activity = await add_activity(session, seeded, community, kind=kind, starts_at=local(2026, 10, day, 9),
                                          groups=groups, beneficiaries=beneficiaries)
            for volunteer in rnd.sample(people, k=min(len(people), rnd.randint(2, 6))):
                minutes = rnd.choice((60, 90, 120, 150, 180))
                status = rnd.choice(("approved",) * 6 + ("declined", "no_show"))
                # The 31st is approved on 1 November: credited in November, not in October.
                await attend(session, seeded, activity, volunteer, minutes=minutes, status=status)
    # A tie at the top of the neighbour community, and a correction posted late.
    await credit(session, seeded, volunteer_id=home[0].id, minutes=-60, posted_at=local(2026, 10, 20),
                 service_date=dt.date(2026, 10, 3), attendance_id=None)
    await credit(session, seeded, volunteer_id=home[1].id, minutes=600, posted_at=local(2026, 11, 5),
                 service_date=dt.date(2026, 10, 10), attendance_id=None)
    cancelled = await add_activity(session, seeded, org.community, kind="patrol", starts_at=local(2026, 10, 12),
                                   groups=["老年人"], beneficiaries=99, status="cancelled")
    assert cancelled.id
    # The same month one year earlier, for the comparison columns of the 台账.
    for day in (5, 19):
        activity = await add_activity(session, seeded, org.community, kind="patrol",
                                      starts_at=local(2025, 10, day, 9), groups=["老年人"], beneficiaries=20)
        for volunteer in home[:3]:
            await attend(session, seeded, activity, volunteer, minutes=120)
    await session.commit()
    return seeded

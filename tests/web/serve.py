"""A real server for the browser tests: fresh SQLite, the embedded worker in-process, a small world.

Run as `python -m tests.web.serve <data dir> <port>`; prints one JSON line with the logins, then serves.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

SECRET_KEY = "s" * 48  # the server's; the camera test signs a card and a redemption code with it


async def build_world(database_url: str) -> dict[str, object]:
    """Schema, a community with an organiser, a volunteer, a store with its clerk and one item."""
    import servicebank.registry  # noqa: F401  (every domain's models)
    from servicebank.accounts.models import Role
    from servicebank.config import Settings
    from servicebank.kernel.db import Database
    from servicebank.stores.models import Store, StoreItem
    from tests.factories import PASSWORD, make_org, make_person
    from tests.requests.world import requests_world

    db = Database(Settings(database_url=database_url, secret_key="x" * 40))
    from servicebank import registry  # every domain's models
    await registry.create_tables(db)
    async with db.sessionmaker() as session:
        org = await make_org(session)
        organiser = await make_person(session, Role.ORGANISER, community=org.community, name="社工小李")
        volunteer = await make_person(session, Role.VOLUNTEER, community=org.community, name="王秀英")
        assert volunteer.volunteer is not None
        volunteer.volunteer.public_consent = True
        store = Store(community_id=org.community.id, name="爱心超市")
        session.add(store)
        await session.flush()
        session.add(StoreItem(store_id=store.id, name="大米", unit="袋", price_points=10, stock=20))
        clerk = await make_person(session, Role.STORE_CLERK, community=org.community, store_id=store.id,
                                  name="店员小张")
        admin = await make_person(session, Role.PLATFORM_ADMIN, name="平台管理员")
        await session.commit()
        world = {"password": PASSWORD, "organiser": organiser.user.username, "admin": admin.user.username, "volunteer": volunteer.user.phone,
                 "clerk": clerk.user.username, "community_id": org.community.id, "store_id": store.id,
                 "volunteer_name": "王秀英", "volunteer_id": volunteer.volunteer.id,
                 **await organiser_world(session, org, organiser)}
        world.update(await scanner_world(session, org.community, world["team_id"]))
        world.update(await past_world(session, org.community, volunteer.volunteer.id))
        world.update(await clerk_world(session, org.community))
        world.update(await patrol_world(session))
        world.update(await lookup_world(session, org.community, world["team_id"]))
        world.update(await slow_login_world(session, org.community))
        world.update(await refusal_world(session, org.community, world["team_id"]))
        world.update(await admin_world(session, org))
        world.update(await requests_world(session, org))
        from tests.web.serve_offline import offline_world
        from tests.web.serve_records import claims_world, insurance_world

        world.update(await claims_world(session, org.community))
        world.update(await insurance_world(session, org.community))

        world.update(await offline_world(session, org.community, volunteer.volunteer.id))
    await db.dispose()
    return world


async def organiser_world(session, org, organiser) -> dict[str, int]:  # noqa: ANN001
    """What the organiser pages show: a team, a draft activity, a weekly series, a list with an objection."""
    import datetime as dt

    from servicebank.accounts.sessions import load_principal
    from servicebank.activities import series
    from servicebank.activities.models import Activity
    from servicebank.activities.schemas import SeriesCreate
    from servicebank.honours.models import HonourList, HonourObjection
    from tests.factories import make_team

    team = await make_team(session, org.community, name="党员先锋队", kind="党员")
    now = dt.datetime.now(dt.UTC)
    draft = Activity(community_id=org.community.id, kind="cleanup", title="小区绿化", status="draft",
                     starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=3, hours=2))
    session.add(draft)
    principal = await load_principal(session, organiser.user)
    weekly = await series.create_series(session, principal=principal, timezone="Asia/Shanghai", data=SeriesCreate(
        community_id=org.community.id, kind="patrol", title="周六治安巡逻", rrule="FREQ=WEEKLY;BYDAY=SA",
        starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=2)))
    honours = HonourList(scope_kind="community", scope_id=org.community.id, month="2026-01", title="一月光荣榜",
                         status="published", period_start=now - dt.timedelta(days=60),
                         period_end=now - dt.timedelta(days=30), published_at=now,
                         notice_ends_at=now + dt.timedelta(days=7))
    session.add(honours)
    await session.flush()
    session.add(HonourObjection(list_id=honours.id, name="居民老马", text="名单上的时长和我看到的不一样", client_key="k"))
    await session.commit()
    return {"team_id": team.id, "activity_id": draft.id, "series_id": weekly.id, "list_id": honours.id}


async def scanner_world(session, community, team_id: int) -> dict[str, object]:  # noqa: ANN001
    """For the camera scanner: an elderly volunteer with only a printed card, a team leader, an activity open
    for check-in now (it started a moment ago and runs all day)."""
    import datetime as dt

    from servicebank.accounts.models import Role
    from servicebank.activities.models import Activity
    from servicebank.volunteers.models import Team, TeamMember
    from tests.factories import make_person, make_volunteer

    elder = await make_volunteer(session, community, name="孙桂兰")
    # In the leader's team: only leaders of the volunteer's own teams (and organisers) sign them in by card.
    session.add(TeamMember(team_id=team_id, volunteer_id=elder.id))
    leader = await make_person(session, Role.TEAM_LEADER, community=community, team=await session.get(Team, team_id),
                               name="赵队长")
    now = dt.datetime.now(dt.UTC)
    activity = Activity(community_id=community.id, kind="elderly_visit", title="敬老理发", status="published",
                        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=8))
    session.add(activity)
    await session.commit()
    return {"elder_id": elder.id, "elder_number": elder.number, "elder_card_version": elder.card_version,
            "leader": leader.user.username, "leader_user_id": leader.user.id, "open_activity_id": activity.id}


async def past_world(session, community, volunteer_id: int) -> dict[str, object]:  # noqa: ANN001
    """For the organiser's day: yesterday's cleanup with a record nobody approved yet, and a full lecture
    next week with a waitlist."""
    import datetime as dt

    from servicebank.activities.models import Activity, Signup
    from servicebank.checkins.models import Attendance
    from tests.factories import make_volunteer

    now = dt.datetime.now(dt.UTC)
    past = Activity(community_id=community.id, kind="cleanup", title="河道清洁", status="completed",
                    starts_at=now - dt.timedelta(days=1, hours=3), ends_at=now - dt.timedelta(days=1, hours=1))
    full = Activity(community_id=community.id, kind="legal_publicity", title="防诈骗讲座", status="published", capacity=1,
                    starts_at=now + dt.timedelta(days=6), ends_at=now + dt.timedelta(days=6, hours=1))
    session.add_all([past, full])
    await session.flush()
    # Her own volunteer, so approving the record leaves the other tests' balances alone.
    helper = await make_volunteer(session, community, name="陈阿姨")
    session.add(Attendance(activity_id=past.id, volunteer_id=helper.id, community_id=community.id,
                           checked_in_at=past.starts_at, checked_out_at=past.ends_at, status="checked_out",
                           served_minutes=120, service_date=past.starts_at.date(), flags=[]))
    waiting = await make_volunteer(session, community, name="周大爷")
    # For the volunteer's day: a show that 周大爷 filled, and a clinic she signed up for that has begun.
    show = Activity(community_id=community.id, kind="cultural_show", title="重阳节文艺演出", status="published",
                    capacity=1, starts_at=now + dt.timedelta(days=4), ends_at=now + dt.timedelta(days=4, hours=2))
    clinic = Activity(community_id=community.id, kind="health_clinic", title="社区义诊", status="published",
                      starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=3))
    session.add_all([show, clinic])
    await session.flush()
    session.add_all([Signup(activity_id=full.id, volunteer_id=volunteer_id, status="confirmed"),
                     Signup(activity_id=full.id, volunteer_id=waiting.id, status="waitlisted", position=1),
                     Signup(activity_id=show.id, volunteer_id=waiting.id, status="confirmed"),
                     Signup(activity_id=clinic.id, volunteer_id=volunteer_id, status="confirmed")])
    await session.commit()
    return {"past_activity_id": past.id, "full_activity_id": full.id, "show_activity_id": show.id,
            "clinic_activity_id": clinic.id, **await honour_months(session, community)}


async def honour_months(session, community) -> dict[str, object]:  # noqa: ANN001
    """For the honour lists: two volunteers of their own team credited in each of the last two finished months
    (ledger rows only, so nobody else's balance or board changes)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from servicebank.ledger.models import ServiceCredit, Transaction
    from tests.factories import make_team, make_volunteer

    people = [await make_volunteer(session, community, name="刘桂芳", public_consent=True),
              await make_volunteer(session, community, name="何建国")]
    await make_team(session, community, name="巾帼志愿队", members=people)
    first_of_month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    months = []
    for back in (1, 2):
        day = first_of_month
        for _ in range(back):
            day = (day - dt.timedelta(days=1)).replace(day=1)
        posted = dt.datetime.combine(day.replace(day=10), dt.time(10), ZoneInfo("Asia/Shanghai"))
        months.append(day.strftime("%Y-%m"))
        for volunteer, minutes in zip(people, (240, 120), strict=True):
            txn = Transaction(source_key=f"web-honours:{back}:{volunteer.id}", kind="service", created_at=posted)
            session.add(txn)
            await session.flush()
            session.add(ServiceCredit(transaction_id=txn.id, created_at=txn.created_at, volunteer_id=volunteer.id,
                                      service_date=posted.date(),
                                      minutes=minutes, points=minutes))
    await session.commit()
    return {"honour_name": "刘桂芳", "honour_public_name": "刘*芳", "last_month": months[0],
            "month_before_last": months[1]}


async def clerk_world(session, community) -> dict[str, object]:  # noqa: ANN001
    """For the clerk's day: a second store with its own clerk and catalogue (so 爱心超市's till stays as the other
    tests expect it) and a volunteer with 300 points who already took this month's bottle of oil."""
    import datetime as dt

    from servicebank.accounts.models import Role
    from servicebank.ledger import transactions as ledger
    from servicebank.stores.models import MonthlyItemUsage, Store, StoreItem
    from servicebank.stores.rules import local_month
    from tests.factories import make_person, make_volunteer

    store = Store(community_id=community.id, name="睦邻爱心超市")
    session.add(store)
    await session.flush()
    rice = StoreItem(store_id=store.id, name="大米", unit="袋", price_points=30, stock=20, monthly_limit=2)
    eggs = StoreItem(store_id=store.id, name="鸡蛋", unit="盒", price_points=15, stock=0)
    oil = StoreItem(store_id=store.id, name="食用油", unit="瓶", price_points=40, stock=10, monthly_limit=1)
    cooker = StoreItem(store_id=store.id, name="电饭煲", unit="台", price_points=500, stock=2)
    haircut = StoreItem(store_id=store.id, name="理发", kind="service", unit="次", price_points=20)
    session.add_all([rice, eggs, oil, cooker, haircut])
    shopper = await make_volunteer(session, community, name="刘桂芳")
    await session.flush()
    session.add(MonthlyItemUsage(item_id=oil.id, volunteer_id=shopper.id, quantity=1,
                                 month=local_month(dt.datetime.now(dt.UTC), "Asia/Shanghai")))
    issuer = await ledger.community_account(session, community.id)
    account = await ledger.volunteer_account(session, shopper.id)
    await ledger.post_transaction(session, source_key="web-test:clerk-day", kind="service",
                                  entries=[(issuer.id, -300), (account.id, 300)], service_minutes={shopper.id: 600})
    clerk = await make_person(session, Role.STORE_CLERK, community=community, store_id=store.id, name="店员小刘")
    await session.commit()
    return {"day_clerk": clerk.user.username, "day_store_id": store.id, "shopper_id": shopper.id,
            "shopper_number": shopper.number, "shopper_card_version": shopper.card_version, "day_rice_id": rice.id}


async def patrol_world(session) -> dict[str, object]:  # noqa: ANN001
    """For a patrol member's day, in a community of its own so nobody else's counts move: 刘建国 with 100
    points, a confirmed family link to his daughter, a gift cap of 30 points a month, a store with an address
    and prices, a twice-weekly patrol he signed up for on every date, and an activity open now behind a
    geofence that refuses check-ins from afar."""
    import datetime as dt

    from sqlalchemy import select

    from servicebank.accounts.models import Role
    from servicebank.accounts.sessions import load_principal
    from servicebank.activities import series
    from servicebank.activities.models import Activity, Signup
    from servicebank.activities.schemas import SeriesCreate
    from servicebank.checkins.models import CheckinPolicy, GeofenceMode
    from servicebank.family import service as family
    from servicebank.family.models import FamilyRelation
    from servicebank.family.schemas import FamilyLinkRecordIn
    from servicebank.ledger import transactions as ledger
    from servicebank.ledger.models import CommunityLedgerPolicy
    from servicebank.stores.models import Store, StoreItem
    from tests.factories import make_org, make_person, make_volunteer

    org = await make_org(session)
    community = org.community
    organiser = await make_person(session, Role.ORGANISER, community=community, name="社工小周")
    patroller = await make_person(session, Role.VOLUNTEER, community=community, name="刘建国")
    daughter = await make_volunteer(session, community, name="刘小红")
    assert patroller.volunteer is not None
    principal = await load_principal(session, organiser.user)
    await family.record_link(session, principal=principal, community_id=community.id, data=FamilyLinkRecordIn(
        volunteer_id=patroller.volunteer.id, relative_number=daughter.number, relation=FamilyRelation.CHILD))
    session.add(CommunityLedgerPolicy(community_id=community.id, max_transfer_per_month=30))
    issuer = await ledger.community_account(session, community.id)
    account = await ledger.volunteer_account(session, patroller.volunteer.id)
    await ledger.post_transaction(session, source_key="web-test:patrol-credit", kind="service",
                                  entries=[(issuer.id, -100), (account.id, 100)],
                                  service_minutes={patroller.volunteer.id: 600})
    store = Store(community_id=community.id, name="幸福爱心超市", address="幸福路12号一楼",
                  opening_hours="周一至周五 9:00-17:00", contact_phone="021-55550000")
    session.add(store)
    await session.flush()
    session.add_all([StoreItem(store_id=store.id, name="食用油", unit="桶", price_points=40, stock=8),
                     StoreItem(store_id=store.id, name="理发", kind="service", unit="次", price_points=15)])
    now = dt.datetime.now(dt.UTC)
    first = now + dt.timedelta(days=1)
    patrol = await series.create_series(session, principal=principal, timezone="Asia/Shanghai", data=SeriesCreate(
        community_id=community.id, kind="patrol", title="楼栋夜间巡逻", rrule="FREQ=WEEKLY;BYDAY=TU,TH",
        starts_at=first, ends_at=first + dt.timedelta(hours=2)))
    fenced = Activity(community_id=community.id, kind="patrol", title="防汛值守", status="published",
                      starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=8),
                      latitude=31.2304, longitude=121.4737)
    session.add(fenced)
    await session.flush()
    session.add(CheckinPolicy(activity_id=fenced.id, radius_m=300, geofence_mode=GeofenceMode.REFUSE))
    dates = (await session.scalars(select(Activity).where(Activity.series_id == patrol.id))).all()
    session.add_all([Signup(activity_id=a.id, volunteer_id=patroller.volunteer.id, status="confirmed")
                     for a in [*dates, fenced]])
    await session.commit()
    return {"patroller": patroller.user.phone, "patrol_community_id": community.id, "patrol_store_id": store.id,
            "patrol_series_id": patrol.id, "patrol_dates": len(dates), "fenced_activity_id": fenced.id,
            "fence": [31.2304, 121.4737]}


async def lookup_world(session, community, team_id: int) -> dict[str, object]:  # noqa: ANN001
    """For the leader's lookup (代签 without the card): today's kitchen shift of her own, an elderly member of
    her team without a phone at hand, and a namesake in no team of hers whom she must not find."""
    import datetime as dt

    from servicebank.activities.models import Activity
    from servicebank.volunteers.models import TeamMember
    from tests.factories import make_volunteer

    member = await make_volunteer(session, community, name="钱秀珍", phone="13755553721")
    session.add(TeamMember(team_id=team_id, volunteer_id=member.id))
    await make_volunteer(session, community, name="钱秀英", phone="13666660000")
    now = dt.datetime.now(dt.UTC)
    kitchen = Activity(community_id=community.id, kind="elderly_visit", title="长者食堂帮厨", status="published",
                       starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=6))
    session.add(kitchen)
    await session.commit()
    return {"kitchen_activity_id": kitchen.id, "kitchen_member_id": member.id}


async def slow_login_world(session, community) -> dict[str, object]:  # noqa: ANN001
    """For the scan-then-log-in flow: a morning exercise running now, three volunteers with confirmed places
    who are not logged in anywhere yet."""
    import datetime as dt

    from servicebank.accounts.models import Role
    from servicebank.activities.models import Activity, Signup
    from tests.factories import make_person

    now = dt.datetime.now(dt.UTC)
    activity = Activity(community_id=community.id, kind="cultural_show", title="晨练太极", status="published",
                        starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=6))
    session.add(activity)
    await session.flush()
    people = [await make_person(session, Role.VOLUNTEER, community=community, name=name)
              for name in ("刘奶奶", "马大爷", "钱阿姨")]
    session.add_all([Signup(activity_id=activity.id, volunteer_id=p.volunteer.id, status="confirmed") for p in people])
    await session.commit()
    return {"taiji_activity_id": activity.id, "slow_logins": [p.user.phone for p in people]}


def install_clock(clock_file: str) -> None:
    """Let a test move the scan pages' clock forward: seconds to add are read from `clock_file` (absent: none),
    so a test can let the kiosk code rotate without waiting for it."""
    import datetime as dt

    from servicebank.web.pages.checkins import scan

    def shifted_now() -> dt.datetime:
        try:
            with open(clock_file) as f:
                offset = float(f.read().strip() or 0)
        except FileNotFoundError:
            offset = 0
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)

    scan.utcnow = shifted_now


async def refusal_world(session, community, team_id: int) -> dict[str, object]:  # noqa: ANN001
    """For the Chinese sweep: a reading club open for check-in now whose one place someone else took, so a
    walk-in is refused as full; a study meeting for one team's members only."""
    import datetime as dt

    from servicebank.activities.models import Activity, Signup
    from tests.factories import make_volunteer

    now = dt.datetime.now(dt.UTC)
    club = Activity(community_id=community.id, kind="cultural_show", title="社区读书会", status="published",
                    capacity=1, starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=8))
    study = Activity(community_id=community.id, kind="cultural_show", title="党员学习会", status="published",
                     team_ids=[team_id], starts_at=now + dt.timedelta(days=2),
                     ends_at=now + dt.timedelta(days=2, hours=1))
    session.add_all([club, study])
    await session.flush()
    reader = await make_volunteer(session, community, name="刘阿婆")
    session.add(Signup(activity_id=club.id, volunteer_id=reader.id, status="confirmed"))
    await session.commit()
    return {"full_now_activity_id": club.id, "team_only_activity_id": study.id}


async def admin_world(session, org) -> dict[str, object]:  # noqa: ANN001
    """For the street office's day: the administrator of the street of 和谐社区 and its neighbour 友邻社区, which has
    no organiser yet, a proposal waiting for the street's decision and a team leader who mistyped their password
    until the login made them wait a quarter of an hour."""
    import datetime as dt

    from servicebank.accounts.models import LoginThrottle, Role
    from servicebank.activities.models import Activity, ActivityProposal
    from tests.factories import make_person, make_team

    street_admin = await make_person(session, Role.STREET_ADMIN, street=org.street, name="街道办老陈")
    now = dt.datetime.now(dt.UTC)
    fair = Activity(community_id=org.other.id, kind="cultural_show", title="邻里文化节", status="pending_approval",
                    needs_approval=True, address="友邻广场", starts_at=now + dt.timedelta(days=20),
                    ends_at=now + dt.timedelta(days=20, hours=4))
    session.add(fair)
    await session.flush()
    session.add(ActivityProposal(activity_id=fair.id, goals="促进邻里交流，展示居民才艺", budget_fen=350000,
                                 expected_participants=200, schedule="上午彩排，下午演出"))
    team = await make_team(session, org.other, name="友邻文艺队", kind="文艺")
    locked = await make_person(session, Role.TEAM_LEADER, community=org.other, team=team, name="孙队长")
    session.add(LoginThrottle(key=f"user:{locked.user.id}", failures=15, last_failure_at=now,
                              blocked_until=now + dt.timedelta(minutes=15)))
    await session.commit()
    return {"street_admin": street_admin.user.username, "street_id": org.street.id, "street_name": org.street.name,
            "district_id": org.district.id, "community_name": org.community.name,
            "community_code": org.community.code, "other_community_id": org.other.id,
            "other_community_name": org.other.name, "proposal_activity_id": fair.id,
            "locked_leader": locked.user.username, "locked_leader_id": locked.user.id}


def main() -> None:
    data_dir, port = sys.argv[1], int(sys.argv[2])
    url = f"sqlite+aiosqlite:///{os.path.join(data_dir, 'web.db')}"
    os.environ.update(SERVICEBANK_DATABASE_URL=url, SERVICEBANK_PORT=str(port), SERVICEBANK_DATA_DIR=data_dir,
                      SERVICEBANK_PUBLIC_URL=f"http://127.0.0.1:{port}", SERVICEBANK_SECRET_KEY=SECRET_KEY,
                      SERVICEBANK_DATA_KEY="d" * 48,  # explicit keys: no keys file in the checkout
                      SERVICEBANK_EMBEDDED_WORKER="1", SERVICEBANK_PUBLISH_EVENTS="1")
    world = asyncio.run(build_world(url))
    world["clock_file"] = os.path.join(data_dir, "clock-offset-seconds")
    print(json.dumps(world), flush=True)
    import uvicorn

    from servicebank.app import create_app

    install_clock(world["clock_file"])

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()

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
    from servicebank.db import Database
    from servicebank.stores.models import Store, StoreItem
    from tests.factories import PASSWORD, make_org, make_person

    db = Database(Settings(database_url=database_url, secret_key="x" * 40))
    await db.create_all()
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
        await session.commit()
        world = {"password": PASSWORD, "organiser": organiser.user.username, "volunteer": volunteer.user.phone,
                 "clerk": clerk.user.username, "community_id": org.community.id, "store_id": store.id,
                 "volunteer_name": "王秀英", "volunteer_id": volunteer.volunteer.id,
                 **await organiser_world(session, org, organiser)}
        world.update(await scanner_world(session, org.community, world["team_id"]))
        world.update(await past_world(session, org.community, volunteer.volunteer.id))
        world.update(await refusal_world(session, org.community, world["team_id"]))
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
            "clinic_activity_id": clinic.id}


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


def main() -> None:
    data_dir, port = sys.argv[1], int(sys.argv[2])
    url = f"sqlite+aiosqlite:///{os.path.join(data_dir, 'web.db')}"
    os.environ.update(SERVICEBANK_DATABASE_URL=url, SERVICEBANK_PORT=str(port),
                      SERVICEBANK_PUBLIC_URL=f"http://127.0.0.1:{port}", SERVICEBANK_SECRET_KEY=SECRET_KEY,
                      SERVICEBANK_DATA_KEY="d" * 48,  # explicit keys: no keys file in the checkout
                      SERVICEBANK_EMBEDDED_WORKER="1", SERVICEBANK_PUBLISH_EVENTS="1")
    world = asyncio.run(build_world(url))
    print(json.dumps(world), flush=True)
    import uvicorn

    from servicebank.app import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()

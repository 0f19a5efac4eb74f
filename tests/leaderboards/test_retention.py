"""Retention: Redis keeps the last SERVICEBANK_LEADERBOARD_MONTHS monthly boards plus years and all time;
an older month is answered from the kept SQL totals exactly as Redis answered it before it aged out."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from servicebank.kernel.db import Database
from servicebank.leaderboards import retention
from servicebank.leaderboards.prune import prune_aged_months
from servicebank.leaderboards.rebuild import rebuild_redis
from servicebank.leaderboards.repository import read_board
from servicebank.ledger.verify import verify
from tests.factories import make_org, make_team, make_volunteer
from tests.ledger.helpers import attend, make_activity, settle

pytestmark = pytest.mark.postgres_only

OCTOBER = dt.date(2026, 10, 5)


def _freeze(monkeypatch, day: dt.date) -> None:  # noqa: ANN001
    now = dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC)
    monkeypatch.setattr(retention, "utcnow", lambda: now)


def test_the_months_kept_count_back_from_the_local_month() -> None:
    assert retention.oldest_month(dt.date(2026, 12, 6), 13) == "2025-12"
    assert retention.oldest_month(dt.date(2026, 1, 31), 1) == "2026-01"
    assert retention.oldest_month(dt.date(2026, 1, 31), 2) == "2025-12"
    assert retention.kept_in_redis("2026", "2030-01") and retention.kept_in_redis("all", "2030-01")
    assert not retention.kept_in_redis("2025-11", "2025-12") and retention.kept_in_redis("2025-12", "2025-12")


async def _boards(session) -> tuple[list[str], list[int]]:  # noqa: ANN001
    """Volunteers in two communities and a team, with ties, in October and November 2026."""
    org = await make_org(session)
    people = [await make_volunteer(session, org.community) for _ in range(6)]
    people += [await make_volunteer(session, org.other) for _ in range(3)]
    team = await make_team(session, org.community, members=people[2:7])
    november = await make_activity(session, org.community)
    october = await make_activity(session, org.community, starts_at=dt.datetime(2026, 10, 5, 1, tzinfo=dt.UTC))
    other = await make_activity(session, org.other, starts_at=dt.datetime(2026, 10, 6, 1, tzinfo=dt.UTC))
    for i, vol in enumerate(people):
        minutes = (60, 120, 60, 90, 120, 30, 60, 240, 90)[i]  # equal totals on purpose
        await attend(session, other if vol.community_id == org.other.id else october, vol, minutes=minutes,
                     service_date=OCTOBER)
        if i % 3 == 0:
            await attend(session, november, vol, minutes=30 * (i % 4 + 1))
    scopes = ["city", f"community:{org.community.id}", f"community:{org.other.id}", f"street:{org.street.id}",
              f"team:{team.id}"]
    return scopes, [v.id for v in people]


async def _answers(session, scopes: list[str], ids: list[int]) -> dict:  # noqa: ANN001
    out = {}
    for scope in scopes:
        for period in ("2026-10", "2026-11"):
            for by in ("hours", "points"):
                for limit, vid in ((100, None), (3, ids[2]), (2, ids[0]), (5, ids[7])):
                    out[(scope, period, by, limit, vid)] = await read_board(
                        session, scope=scope, period=period, by=by, limit=limit, volunteer_id=vid)
    return out


async def test_an_aged_month_is_answered_from_sql_as_redis_answered_it(db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    _freeze(monkeypatch, dt.date(2026, 12, 6))
    scopes, ids = await _boards(session)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    assert client.exists("sb:lb:2026-10:{city}:hours") and client.exists("sb:lbv:2026-10")
    before = await _answers(session, scopes, ids)
    assert before[("city", "2026-10", "hours", 100, None)][0], "the boards have rows"
    assert any(mine for _, mine in before.values())

    # A year on, October and November 2026 have aged out of the thirteen months kept.
    _freeze(monkeypatch, dt.date(2027, 11, 2))
    assert retention.oldest_kept_month(db.settings) == "2026-11"
    _freeze(monkeypatch, dt.date(2027, 12, 2))
    deleted = prune_aged_months(db.settings)
    assert deleted > 0
    left = {k.decode() for k in client.scan_iter("sb:lb*")}
    assert not any(k.startswith(("sb:lb:2026-", "sb:lbv:2026-")) for k in left)
    assert "sb:lb:2026:{city}:hours" in left and "sb:lb:all:{city}:hours" in left and "sb:lbv:2026" in left
    assert await _answers(session, scopes, ids) == before
    assert prune_aged_months(db.settings) == 0
    report = await verify(db)
    assert (report.leaderboards, report.problems) == ("ok", [])

    # Left-overs of an aged month (a prune not yet run) are no difference for `ledger verify` either.
    client.zadd("sb:lb:2026-10:{city}:hours", {"left": 1})
    assert (await verify(db)).leaderboards == "ok"
    client.delete("sb:lb:2026-10:{city}:hours")

    # A late correction to an aged month does not bring back a board with only that volunteer in it,
    # and the SQL answer has it.
    org_community = int(scopes[1].split(":")[1])
    from servicebank.org.models import Community

    late = await make_activity(session, await session.get(Community, org_community),
                               starts_at=dt.datetime(2026, 10, 20, 1, tzinfo=dt.UTC))
    from servicebank.volunteers.models import Volunteer

    await attend(session, late, await session.get(Volunteer, ids[5]), minutes=600, service_date=dt.date(2026, 10, 20))
    await settle(db)
    assert not list(client.scan_iter("sb:lb:2026-10:*")) and not client.exists("sb:lbv:2026-10")
    top, _ = await read_board(session, scope="city", period="2026-10", by="hours", limit=1, volunteer_id=None)
    assert (top[0].volunteer_id, top[0].minutes) == (ids[5], 630)
    assert client.zscore("sb:lb:2026:{city}:hours", f"{10**12 - ids[5]:013d}") is not None  # the year is kept

    # A rebuild writes only the months kept, and deletes what is left of older ones.
    client.zadd("sb:lb:2026-09:{city}:hours", {"stale": 1})
    await rebuild_redis(db)
    assert not list(client.scan_iter("sb:lb:2026-*")) and client.exists("sb:lb:2026:{city}:hours")


async def test_a_short_retention_keeps_only_the_current_month(db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    _freeze(monkeypatch, dt.date(2026, 11, 20))
    db.settings = db.settings.replace(leaderboard_months=1)
    scopes, ids = await _boards(session)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    assert client.exists("sb:lb:2026-11:{city}:hours") and not list(client.scan_iter("sb:lb:2026-10:*"))
    answers = await _answers(session, scopes, ids)
    db.settings = db.settings.replace(leaderboard_months=13)
    await rebuild_redis(db)
    assert client.exists("sb:lb:2026-10:{city}:hours")
    assert await _answers(session, scopes, ids) == answers

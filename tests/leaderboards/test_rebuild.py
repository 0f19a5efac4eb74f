"""`rebuild_redis` on PostgreSQL groups the boards in SQL: Redis must end up exactly as the row-by-row
path and the incremental pushes leave it, whatever the chunk size."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from sqlalchemy import func, select

from servicebank.checkins.models import AttendanceStatus
from servicebank.kernel.db import Database
from servicebank.leaderboards.push import member_for
from servicebank.leaderboards.rebuild import PackedWriter, packed_writer, rebuild_redis, stage_in_sql, stage_row_by_row
from servicebank.ledger.models import PeriodTotal
from servicebank.ledger.verify import verify
from servicebank.org.models import Community
from tests.factories import make_org, make_team, make_volunteer
from tests.ledger.helpers import attend, decide, make_activity, settle

pytestmark = pytest.mark.postgres_only

PERIODS = ("2026-10", "2026-11", "2026", "all")


def _dump(client: redis.Redis) -> dict[str, tuple[str, object]]:
    """Every key with its type and whole content."""
    content: dict[str, tuple[str, object]] = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "zset":
            value: object = sorted(client.zrange(key, 0, -1, withscores=True))
        elif kind == "hash":
            value = client.hgetall(key)
        else:
            value = client.get(key)
        content[key.decode()] = (kind, value)
    return content


async def _rebuilt(db: Database, **options: object) -> tuple[dict[str, tuple[str, object]], int, list[int], int]:
    """Redis after a rebuild over stale keys: (content, totals written, progress steps, ZADD commands)."""
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushdb()
    client.zadd("sb:lb:2019-01:{city}:hours", {"stale": 1})
    client.hset("sb:lbv:2019-01", "1", "1")
    client.set("sb:lb:rebuild_requested", "1")
    client.config_resetstat()
    steps: list[int] = []
    written = await rebuild_redis(db, steps.append, **options)  # type: ignore[arg-type]
    zadds = client.info("commandstats").get("cmdstat_zadd", {}).get("calls", 0)
    return _dump(client), written, steps, zadds


async def _count(session) -> int:  # noqa: ANN001
    return int(await session.scalar(select(func.count()).select_from(PeriodTotal)))


async def _city(session) -> int:  # noqa: ANN001
    """Volunteers in three communities (one without a street) and overlapping teams, with period totals
    that include zero minutes, zero points, nothing at all, ties, and an id without a volunteer row."""
    org = await make_org(session)
    lone = Community(district_id=org.district.id, street_id=None, name="独立社区", code=f"DL{org.community.id}")
    session.add(lone)
    await session.commit()
    people = ([await make_volunteer(session, org.community) for _ in range(9)]
              + [await make_volunteer(session, org.other) for _ in range(4)]
              + [await make_volunteer(session, lone) for _ in range(3)])
    await make_team(session, org.community, members=people[:5])
    await make_team(session, org.community, members=people[3:6])
    await make_team(session, lone, members=people[-1:])
    ids = [v.id for v in people] + [10**6]
    for i, vid in enumerate(ids):
        for j, period in enumerate(PERIODS):
            if (i + j) % 7 == 6:
                continue  # nothing in this period
            minutes = 0 if (i + j) % 5 == 4 else 30 * (1 + (i * j) % 4)  # equal scores on purpose
            points = 0 if i % 4 == 3 else minutes * 3 // 2
            session.add(PeriodTotal(volunteer_id=vid, period=period, minutes=minutes, points=points,
                                    version=1 + (i + j) % 3))
    await session.commit()
    return len(ids)


async def test_sql_rebuild_writes_what_the_row_by_row_rebuild_writes_at_any_chunk_size(
        db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    await _city(session)
    sizes: list[int] = []
    send = PackedWriter.send

    async def counted(self: PackedWriter, command: str, key: str, pairs: int, body: str) -> None:
        sizes.append(pairs)
        await send(self, command, key, pairs, body)

    monkeypatch.setattr(PackedWriter, "send", counted)
    expected, written, steps, _ = await _rebuilt(db, stage=stage_row_by_row)
    assert written == sum(steps) == await _count(session) > 50
    assert expected["sb:lb:built:tagged"] == ("string", b"1")
    assert not any(key.startswith(("sb:lbtmp:", "sb:lb:2019", "sb:lbv:2019", "sb:lb:rebuild")) for key in expected)
    assert {kind for kind, _ in expected.values()} == {"zset", "hash", "string"}
    boards = sum(kind == "zset" for kind, _ in expected.values())

    for chunk in (1, 3, 20_000):
        sizes.clear()
        content, total, progress, zadds = await _rebuilt(db, stage=stage_in_sql, chunk=chunk)
        assert content == expected, chunk
        assert total == sum(progress) == written
        assert max(sizes) <= chunk
        if chunk < 20_000:
            assert zadds > boards and len(progress) > len(PERIODS), chunk  # boards and versions split in slices
            assert chunk in sizes
    content, *_ = await _rebuilt(db, stage=stage_row_by_row, chunk=3)
    assert content == expected


async def test_the_default_rebuild_leaves_redis_as_the_incremental_pushes_did(db: Database, session) -> None:
    org = await make_org(session)
    people = [await make_volunteer(session, org.community) for _ in range(5)] + [
        await make_volunteer(session, org.other) for _ in range(2)]
    await make_team(session, org.community, members=people[1:4])
    november = await make_activity(session, org.community)
    october = await make_activity(session, org.other, kind="elderly_visit",
                                  starts_at=dt.datetime(2026, 10, 5, 1, tzinfo=dt.UTC))
    attendances = [await attend(session, november, v, minutes=45 + 15 * (i % 3)) for i, v in enumerate(people)]
    for v in people[3:]:
        await attend(session, october, v, minutes=90, service_date=dt.date(2026, 10, 5))
    await settle(db)
    await decide(session, attendances[2], status=AttendanceStatus.DECLINED, event="attendance.declined")
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    pushed = _dump(client)
    assert any(key.startswith("sb:lb:2026-10:{team:") for key in pushed)

    assert await rebuild_redis(db, chunk=2) == await _count(session)
    assert _dump(client) == pushed


@pytest.mark.parametrize("stager", [stage_in_sql, stage_row_by_row])
async def test_a_posting_pushed_while_a_rebuild_reads_its_snapshot_is_not_undone_by_the_swap(
        db: Database, session, stager) -> None:  # noqa: ANN001
    org = await make_org(session)
    volunteer = await make_volunteer(session, org.community)
    activity = await make_activity(session, org.community)
    await attend(session, activity, volunteer, minutes=60)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    board = f"sb:lb:2026-11:{{community:{org.community.id}}}:hours"
    member = member_for(volunteer.id)
    assert client.zscore(board, member) == 60

    async def stage_then_post(s, staging, advance, chunk):  # noqa: ANN001, ANN202
        written = await stager(s, staging, advance, chunk)  # the snapshot holds the 60 minutes
        await attend(session, await make_activity(session, org.community), volunteer, minutes=30)
        await settle(db)  # committed and pushed to the live board while the rebuild still runs
        assert client.zscore(board, member) == 90
        return written

    await rebuild_redis(db, stage=stage_then_post)
    assert client.zscore(board, member) == 90
    assert not client.exists("sb:lbr:running") and not list(client.scan_iter(match="sb:lbtmp:*"))
    report = await verify(db)
    assert report.ok, report.as_dict()


async def test_a_failed_rebuild_leaves_no_staging_keys_and_no_running_mark(db: Database, session) -> None:  # noqa: ANN001
    client = redis.Redis.from_url(db.settings.redis_url)

    async def broken(s, staging, advance, chunk):  # noqa: ANN001, ANN202
        client.zadd(staging.key("2026-11:city:hours"), {"x": 1})
        raise RuntimeError("PostgreSQL went away")

    with pytest.raises(RuntimeError):
        await rebuild_redis(db, stage=broken)
    assert not client.exists("sb:lbr:running") and not list(client.scan_iter(match="sb:lbtmp:*"))
    assert not client.exists("sb:lb:rebuild_requested")


async def test_an_error_reply_fails_the_writer(db: Database) -> None:
    client = redis.Redis.from_url(db.settings.redis_url)
    client.set("sb:test:not-a-board", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        async with packed_writer(db.settings.redis_url) as writer:
            await writer.send("ZADD", "sb:test:not-a-board", 1, "$2\r\n60\r\n$1\r\na\r\n")


async def test_the_periodic_check_rebuilds_lost_boards_without_any_reader(db: Database, session) -> None:
    from servicebank.leaderboards import tasks
    from servicebank.leaderboards.push import REBUILD_REQUESTED
    from servicebank.leaderboards.rebuild import rebuild_redis_if_missing
    from servicebank.workers.schedule import JOBS

    org = await make_org(session)
    activity = await make_activity(session, org.community)
    for i in range(4):
        await attend(session, activity, await make_volunteer(session, org.community), minutes=30 + 15 * i)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushall()  # the fixture built the boards; a fresh install has none
    assert await rebuild_redis_if_missing(db) is True  # a fresh install: never built
    built = _dump(client)
    assert built["sb:lb:built:tagged"] == ("string", b"1") and any(kind == "zset" for kind, _ in built.values())
    assert await rebuild_redis_if_missing(db) is False  # built: one EXISTS, nothing else

    client.flushall()  # Redis restarted without persistence
    client.set(REBUILD_REQUESTED, "1")  # a rebuild is already queued or running: no second one
    assert await rebuild_redis_if_missing(db) is False and not client.exists("sb:lb:built:tagged")
    client.delete(REBUILD_REQUESTED)
    assert await rebuild_redis_if_missing(db) is True
    assert _dump(client) == built

    # The scheduler sends that check periodically, to an actor of the points domain.
    job = JOBS["points-ensure-leaderboards"]
    assert job.actor_name == tasks.ensure_leaderboards.actor_name and job.every_seconds <= 60

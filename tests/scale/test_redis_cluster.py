"""On a real Redis Cluster of three masters (no replicas, no persistence) on loopback: postings reach the
boards, each scope's keys live in one slot, reads answer as on one Redis and as SQL, a rebuild from
PostgreSQL works, a master killed and restarted empty loses no points once its scopes are rebuilt, and
the Dramatiq broker carries messages to a real worker process."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import redis
from sqlalchemy import select

from servicebank.config import Settings
from servicebank.kernel import redis_clients
from servicebank.kernel.db import Database
from servicebank.leaderboards.cluster import SCOPE_BUILT_PREFIX, scope_built_key
from servicebank.leaderboards.parallel import rebuild_batch, start_parallel_rebuild_if_missing
from servicebank.leaderboards.push import BUILT_MARKER, board_key, board_scope, member_for, sync_client
from servicebank.leaderboards.rebuild import (
    current_scopes,
    rebuild_redis,
    rebuild_redis_if_missing,
    stage_in_sql,
    stage_row_by_row,
)
from servicebank.leaderboards.repository import RedisLeaderboards, SqlLeaderboards, read_board
from servicebank.ledger.models import PeriodTotal
from servicebank.ledger.verify import verify
from servicebank.org.models import Community
from servicebank.workers.broker import make_broker
from tests.conftest import _server_or_fail, make_settings
from tests.factories import make_org, make_team, make_volunteer
from tests.leaderboards.test_parallel_workers import rebuilt_by_two_workers
from tests.ledger.helpers import attend, make_activity, settle
from tests.servers import RedisClusterServer
from tests.workers.test_redis_worker import processed_by_a_worker

pytestmark = [pytest.mark.postgres_only]

PERIODS = ("2026-10", "2026-11", "2026", "all")


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterServer]:
    server = _server_or_fail(RedisClusterServer, "Redis Cluster")
    yield server
    server.close()


@pytest.fixture
def settings(postgres_url: str, cluster: RedisClusterServer) -> Settings:
    return make_settings(database_url=postgres_url, redis_url=cluster.url)


def _client(settings: Settings) -> Any:
    return redis_clients.sync_client(settings.redis_url)


async def _city(db: Database, session) -> list[Any]:  # noqa: ANN001
    """Volunteers of two communities (two streets) and two teams, serving in October and November: scopes
    enough to land on every master."""
    org = await make_org(session)
    other_org = await make_org(session)
    people = ([await make_volunteer(session, org.community) for _ in range(6)]
              + [await make_volunteer(session, org.other) for _ in range(3)]
              + [await make_volunteer(session, other_org.community) for _ in range(4)])
    await make_team(session, org.community, members=people[:4])
    await make_team(session, other_org.community, members=people[8:12])
    november = [await make_activity(session, c) for c in (org.community, org.other, other_org.community)]
    october = await make_activity(session, org.community, starts_at=dt.datetime(2026, 10, 5, 1, tzinfo=dt.UTC))
    for i, volunteer in enumerate(people):
        activity = november[0 if volunteer.community_id == org.community.id else
                            1 if volunteer.community_id == org.other.id else 2]
        await attend(session, activity, volunteer, minutes=30 * (1 + i % 3))  # ties on purpose
        if i % 2:
            await attend(session, october, volunteer, minutes=45, service_date=dt.date(2026, 10, 5))
    await settle(db)
    return people


def _dump(client: Any) -> dict[str, object]:
    """Every board, version hash and built mark (not the rebuild's bookkeeping) with its content."""
    content: dict[str, object] = {}
    for raw in client.scan_iter(count=1000):
        key = raw.decode()
        if not key.startswith(("sb:lb:", "sb:lbv:", SCOPE_BUILT_PREFIX)) or key == "sb:lb:rebuild_requested":
            continue
        kind = client.type(key).decode()
        content[key] = (sorted(client.zrange(key, 0, -1, withscores=True)) if kind == "zset" else
                        client.hgetall(key) if kind == "hash" else client.get(key))
    return content


async def _reads(db: Database, board: Any, scopes: list[str], people: list[Any]) -> dict[tuple, object]:
    """Top 5 and two volunteers' own ranks on every board."""
    answers: dict[tuple, object] = {}
    async with db.session_scope() as session:
        for scope in scopes:
            for period in PERIODS:
                for by in ("hours", "points"):
                    answers[(scope, period, by)] = await board.top(session, scope=scope, period=period, by=by, limit=5)
                    for volunteer in (people[0], people[-1]):
                        answers[(scope, period, by, volunteer.id)] = await board.rank_of(
                            session, scope=scope, period=period, by=by, volunteer_id=volunteer.id)
    return answers


async def _redis_reads(db: Database, url: str, scopes: list[str], people: list[Any]) -> dict[tuple, object]:
    client = redis_clients.async_client(url)
    try:
        return await _reads(db, RedisLeaderboards(client), scopes, people)
    finally:
        await client.aclose()


async def test_postings_reach_the_boards_one_slot_per_scope_and_read_as_one_redis_and_sql(
        db: Database, session, redis_server) -> None:  # noqa: ANN001
    people = await _city(db, session)
    client = _client(db.settings)
    scopes = await current_scopes(db)
    assert not client.exists(BUILT_MARKER)  # pushed, never rebuilt: reads go to SQL until the check runs
    assert await rebuild_redis_if_missing(db) is True
    assert client.exists(BUILT_MARKER) and client.exists(*[scope_built_key(s) for s in scopes]) == len(scopes)

    # Every key of a scope (all periods, both boards, its version hashes, its built mark) in one slot,
    # as the servers themselves hash it; the scopes spread over the masters.
    slots: dict[str, set[int]] = defaultdict(set)
    for key in _dump(client):
        if key.startswith(("sb:lb:", "sb:lbv:", SCOPE_BUILT_PREFIX)) and "{" in key:
            slots[board_scope(key)].add(client.cluster_keyslot(key))
    assert set(slots) == set(scopes)
    assert all(len(found) == 1 for found in slots.values()), slots
    masters = {client.get_node_from_key(scope_built_key(scope)).port for scope in scopes}
    assert len(masters) >= 2, "the scopes should be spread over the masters"

    # The same answers from the cluster, from one Redis rebuilt from the same totals, and from SQL.
    on_cluster = await _redis_reads(db, db.settings.redis_url, scopes, people)
    single = Database(db.settings.replace(redis_url=redis_server.url))
    try:
        redis.Redis.from_url(redis_server.url).flushdb()
        await rebuild_redis(single)
        on_one_redis = await _redis_reads(single, redis_server.url, scopes, people)
    finally:
        await single.dispose()
    in_sql = await _reads(db, SqlLeaderboards(), scopes, people)
    assert on_cluster == on_one_redis == in_sql
    assert any(isinstance(v, list) and len(v) == 5 for v in on_cluster.values())

    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()


async def test_a_rebuild_from_postgresql_leaves_the_cluster_as_the_pushes_did(db: Database, session) -> None:  # noqa: ANN001
    people = await _city(db, session)
    client = _client(db.settings)
    pushed = _dump(client)
    assert any(key.startswith("sb:lbv:2026-10:{") for key in pushed)  # version hashes per scope
    await rebuild_redis(db)  # grouped by PostgreSQL, each command sent to its slot's master
    rebuilt = _dump(client)
    assert {k: v for k, v in rebuilt.items() if not k.startswith(SCOPE_BUILT_PREFIX) and k != BUILT_MARKER} == pushed

    client.flushall()  # every master restarted empty
    assert await rebuild_redis_if_missing(db) is True
    assert _dump(client) == rebuilt
    client.flushall()
    await rebuild_redis(db, stage=stage_row_by_row, chunk=3)
    assert _dump(client) == rebuilt
    # A posting pushed while a rebuild reads its snapshot is not undone by the per-slot swaps.
    board = board_key("2026-11", f"community:{people[0].community_id}", "hours")
    before = client.zscore(board, _member(people[0].id))

    async def stage_then_post(s, staging, advance, chunk):  # noqa: ANN001, ANN202
        written = await stage_in_sql(s, staging, advance, chunk)
        await attend(session, await make_activity(session, await _community(session, people[0])), people[0],
                     minutes=15)
        await settle(db)
        return written

    await rebuild_redis(db, stage=stage_then_post)
    assert client.zscore(board, _member(people[0].id)) == before + 15
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()


async def test_a_master_restarted_empty_loses_no_points(db: Database, session, cluster) -> None:  # noqa: ANN001
    people = await _city(db, session)
    client = _client(db.settings)
    await rebuild_redis(db)
    scopes = await current_scopes(db)
    victim = client.get_node_from_key(scope_built_key(f"community:{people[0].community_id}")).port
    lost = [s for s in scopes if client.get_node_from_key(scope_built_key(s)).port == victim]

    cluster.stop_node(victim)  # down: postings still commit; their pushes to that master fail
    for volunteer in people[:3]:
        await attend(session, await make_activity(session, await _community(session, volunteer)), volunteer,
                     minutes=60)
    await settle(db)
    # Reads of the lost scopes go to SQL meanwhile (the node does not answer): right answers, no error.
    scope = f"community:{people[0].community_id}"
    async with db.session_scope() as s:
        top, mine = await read_board(s, scope=scope, period="2026-11", by="hours", limit=5, volunteer_id=people[0].id)
        assert (top, mine) == (await SqlLeaderboards().top(s, scope=scope, period="2026-11", by="hours", limit=5),
                               await SqlLeaderboards().rank_of(s, scope=scope, period="2026-11", by="hours",
                                                               volunteer_id=people[0].id))

    cluster.start_node(victim)  # back, empty: its node id and slots come from its nodes.conf
    cluster.wait_ok()
    sync_client(db.settings.redis_url).nodes_manager.initialize()
    report = await verify(db)
    assert not report.differs and report.leaderboards == "not_built", report.as_dict()  # being refilled

    # The scheduler's check sees just the lost scopes and sends batches for them alone.
    sent: list[tuple[str, int, list[str]]] = []
    job = await _parallel_check(db, sent)
    assert job is not None
    assert sorted(s for _, _, batch in sent for s in batch) == sorted(lost)
    for job_id, index, batch in sent:
        await rebuild_batch(db, job_id, index, batch)
    assert client.exists(*[scope_built_key(s) for s in scopes]) == len(scopes)

    report = await verify(db)  # lost 0, doubled 0: the ledger, the kept totals and every board agree
    assert report.ok and report.leaderboards == "ok", report.as_dict()
    async with db.session_scope() as s:
        totals = {(vid, period): (minutes, points) for vid, period, minutes, points in await s.execute(
            select(PeriodTotal.volunteer_id, PeriodTotal.period, PeriodTotal.minutes, PeriodTotal.points))}
    assert totals[(people[0].id, "2026-11")][0] == 30 + 60
    for volunteer in people[:3]:
        score = client.zscore(board_key("all", "city", "hours"), _member(volunteer.id))
        assert score == totals[(volunteer.id, "all")][0]


async def _parallel_check(db: Database, sent: list) -> str | None:  # noqa: ANN001
    from servicebank.leaderboards import parallel

    original = parallel.start_parallel_rebuild

    async def collecting(database: Database, **options: Any) -> str:
        return await original(database, send=lambda *message: sent.append(message), **options)

    parallel.start_parallel_rebuild = collecting  # type: ignore[assignment]
    try:
        return await start_parallel_rebuild_if_missing(db)
    finally:
        parallel.start_parallel_rebuild = original  # type: ignore[assignment]


async def test_the_broker_carries_messages_to_a_real_worker_on_the_cluster(settings: Settings, db: Database) -> None:
    broker = make_broker(settings)

    def publish(ids) -> None:  # noqa: ANN001
        broker.enqueue(dramatiq.Message(queue_name="events", actor_name="events.dispatch", args=(list(ids),),
                                        kwargs={}, options={}))

    db.publisher = publish
    assert await processed_by_a_worker(settings, db, 200) == (200, 0)
    keys = {raw.decode() for raw in _client(settings).scan_iter(match="*dramatiq*")}
    assert keys and all(key.startswith("{dramatiq}:") for key in keys)  # one slot, one master


def _member(volunteer_id: int) -> str:
    return member_for(volunteer_id)


async def _community(session, volunteer) -> Community:  # noqa: ANN001
    return await session.get(Community, volunteer.community_id)



async def test_rate_limits_count_on_the_cluster(settings: Settings) -> None:
    from servicebank.ratelimit import RateLimiter

    limiter = RateLimiter(settings)
    window = 10**6  # long, so the test never straddles two windows
    try:
        assert [(await limiter.count("scan:10.0.0.1", window))[0] for _ in range(3)] == [1, 2, 3]
        await limiter.forgive("scan:10.0.0.1", window)
        assert (await limiter.count("scan:10.0.0.1", window))[0] == 3
        assert not limiter._memory  # counted in Redis, not in the process's fallback
    finally:
        await limiter.close()


async def test_the_workers_share_a_parallel_rebuild_on_the_cluster(db: Database, session) -> None:  # noqa: ANN001
    await _city(db, session)
    client = _client(db.settings)
    await rebuild_redis(db)
    expected = {k: v for k, v in _dump(client).items() if not k.startswith("sb:lbv:")}
    client.flushall()
    done = rebuilt_by_two_workers(db)
    assert json.loads(done.stdout)["finished"] is True
    assert {k: v for k, v in _dump(client).items() if not k.startswith("sb:lbv:")} == expected
    report = await verify(db)
    assert report.ok and report.leaderboards == "ok", report.as_dict()

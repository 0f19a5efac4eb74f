"""The parallel rebuild: one message per batch of scopes, run concurrently and repeated, leaves Redis exactly
as the one-process rebuild does; the CLI follows the job's progress (bar or JSON lines)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
import redis

from servicebank.kernel.db import Database
from servicebank.leaderboards.parallel import (
    job_status,
    plan_batches,
    rebuild_batch,
    start_parallel_rebuild,
    start_parallel_rebuild_if_missing,
)
from servicebank.leaderboards.push import board_scope
from servicebank.leaderboards.rebuild import rebuild_redis
from tests.leaderboards.test_rebuild import _city, _dump
from tests.leaderboards.test_retention import _boards
from tests.ledger.helpers import settle

pytestmark = pytest.mark.postgres_only


def _boards_only(client: redis.Redis) -> dict:
    """What _dump shows, without the job's progress keys (a hash and a set)."""
    content: dict[str, tuple[str, object]] = {}
    for key in client.scan_iter(count=1000):
        if key.startswith(b"sb:lbjob:"):
            continue
        kind = client.type(key).decode()
        value: object = (sorted(client.zrange(key, 0, -1, withscores=True)) if kind == "zset"
                         else client.hgetall(key) if kind == "hash" else client.get(key))
        content[key.decode()] = (kind, value)
    return content


async def test_batches_run_concurrently_and_again_rebuild_what_one_process_does(db: Database, session) -> None:  # noqa: ANN001
    await _city(session)
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushdb()
    await rebuild_redis(db)
    expected = _dump(client)

    plan = await plan_batches(db, batches=2)
    assert plan[0] == ["city"] and plan[-1] == [] and len(plan) == 4
    assert sorted(s for batch in plan for s in batch) == sorted(
        board_scope(k) for k in expected if k.startswith("sb:lb:all:") and k.endswith("hours"))

    client.flushdb()
    client.zadd("sb:lb:2019-01:{city}:hours", {"stale": 1})
    client.zadd("sb:lb:2026-11:{team:999999}:hours", {"stale": 1})  # a scope nobody is in any more
    sent: list[tuple[str, int, list[str]]] = []
    job = await start_parallel_rebuild(db, batches=2, send=lambda *message: sent.append(message))
    assert [m[1] for m in sent] == list(range(len(plan))) and client.exists("sb:lb:rebuild_requested")
    assert job_status(db, job) | {"elapsed_s": 0} == {"job": job, "total": len(plan), "done": 0, "members": 0,
                                                      "finished": False, "elapsed_s": 0}

    client.delete("sb:lb:rebuild_requested")  # the claim lapsed while the batches waited behind other work
    assert await start_parallel_rebuild_if_missing(db) is None  # no second job over the one under way

    # All but one batch, two of them twice at once (a redelivery): readers still go to SQL.
    await asyncio.gather(*(rebuild_batch(db, *message) for message in sent[:-1] + sent[1:3]))
    assert not client.exists("sb:lb:built:tagged") and job_status(db, job)["done"] == len(plan) - 1
    await rebuild_batch(db, *sent[-1])
    status = job_status(db, job)
    assert (status["done"], status["finished"]) == (len(plan), True) and status["members"] > 0
    assert not client.exists("sb:lbjob:current")
    got = _boards_only(client)
    assert set(got) ^ set(expected) == set() and [k for k in got if got[k] != expected[k]] == []
    await rebuild_batch(db, *sent[1])  # a late redelivery after the end changes nothing
    assert _boards_only(client) == expected


async def test_the_cli_follows_the_workers_progress(db: Database, session, monkeypatch) -> None:  # noqa: ANN001
    from servicebank.leaderboards import tasks
    from tests.ledger.test_cli import _run

    await _boards(session)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushdb()
    await rebuild_redis(db)
    expected = _dump(client)
    client.flushdb()
    settings = db.settings
    workers: list[threading.Thread] = []

    def worker(job: str, index: int, scopes: list[str]) -> None:
        async def run() -> None:
            own = Database(settings)
            try:
                await asyncio.sleep(0.3 * index)  # so the progress has steps to show
                await rebuild_batch(own, job, index, scopes)
            finally:
                await own.dispose()

        workers.append(threading.Thread(target=asyncio.run, args=(run(),)))
        workers[-1].start()

    monkeypatch.setattr(tasks.rebuild_leaderboard_scopes, "send", worker)
    result = await _run(monkeypatch, db, ["leaderboards", "rebuild", "--parallel", "--batches", "2", "--json"])
    for thread in workers:
        thread.join()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()] if result.stderr else []
    data = json.loads(result.stdout)
    assert (data["finished"], data["done"], data["total"]) == (True, 4, 4) and data["period_totals"] > 10, data
    assert data["redis_members"] == data["members"] > 0
    batches = [line for line in lines if line.get("progress", "").startswith("rebuilding Redis")]
    assert batches and batches[-1]["done"] == batches[-1]["total"] == 4
    # The totals were rebuilt first, so the versions moved on: the boards themselves are the same.
    boards = {k: v for k, v in _boards_only(client).items() if v[0] == "zset"}
    assert boards == {k: v for k, v in expected.items() if v[0] == "zset"}

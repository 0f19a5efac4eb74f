"""The Redis leaderboards refilled by several workers at once, one message per batch of scopes.

One process streaming a city's boards took 70 s (docs/scale.md); a province's would take ten times
that. A parallel rebuild splits the scopes into batches: the city board alone (the largest), the other
scopes dealt round-robin into `batches` more, and one batch for the version hashes. Each message
carries its job id, its number and its scope names, and rebuilds exactly those boards with
rebuild.rebuild_redis(scopes=...): staged under its own prefix, swapped in by itself, with the pushes
made meanwhile pushed again. A redelivered or repeated message rebuilds the same boards again, so
messages are idempotent. The job's progress lives in Redis (`sb:lbjob:<id>`): the batch that
completes the set marks the boards built and frees the rebuild claim. `servicebank leaderboards
rebuild --parallel` follows it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from servicebank.kernel.db import Database
from servicebank.kernel.redis_clients import is_cluster
from servicebank.leaderboards.push import (
    BUILT_MARKER,
    KEY_PREFIX,
    REBUILD_QUEUED_SECONDS,
    REBUILD_REQUESTED,
    board_scope,
    sync_client,
)
from servicebank.leaderboards.rebuild import current_scopes, rebuild_redis, scopes_to_rebuild

JOB_PREFIX = "sb:lbjob:"
JOB_SECONDS = 86_400  # a job's progress stays readable a day after it was planned
# The job under way. The claim (REBUILD_REQUESTED) lapses while a job's batches wait behind other work
# with none of them running; the periodic check must not plan another job over it meanwhile, or a
# long queue would keep growing. A job whose messages were lost with Redis loses this key too; one
# that never finishes frees it after CURRENT_JOB_SECONDS.
CURRENT_JOB = "sb:lbjob:current"
CURRENT_JOB_SECONDS = 1800
DEFAULT_BATCHES = 8

Send = Callable[[str, int, list[str]], Any]


async def plan_batches(db: Database, batches: int = DEFAULT_BATCHES,
                       only: list[str] | None = None) -> list[list[str]]:
    """The scope names of each message: the city, `batches` shares of the rest, and [] for the version hashes.

    `only`: just those scopes (a cluster whose master restarted lost only the scopes it served).
    """
    names = sorted(only) if only is not None else await current_scopes(db)
    rest = [name for name in names if name != "city"]
    # Round-robin over names sorted by kind: each share gets its part of the streets (the next largest
    # boards), of the communities and of the teams.
    shares = [rest[i::batches] for i in range(max(1, batches))]
    city = [["city"]] if only is None or "city" in only else []
    return city + [share for share in shares if share] + [[]]


async def _unlink_orphans(db: Database, client: Any) -> int:
    """Delete the boards of scopes nobody ranks in any more (a team dissolved): no batch covered them."""
    scopes = set(await current_scopes(db))
    orphans = [key for key in (raw.decode() for raw in client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
               if key not in (BUILT_MARKER, REBUILD_REQUESTED) and board_scope(key) not in scopes]
    for start in range(0, len(orphans), 500):
        client.unlink(*orphans[start:start + 500])
    return len(orphans)


def _job_key(job: str) -> str:
    """The job's progress hash; its ":done" set shares the hash tag, so both are in one slot of a cluster."""
    return f"{JOB_PREFIX}{{{job}}}"


async def start_parallel_rebuild(db: Database, *, batches: int = DEFAULT_BATCHES, send: Send | None = None,
                                 only: list[str] | None = None) -> str:
    """Plan the batches (of `only` those scopes), record the job and send one message per batch; returns the job id."""
    client = sync_client(db.settings.redis_url)
    plan = await plan_batches(db, batches, only)
    job = uuid.uuid4().hex[:12]
    # A MULTI spans one slot only on a cluster; there these keys are written one by one.
    pipe = client.pipeline(transaction=not is_cluster(client))
    pipe.hset(_job_key(job), mapping={"total": len(plan), "members": 0, "started": time.time()})
    pipe.expire(_job_key(job), JOB_SECONDS)
    # Held while the messages wait in the queue; each running batch renews it (rebuild._keep_claim).
    pipe.set(REBUILD_REQUESTED, "1", ex=REBUILD_QUEUED_SECONDS)
    pipe.set(CURRENT_JOB, job, ex=CURRENT_JOB_SECONDS)
    pipe.execute()
    if send is None:
        # Imported here: declaring the actors configures the process's broker (workers/broker.py).
        from servicebank.leaderboards.tasks import rebuild_leaderboard_scopes

        send = rebuild_leaderboard_scopes.send
    for index, scopes in enumerate(plan):
        send(job, index, scopes)
    return job


async def rebuild_batch(db: Database, job: str, index: int, scopes: list[str]) -> int:
    """One message's work: rebuild `scopes`' boards ([]: the version hashes); returns what it wrote."""
    written = await rebuild_redis(db, scopes=scopes, versions=not scopes, finish=False)
    client = sync_client(db.settings.redis_url)
    key = _job_key(job)
    pipe = client.pipeline(transaction=True)
    pipe.sadd(key + ":done", index)
    pipe.expire(key + ":done", JOB_SECONDS)
    pipe.hincrby(key, "members", written)
    pipe.scard(key + ":done")
    pipe.hget(key, "total")
    done, total = pipe.execute()[-2:]
    if total is not None and done >= int(total):
        # Every batch has swapped its boards in: readers may leave SQL.
        await _unlink_orphans(db, client)
        pipe = client.pipeline(transaction=not is_cluster(client))
        pipe.set(BUILT_MARKER, "1")
        pipe.delete(REBUILD_REQUESTED)
        pipe.hsetnx(key, "finished", time.time())
        pipe.execute()
        if client.get(CURRENT_JOB) == job.encode():
            client.delete(CURRENT_JOB)
    return written


def job_status(db: Database, job: str) -> dict[str, Any]:
    """{"job", "total", "done", "members", "finished", "elapsed_s"} of a parallel rebuild."""
    client = sync_client(db.settings.redis_url)
    raw = {k.decode(): v.decode() for k, v in client.hgetall(_job_key(job)).items()}
    done = int(client.scard(_job_key(job) + ":done"))
    started = float(raw.get("started", time.time()))
    finished = float(raw["finished"]) if "finished" in raw else None
    return {"job": job, "total": int(raw.get("total", 0)), "done": done, "members": int(raw.get("members", 0)),
            "finished": finished is not None, "elapsed_s": round((finished or time.time()) - started, 1)}


async def start_parallel_rebuild_if_missing(db: Database) -> str | None:
    """A parallel rebuild when Redis has no boards and no rebuild holds the claim; returns its job id."""
    url = db.settings.redis_url
    if not url:
        return None
    client = sync_client(url)
    if client.exists(CURRENT_JOB):
        return None
    missing, scopes = await scopes_to_rebuild(db, client)
    if not missing or not client.set(REBUILD_REQUESTED, "1", nx=True, ex=REBUILD_QUEUED_SECONDS):
        return None
    try:
        return await start_parallel_rebuild(db, only=scopes)
    except BaseException:
        client.delete(REBUILD_REQUESTED)  # the next check tries again
        raise

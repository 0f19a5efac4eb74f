"""The parallel rebuild end to end: `servicebank leaderboards rebuild --parallel --json` in its own process,
two real `dramatiq` worker processes sharing the batches through Redis, the boards as one process writes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from servicebank.kernel.db import Database
from servicebank.leaderboards.rebuild import rebuild_redis
from tests.leaderboards.test_parallel_rebuild import _boards_only
from tests.leaderboards.test_retention import _boards
from tests.ledger.helpers import settle

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres_only


def _env(db: Database) -> dict[str, str]:
    settings = db.settings
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")},
            "SERVICEBANK_DATABASE_URL": settings.database_url, "SERVICEBANK_REDIS_URL": settings.redis_url,
            "SERVICEBANK_SECRET_KEY": settings.secret_key, "PYTHONPATH": str(ROOT)}


def rebuilt_by_two_workers(db: Database) -> subprocess.CompletedProcess[str]:
    """`leaderboards rebuild --parallel --batches 3 --json` run by the CLI, its batches by two worker processes."""
    workers = subprocess.Popen([sys.executable, "-m", "dramatiq", "servicebank.workers.tasks", "-p", "2", "-t", "1",
                                "-Q", "maintenance"], cwd=ROOT, env=_env(db), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        done = subprocess.run([sys.executable, "-c", "from servicebank.cli import main; main()", "leaderboards",
                               "rebuild", "--parallel", "--batches", "3", "--timeout", "120", "--json"],
                              cwd=ROOT, env=_env(db), capture_output=True, text=True, timeout=180)
    finally:
        workers.terminate()
        workers.wait(30)
    assert done.returncode == 0, done.stderr
    return done


async def test_the_workers_share_a_parallel_rebuild_the_cli_follows(db: Database, session) -> None:  # noqa: ANN001
    await _boards(session)
    await settle(db)
    client = redis.Redis.from_url(db.settings.redis_url)
    client.flushdb()
    await rebuild_redis(db)
    expected = {k: v for k, v in _boards_only(client).items() if k.startswith("sb:lb:") and v[0] == "zset"}
    client.flushdb()
    done = rebuilt_by_two_workers(db)
    data = json.loads(done.stdout)
    assert (data["finished"], data["done"], data["total"]) == (True, 5, 5)
    progress = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert progress[-1] | {"elapsed_s": 0} == {"progress": f"rebuilding Redis, job {data['job']} (batches)",
                                               "done": 5, "total": 5, "elapsed_s": 0}
    assert client.exists("sb:lb:built:tagged") and not client.exists("sb:lb:rebuild_requested")
    assert {k: v for k, v in _boards_only(client).items() if k.startswith("sb:lb:") and v[0] == "zset"} == expected
